package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A real Prometheus (Debian's {@code prometheus}, started here on a free
 * loopback port; {@code .ci/run} installs it) scrapes a real Tarn server
 * process twice: its own endpoint ({@code metrics.port}) and the jmx_exporter
 * Java agent running in the same JVM with {@code docs/prometheus/jmx_exporter.yaml}.
 * The test asks Prometheus, not the endpoints: what an operator's dashboards
 * would see, and that the embedders' rules give the same families and values.
 */
class PrometheusScrapeTest {
    private static final String PROMETHEUS = "/usr/bin/prometheus";

    @TempDir
    Path data;

    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private String get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private String post(String url, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Prometheus's instant query: the value of every series it returns, by its labels. */
    private Map<String, Double> query(String prometheus, String promql) throws Exception {
        JsonNode r = JolokiaHttp.JSON.readTree(get(prometheus + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
        assertThat(r.path("status").asText()).as("%s", r).isEqualTo("success");
        Map<String, Double> out = new TreeMap<>();
        for (JsonNode s : r.path("data").path("result")) {
            out.put(s.path("metric").toString(), s.path("value").get(1).asDouble());
        }
        return out;
    }

    private double one(String prometheus, String promql) throws Exception {
        Map<String, Double> r = query(prometheus, promql);
        assertThat(r).as("series of %s", promql).hasSize(1);
        return r.values().iterator().next();
    }

    @Test
    void prometheus_scrapes_the_server_and_the_jmx_exporter_rules_pos() throws Exception {
        assertThat(Path.of(PROMETHEUS)).as("Debian package prometheus (.ci/run installs it)").isExecutable();
        int jolokia = freePort();
        int metrics = freePort();
        int exporter = freePort();
        int promPort = freePort();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=" + jolokia + "\nmetrics.port="
                + metrics + "\ndefault.device.bytes=" + (32L * 1024 * 1024) + "\nfault.injection=true\n");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process server = new ProcessBuilder(java, "-javaagent:" + System.getProperty("tarn.jmx.exporter.agent")
                + "=127.0.0.1:" + exporter + ":" + System.getProperty("tarn.jmx.exporter.config"),
                "-cp", System.getProperty("java.class.path"), "org.tarn.dist.TarnServer", "--data", data.toString())
                .redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile()).start();
        processes.add(server);
        String url = "http://127.0.0.1:" + jolokia + "/jolokia";
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> post(url, "{\"type\":\"version\"}").contains("\"status\":200"));

        // a second pool, with a target, force-exported later
        Path dev = data.resolve("devices").resolve("ost1-0");
        FileVdevDriver.createSparseFile(dev, 32L * 1024 * 1024);
        assertThat(post(url, "{\"type\":\"exec\",\"mbean\":\"tarn:type=PoolManager\",\"operation\":\"createPool\","
                + "\"arguments\":[\"ost1\",\"fault:" + dev + "\",\"\"]}")).contains("\"status\":200");
        assertThat(post(url, "{\"type\":\"exec\",\"mbean\":\"tarn:type=TargetManager\",\"operation\":\"createTarget\","
                + "\"arguments\":[\"tank\",\"ost0\",\"OST\"]}")).contains("\"status\":200");

        Path tsdb = Files.createDirectories(data.resolve("prometheus"));
        Files.writeString(data.resolve("prometheus.yml"), "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                + "scrape_configs:\n"
                + "  - job_name: tarn\n    static_configs:\n      - targets: ['127.0.0.1:" + metrics + "']\n"
                + "  - job_name: jmx\n    static_configs:\n      - targets: ['127.0.0.1:" + exporter + "']\n");
        Process prometheus = new ProcessBuilder(PROMETHEUS, "--config.file=" + data.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + tsdb, "--web.listen-address=127.0.0.1:" + promPort)
                .redirectErrorStream(true).redirectOutput(data.resolve("prometheus.log").toFile()).start();
        processes.add(prometheus);
        String prom = "http://127.0.0.1:" + promPort;

        // both targets up, and the server's own families there
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(
                () -> assertThat(query(prom, "up == 1").keySet()).hasSize(2));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(
                () -> assertThat(query(prom, "tarn_target_state{tarn_target_state=\"ACTIVE\"} == 1")).hasSize(2));
        assertThat(one(prom, "tarn_pool_health{job=\"tarn\",pool=\"tank\",tarn_pool_health=\"ONLINE\"}"))
                .isEqualTo(1);
        assertThat(one(prom, "tarn_pool_state{job=\"tarn\",pool=\"ost1\",tarn_pool_state=\"ACTIVE\"}"))
                .isEqualTo(1);
        assertThat(one(prom, "tarn_vdev_write_errors_total{job=\"tarn\",pool=\"ost1\",type=\"fault\"}")).isZero();
        double size = one(prom, "tarn_pool_size_bytes{job=\"tarn\",pool=\"tank\"}");
        assertThat(size).isPositive();

        // the jmx_exporter rules give the same families, the same values
        assertThat(one(prom, "tarn_pool_size_bytes{job=\"jmx\",pool=\"tank\"}")).isEqualTo(size);
        assertThat(one(prom, "tarn_pool_health{job=\"jmx\",pool=\"tank\",tarn_pool_health=\"ONLINE\"}"))
                .isEqualTo(1);
        assertThat(one(prom, "tarn_pool_state{job=\"jmx\",pool=\"ost1\",tarn_pool_state=\"ACTIVE\"}")).isEqualTo(1);
        assertThat(one(prom, "tarn_target_recovery_status{job=\"jmx\",pool=\"tank\",target=\"ost0\","
                + "tarn_target_recovery_status=\"NONE\"}")).isEqualTo(1);
        for (String family : List.of("tarn_pool_allocated_bytes", "tarn_pool_free_bytes", "tarn_pool_dirty_bytes",
                "tarn_pool_dirty_max_bytes", "tarn_pool_synced_txg", "tarn_target_last_committed",
                "tarn_target_last_transno", "tarn_target_recovery_known_clients")) {
            assertThat(query(prom, family + "{job=\"jmx\"}")).as(family).isNotEmpty();
            assertThat(query(prom, family + "{job=\"tarn\"}")).as(family).isNotEmpty();
        }

        // a force export: the counter rises, the pool's series go stale
        assertThat(post(url, "{\"type\":\"exec\",\"mbean\":\"tarn:type=PoolManager\",\"operation\":\"forceExport\","
                + "\"arguments\":[\"ost1\"]}")).contains("\"status\":200");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(
                () -> assertThat(one(prom, "tarn_pool_force_exports_total{job=\"tarn\",pool=\"ost1\"}"))
                        .isEqualTo(1));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(
                () -> assertThat(query(prom, "tarn_pool_size_bytes{pool=\"ost1\"}")).isEmpty());
        assertThat(one(prom, "tarn_scrape_errors_total{job=\"tarn\"}")).isZero();
    }
}
