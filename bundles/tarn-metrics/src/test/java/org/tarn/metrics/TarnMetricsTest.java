package org.tarn.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.metrics.internal.MetricsComponent;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/** The collector over a real engine and target service, and the HTTP endpoint of the component. */
class TarnMetricsTest {
    private static final long DEVICE_BYTES = 64L * 1024 * 1024;

    @TempDir
    Path dir;

    private final FileVdevDriver file = new FileVdevDriver();
    private final FaultVdevDriver fault = new FaultVdevDriver(file);
    private Engine engine;
    private TargetService targets;
    private TarnMetrics metrics;

    @BeforeEach
    void start() {
        engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(2000), List.of(fault, file));
        targets = Targets.start(engine, TargetSettings.defaults());
        metrics = TarnMetrics.start(engine, () -> targets);
    }

    @AfterEach
    void stop() {
        metrics.close();
        targets.close();
        engine.close();
    }

    private String device(String name) throws IOException {
        return FileVdevDriver.createSparseFile(dir.resolve(name), DEVICE_BYTES).toString();
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.collect());
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The value of the one sample whose line starts with {@code series} (name and labels, as printed). */
    private static double sample(String text, String series) {
        List<String> lines = text.lines().filter(l -> l.startsWith(series + " ")).toList();
        assertThat(lines).as("sample %s in%n%s", series, text).hasSize(1);
        return Double.parseDouble(lines.get(0).substring(series.length() + 1).trim());
    }

    @Test
    void pool_vdev_and_target_metrics_follow_the_engine_pos() throws Exception {
        String a = device("a");
        String b = "fault:" + device("b");
        engine.createPool("tank", VdevLayout.parse("mirror " + a + " " + b), Map.of("comment", "m"), false);
        targets.createTarget("tank", "ost0", TargetRole.OST);

        String text = scrape();
        assertThat(sample(text, "tarn_pool_state{pool=\"tank\",tarn_pool_state=\"ACTIVE\"}")).isEqualTo(1);
        assertThat(sample(text, "tarn_pool_state{pool=\"tank\",tarn_pool_state=\"SUSPENDED\"}")).isEqualTo(0);
        assertThat(sample(text, "tarn_pool_health{pool=\"tank\",tarn_pool_health=\"ONLINE\"}")).isEqualTo(1);
        long size = engine.pool("tank").orElseThrow().sizeBytes();
        assertThat(sample(text, "tarn_pool_size_bytes{pool=\"tank\"}")).isEqualTo(size);
        assertThat(sample(text, "tarn_pool_dirty_max_bytes{pool=\"tank\"}")).isPositive();
        assertThat(text).contains("# TYPE tarn_pool_size_bytes gauge", "# TYPE tarn_vdev_write_errors_total counter");
        assertThat(sample(text, "tarn_vdev_state{pool=\"tank\",type=\"mirror\",vdev=\"mirror-0\","
                + "tarn_vdev_state=\"ONLINE\"}")).isEqualTo(1);
        assertThat(sample(text, "tarn_vdev_write_errors_total{pool=\"tank\",type=\"fault\",vdev=\"" + b + "\"}"))
                .isZero();
        assertThat(sample(text, "tarn_target_state{pool=\"tank\",target=\"ost0\",tarn_target_state=\"ACTIVE\"}"))
                .isEqualTo(1);
        assertThat(sample(text, "tarn_target_recovery_status{pool=\"tank\",target=\"ost0\","
                + "tarn_target_recovery_status=\"NONE\"}")).isEqualTo(1);
        assertThat(sample(text, "tarn_pool_events_total{pool=\"tank\",type=\"created\"}")).isEqualTo(1);

        // a failing side of the mirror: write errors counted, the pool DEGRADED
        fault.injector(b).add(FaultRule.error().on(FaultRule.Op.WRITE));
        engine.pool("tank").orElseThrow().setProperty("comment", "after the fault");
        engine.pool("tank").orElseThrow().sync();
        String faulted = scrape();
        assertThat(sample(faulted, "tarn_vdev_write_errors_total{pool=\"tank\",type=\"fault\",vdev=\"" + b + "\"}"))
                .isPositive();
        assertThat(sample(faulted, "tarn_pool_health{pool=\"tank\",tarn_pool_health=\"DEGRADED\"}")).isEqualTo(1);

        // force export: the pool's series go, the counters stay
        fault.injector(b).clear();
        engine.forceExport("tank");
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().contains("tarn_pool_force_exports_total"));
        String after = scrape();
        assertThat(sample(after, "tarn_pool_force_exports_total{pool=\"tank\"}")).isEqualTo(1);
        assertThat(sample(after, "tarn_pool_events_total{pool=\"tank\",type=\"force-exported\"}")).isEqualTo(1);
        assertThat(after).doesNotContain("tarn_pool_size_bytes{pool=\"tank\"}");
        assertThat(after).doesNotContain("tarn_target_state{pool=\"tank\",target=\"ost0\",tarn_target_state=\"ACTIVE\"} 1");
    }

    @Test
    void per_vdev_io_counters_grow_with_the_writes_that_reach_each_device_pos() throws Exception {
        String a = "fault:" + device("a");
        String b = "fault:" + device("b");
        engine.createPool("tank", VdevLayout.parse("mirror " + a + " " + b), Map.of(), false);
        var pool = engine.pool("tank").orElseThrow();
        pool.sync();
        String before = scrape();
        String leaf = "{pool=\"tank\",vdev=\"" + a + "\"}";
        double writes = sample(before, "tarn_vdev_write_ops_total" + leaf);
        double written = sample(before, "tarn_vdev_written_bytes_total" + leaf);
        assertThat(writes).isPositive();   // the create's labels and uberblocks
        assertThat(before).contains("tarn_vdev_read_ops_total{pool=\"tank\",vdev=\"tank\"}",
                "tarn_vdev_flush_seconds_total" + leaf, "tarn_vdev_queued_ios" + leaf, "tarn_vdev_active_ios" + leaf);

        pool.createDataset("d");
        try (var ds = pool.openDataset("d"); var tx = pool.begin()) {
            long obj = ds.createObject(tx);
            byte[] data = new byte[256 * 1024];
            new java.util.Random(7).nextBytes(data); // not zeros: those are holes, never written
            ds.write(tx, obj, 0, java.nio.ByteBuffer.wrap(data));
        }
        pool.sync();
        String after = scrape();
        // the mirror writes every block to both sides: each leaf counts at least the data
        assertThat(sample(after, "tarn_vdev_write_ops_total" + leaf)).isGreaterThan(writes);
        assertThat(sample(after, "tarn_vdev_written_bytes_total" + leaf)).isGreaterThanOrEqualTo(written + 256 * 1024);
        assertThat(sample(after, "tarn_vdev_written_bytes_total{pool=\"tank\",vdev=\"" + b + "\"}"))
                .isGreaterThanOrEqualTo(256 * 1024);
        assertThat(sample(after, "tarn_vdev_write_seconds_total" + leaf)).isPositive();
    }

    @Test
    void txg_sync_time_histogram_counts_completed_syncs_in_their_buckets_pos() throws Exception {
        String a = "fault:" + device("a");
        String b = "fault:" + device("b");
        engine.createPool("tank", VdevLayout.parse("mirror " + a + " " + b), Map.of(), false);
        var pool = engine.pool("tank").orElseThrow();
        pool.sync();
        String before = scrape();
        assertThat(before).contains("# TYPE tarn_pool_txg_sync_seconds histogram");
        double count = sample(before, "tarn_pool_txg_sync_seconds_count{pool=\"tank\"}");
        assertThat(count).isPositive();   // the create's own syncs
        assertThat(sample(before, "tarn_pool_txg_sync_seconds_bucket{pool=\"tank\",le=\"+Inf\"}"))
                .isEqualTo(count);
        double slowBefore = count - sample(before, "tarn_pool_txg_sync_seconds_bucket{pool=\"tank\",le=\"0.1\"}");

        // three syncs with changes, every device write 150 ms late: three more, each above 0.1 s
        fault.injector(a.substring("fault:".length())).add(FaultRule.latency(150).on(FaultRule.Op.WRITE));
        fault.injector(b.substring("fault:".length())).add(FaultRule.latency(150).on(FaultRule.Op.WRITE));
        for (int i = 0; i < 3; i++) {
            pool.setProperty("comment", "slow " + i);
            pool.sync();
        }
        String after = scrape();
        double countAfter = sample(after, "tarn_pool_txg_sync_seconds_count{pool=\"tank\"}");
        assertThat(countAfter).isGreaterThanOrEqualTo(count + 3);
        double slowAfter = countAfter - sample(after,
                "tarn_pool_txg_sync_seconds_bucket{pool=\"tank\",le=\"0.1\"}");
        assertThat(slowAfter - slowBefore).isGreaterThanOrEqualTo(3);
        assertThat(sample(after, "tarn_pool_txg_sync_seconds_sum{pool=\"tank\"}"))
                .isGreaterThan(sample(before, "tarn_pool_txg_sync_seconds_sum{pool=\"tank\"}") + 0.45);
        // the API's view is the same histogram
        assertThat(pool.syncTimes().count()).isEqualTo((long) countAfter);
        assertThat(pool.syncTimes().upperBoundsSeconds()).startsWith(0.001).endsWith(30.0);
    }

    @Test
    void a_failed_sync_is_not_counted_neg() throws Exception {
        String a = "fault:" + device("a");
        engine.createPool("tank", VdevLayout.parse(a), Map.of("failmode", "continue"), false);
        var pool = engine.pool("tank").orElseThrow();
        pool.sync();
        long count = pool.syncTimes().count();
        fault.injector(a.substring("fault:".length())).add(FaultRule.error().on(FaultRule.Op.WRITE));
        pool.setProperty("comment", "never on disk");
        try {
            pool.sync();
        } catch (RuntimeException expected) {
            // failmode=continue: the failed sync is reported to the caller
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.state() == org.tarn.api.PoolState.SUSPENDED);
        assertThat(pool.syncTimes().count()).isEqualTo(count);
        assertThat(sample(scrape(), "tarn_pool_txg_sync_seconds_count{pool=\"tank\"}")).isEqualTo(count);
        // once the device answers again, clear retries the group: that sync counts
        fault.injector(a.substring("fault:".length())).clear();
        pool.clear();
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.syncTimes().count() > count);
        assertThat(pool.state()).isEqualTo(org.tarn.api.PoolState.ACTIVE);
    }

    @Test
    void a_closed_collector_counts_no_more_events_neg() throws Exception {
        metrics.close();
        engine.createPool("late", VdevLayout.parse(device("c")), Map.of(), false);
        String text = scrape();
        // still reads the pool, but its creation happened after close: no event counted
        assertThat(sample(text, "tarn_pool_state{pool=\"late\",tarn_pool_state=\"ACTIVE\"}")).isEqualTo(1);
        assertThat(text).doesNotContain("tarn_pool_events_total{pool=\"late\"");
    }

    @Test
    void component_serves_the_metrics_over_http_on_loopback_pos() throws Exception {
        engine.createPool("web", VdevLayout.parse(device("w")), Map.of(), false);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        MetricsComponent component = new MetricsComponent(engine, config("127.0.0.1", port));
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("tarn_pool_state{pool=\"web\",tarn_pool_state=\"ACTIVE\"} 1")
                    .doesNotContain("jvm_"); // a registry of its own: no JVM metrics
        } finally {
            invokeStop(component);
        }
        // stopped: the port is free again
        try (ServerSocket again = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void component_refuses_a_bad_port_and_a_busy_one_neg() throws Exception {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MetricsComponent(engine, config("127.0.0.1",
                70000))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("70000");
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MetricsComponent(engine,
                    config("127.0.0.1", busy.getLocalPort()))).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot serve metrics on 127.0.0.1:" + busy.getLocalPort());
        }
    }

    private static void invokeStop(MetricsComponent c) throws Exception {
        var stop = MetricsComponent.class.getDeclaredMethod("stop");
        stop.setAccessible(true);
        stop.invoke(c);
    }

    private static MetricsComponent.Config config(String host, int port) {
        return new MetricsComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return MetricsComponent.Config.class;
            }

            @Override
            public String host() {
                return host;
            }

            @Override
            public int port() {
                return port;
            }
        };
    }
}
