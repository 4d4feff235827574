/**
 * Tarn's public API: pools, datasets, transactions, their states and the one
 * domain exception. Implementations live in {@code tarn-engine} and are never
 * exported.
 *
 * <p>0.3.0: {@link org.tarn.api.Pool#syncTimes()}, {@link org.tarn.api.SyncTimes}.
 * <p>0.4.0: {@link org.tarn.api.Pool#propertySources()}, {@link org.tarn.api.PropertySource}.
 */
@Export
@Version("0.4.0")
package org.tarn.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
