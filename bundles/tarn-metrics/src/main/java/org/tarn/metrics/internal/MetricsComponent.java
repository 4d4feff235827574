package org.tarn.metrics.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.PoolManager;
import org.tarn.metrics.TarnMetrics;

/**
 * Serves {@link TarnMetrics} of the engine's {@link PoolManager} service (and
 * of the target service, while there is one) in the Prometheus text format at
 * {@code http://HOST:PORT/metrics}, from a registry of its own (no JVM
 * metrics, nothing global). Only when configured (PID {@value #PID}) with a
 * port; the address defaults to loopback. A changed configuration restarts
 * the endpoint; the engine service going away stops it.
 *
 * <p>Requests are served by two threads of this component, so a slow scrape
 * never touches the engine's or Jolokia's threads; a scrape reads only what
 * the engine keeps in memory (see {@link TarnMetrics}).
 */
@Component(immediate = true, configurationPid = MetricsComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = MetricsComponent.Config.class)
public final class MetricsComponent {
    /** Configuration PID of the metrics endpoint. */
    public static final String PID = "org.tarn.metrics";
    private static final Logger LOG = LoggerFactory.getLogger(MetricsComponent.class);

    /** Configuration of the metrics endpoint, PID {@value MetricsComponent#PID}. */
    @ObjectClassDefinition(name = "Tarn Prometheus metrics", description = "An HTTP endpoint (/metrics) with the "
            + "Prometheus metrics of the Tarn pools and targets of this framework.")
    public @interface Config {
        @AttributeDefinition(name = "Host", description = "Address to listen on (default loopback only)")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "Port", description = "TCP port of the endpoint; 0: no endpoint")
        int port() default 0;
    }

    private final TarnMetrics metrics;
    private final ExecutorService threads;
    private final HTTPServer server;
    private volatile Object targets;

    @Activate
    public MetricsComponent(@Reference PoolManager engine, Config config) throws IOException {
        this.metrics = TarnMetrics.start(engine, () -> targets);
        if (config.port() < 0 || config.port() > 65535) {
            metrics.close();
            throw new IllegalArgumentException("metrics port must be 0..65535, got " + config.port());
        }
        if (config.port() == 0) {
            this.threads = null;
            this.server = null;
            return;
        }
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(metrics);
        this.threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "tarn-metrics-http");
            t.setDaemon(true);
            return t;
        });
        try {
            this.server = HTTPServer.builder().inetAddress(InetAddress.getByName(config.host())).port(config.port())
                    .registry(registry).executorService(threads).buildAndStart();
        } catch (IOException | RuntimeException e) {
            threads.shutdownNow();
            metrics.close();
            throw new IOException("cannot serve metrics on " + config.host() + ":" + config.port() + ": " + e, e);
        }
        LOG.info("Prometheus metrics at http://{}:{}/metrics", config.host(), server.getPort());
    }

    /** The storage targets, when the target bundle registers its service. */
    @Reference(service = org.tarn.target.TargetService.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    void bindTargets(Object service) {
        targets = service;
    }

    void unbindTargets(Object service) {
        if (targets == service) {
            targets = null;
        }
    }

    @Deactivate
    void stop() {
        if (server != null) {
            server.close();
        }
        if (threads != null) {
            threads.shutdownNow();
        }
        metrics.close();
    }
}
