/**
 * Prometheus metrics of a Tarn engine: {@link org.tarn.metrics.TarnMetrics}
 * for embedders on the class path. Not exported in OSGi (it names the
 * Prometheus client, which the bundle embeds privately): there the
 * {@code org.tarn.metrics} component serves the metrics over HTTP.
 */
package org.tarn.metrics;
