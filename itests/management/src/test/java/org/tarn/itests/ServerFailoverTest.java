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
 * The scenario Tarn exists for, with two real server processes on one
 * machine (two data directories, so two host ids) sharing a directory of
 * device files: server A's pool {@code ost1} hangs mid-sync and is
 * force-exported while its other pool keeps serving; server B refuses to
 * import it without force (A's host id is in its labels), then imports it
 * with force at its last synced txg, targets included, and their recovery
 * window opens.
 */
class ServerFailoverTest {
    @TempDir
    Path dir;

    private final List<Process> servers = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    record Run(int exit, String out, String err) {
    }

    @AfterEach
    void stopServers() {
        servers.forEach(Process::destroyForcibly);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Run tarnctl(String url, String... args) {
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

    /** Starts a server process on its own data directory, searching {@code shared}; returns its Jolokia URL. */
    private String startServer(String name, Path shared, String defaultPool) throws Exception {
        Path data = Files.createDirectories(dir.resolve(name));
        int port = freePort();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\ntarget.server.port=0\njolokia.port=" + port
                + "\nsearch.paths=" + shared + "\ndefault.pool=" + defaultPool
                + "\ndefault.device.bytes=" + (32L * 1024 * 1024) + "\nfault.injection=true\nio.timeout.millis=60000\n");
        String java = ProcessHandle.current().info().command().orElse("java");
        servers.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.tarn.dist.TarnServer",
                "--data", data.toString())
                .redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile()).start());
        String url = "http://127.0.0.1:" + port + "/jolokia";
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> post(url, "{\"type\":\"read\",\"mbean\":\"tarn:type=PoolManager\",\"attribute\":\"Pools\"}")
                        .contains("\"status\":200"));
        return url;
    }

    private String faults(String url, String operation, String device) throws Exception {
        return post(url, "{\"type\":\"exec\",\"mbean\":\"tarn:type=FaultInjection\",\"operation\":\"" + operation
                + "\",\"arguments\":[\"" + device + "\"]}");
    }

    @Test
    void hung_pool_is_force_exported_on_one_server_and_imported_with_force_on_the_other_pos() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        String a = startServer("hostA", shared, "tank");
        String b = startServer("hostB", shared, "");

        Path d0 = FileVdevDriver.createSparseFile(shared.resolve("ost1-0"), 32L * 1024 * 1024);
        Path d1 = FileVdevDriver.createSparseFile(shared.resolve("ost1-1"), 32L * 1024 * 1024);
        assertThat(tarnctl(a, "create", "-o", "comment=synced", "ost1", "mirror", "fault:" + d0, "fault:" + d1)
                .exit()).isZero();
        assertThat(tarnctl(a, "target", "create", "ost1", "ost0", "OST").exit()).isZero();
        assertThat(tarnctl(a, "sync", "ost1").exit()).isZero();

        // both devices hang (through tarnctl inject, as an operator's drill would); a change that cannot sync
        assertThat(tarnctl(a, "inject", "delay", d0.toString(), "1").exit()).isZero();
        assertThat(tarnctl(a, "inject", "hang-writes", d0.toString()).exit()).isZero();
        assertThat(tarnctl(a, "inject", "hang-writes", "fault:" + d1).exit()).isZero();
        assertThat(tarnctl(a, "inject", "bogus", d1.toString()).exit()).isEqualTo(2);
        assertThat(tarnctl(a, "inject", "delay", d1.toString()).exit()).isEqualTo(2);
        assertThat(tarnctl(a, "set", "comment=never-synced", "ost1").exit()).isZero();
        CompletableFuture<Run> stuck = CompletableFuture.supplyAsync(() -> tarnctl(a, "sync", "ost1"));
        await().atMost(Duration.ofSeconds(20)).until(() -> tarnctl(a, "inject", "hung", d0.toString()).out()
                .trim().matches("[1-9][0-9]*"));
        assertThat(faults(a, "hungIo", d0.toString())).matches("(?s).*\"value\":[1-9].*");
        // the other pool on A stays manageable
        assertThat(tarnctl(a, "status", "tank").out()).contains("ONLINE");

        Run forced = tarnctl(a, "export", "-F", "ost1");
        assertThat(forced.exit()).as("%s", forced).isZero();
        assertThat(stuck.get(20, TimeUnit.SECONDS).err()).contains("TARN-11").contains("force-exported");
        assertThat(tarnctl(a, "list").out()).contains("tank").doesNotContain("ost1");

        // B sees the pool, held ACTIVE by A's host id, and will not take it without force
        Run listed = tarnctl(b, "import");
        assertThat(listed.out()).contains("ost1").contains("ACTIVE").contains("in use by host");
        Run refused = tarnctl(b, "import", "ost1");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("TARN-22").contains("in use by host");

        Run taken = tarnctl(b, "import", "-f", "ost1");
        assertThat(taken.exit()).as("%s", taken).isZero();
        // at its last synced txg: the property change that never synced is gone
        assertThat(tarnctl(b, "get", "comment", "ost1").out()).contains("synced").doesNotContain("never-synced");
        Run targets = tarnctl(b, "targets", "ost1");
        assertThat(targets.out()).contains("ost0").contains("OST");

        // A's devices come back: A cannot take the pool back without force either
        assertThat(tarnctl(a, "inject", "clear", d0.toString()).exit()).isZero();
        assertThat(tarnctl(a, "inject", "clear", d1.toString()).exit()).isZero();
        assertThat(tarnctl(a, "inject", "hung", d0.toString()).out().trim()).isEqualTo("0");
        assertThat(tarnctl(a, "import", "ost1").err()).contains("TARN-22");
    }
}
