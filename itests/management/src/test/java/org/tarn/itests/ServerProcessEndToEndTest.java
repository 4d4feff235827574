package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.cli.TarnCtl;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The real server as a separate process, driven by tarnctl over Jolokia:
 * a pool whose device hangs mid-sync is force-exported while a sync is
 * stuck on it, and the CLI's output and exit codes say so.
 */
class ServerProcessEndToEndTest {
    @TempDir
    Path data;

    private Process server;
    private final HttpClient http = HttpClient.newHttpClient();

    record Run(int exit, String out, String err) {
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Run tarnctl(String url, String... args) {
        List<String> all = new ArrayList<>(List.of("--jolokia", url));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TarnCtl.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true), null);
        return new Run(code, out.toString(), err.toString());
    }

    private String post(String url, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.destroyForcibly();
        }
    }

    @Test
    void tarnctl_force_exports_a_hung_pool_of_a_running_server_pos() throws Exception {
        int port = freePort();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\ntarget.server.port=0\njolokia.port=" + port
                + "\ndefault.device.bytes=" + (32L * 1024 * 1024) + "\nfault.injection=true\nio.timeout.millis=60000\n");
        String java = ProcessHandle.current().info().command().orElse("java");
        server = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.tarn.dist.TarnServer",
                "--data", data.toString())
                .redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile()).start();
        String url = "http://127.0.0.1:" + port + "/jolokia";
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> post(url, "{\"type\":\"version\"}").contains("\"status\":200"));

        Run list = tarnctl(url, "list");
        assertThat(list.exit()).as("%s", list).isZero();
        assertThat(list.out()).contains("tank").contains("ONLINE");

        Path dev = data.resolve("devices").resolve("ost1-0");
        FileVdevDriver.createSparseFile(dev, 32L * 1024 * 1024);
        Run create = tarnctl(url, "create", "ost1", "fault:" + dev);
        assertThat(create.exit()).as("%s", create).isZero();

        assertThat(post(url, "{\"type\":\"exec\",\"mbean\":\"tarn:type=FaultInjection\",\"operation\":\"hangWrites\","
                + "\"arguments\":[\"" + dev + "\"]}")).contains("\"status\":200");
        // a property change dirties the labels: the next sync writes to the hung device
        assertThat(tarnctl(url, "set", "comment=doomed", "ost1").exit()).isZero();
        CompletableFuture<Run> stuckSync = CompletableFuture.supplyAsync(() -> tarnctl(url, "sync", "ost1"));
        await().atMost(Duration.ofSeconds(20)).until(() -> post(url, "{\"type\":\"exec\",\"mbean\":"
                + "\"tarn:type=FaultInjection\",\"operation\":\"hungIo\",\"arguments\":[\"" + dev + "\"]}")
                .matches("(?s).*\"value\":[1-9].*"));
        assertThat(stuckSync).isNotDone();
        // the stuck call does not block management of the other pool
        assertThat(tarnctl(url, "status", "tank").out()).contains("ONLINE");

        long t0 = System.nanoTime();
        Run export = tarnctl(url, "export", "-F", "ost1");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(export.exit()).as("%s", export).isZero();
        assertThat(millis).as("force export through tarnctl took %d ms", millis).isLessThan(5_000);

        Run sync = stuckSync.get(20, TimeUnit.SECONDS);
        assertThat(sync.exit()).as("%s", sync).isEqualTo(1);
        assertThat(sync.err().trim()).contains("TARN-11").doesNotContain("\n");

        Run after = tarnctl(url, "list");
        assertThat(after.out()).contains("tank").doesNotContain("ost1");
        Run gone = tarnctl(url, "status", "ost1");
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).contains("TARN-2");
        Run usage = tarnctl(url, "export");
        assertThat(usage.exit()).isEqualTo(2);

        // SIGTERM: the server stops its OSGi framework, whose engine bundle exports every pool, and exits
        server.destroy();
        assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String log = Files.readString(data.resolve("server.log"));
        assertThat(log).contains("OSGi:    Apache Felix").contains("org.tarn.osgi").contains("exported [tank]");
        // the labels say so: tank is EXPORTED on disk, importable elsewhere (no server needed to read them)
        Run label = tarnctl(url, "label", data.resolve("devices").resolve("tank-0").toString());
        assertThat(label.exit()).as("%s", label).isZero();
        assertThat(label.out()).containsPattern("state: EXPORTED").doesNotContain("state: ACTIVE");
    }

    @Test
    void a_second_server_process_on_the_same_data_dir_refuses_neg() throws Exception {
        int port = freePort();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\ntarget.server.port=0\njolokia.port=" + port
                + "\ndefault.device.bytes=" + (32L * 1024 * 1024) + "\n");
        String java = ProcessHandle.current().info().command().orElse("java");
        server = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.tarn.dist.TarnServer",
                "--data", data.toString())
                .redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile()).start();
        String url = "http://127.0.0.1:" + port + "/jolokia";
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> post(url, "{\"type\":\"version\"}").contains("\"status\":200"));

        Process second = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "org.tarn.dist.TarnServer", "--data", data.toString()).redirectErrorStream(true).start();
        String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(second.exitValue()).as(out).isEqualTo(1);
        assertThat(out).contains("another Tarn server (pid " + server.pid() + ")").contains(data.toString());
        // the first one still serves its pool
        assertThat(tarnctl(url, "list").out()).contains("tank").contains("ONLINE");
    }
}
