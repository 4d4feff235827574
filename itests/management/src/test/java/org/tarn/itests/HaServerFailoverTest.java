package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.cli.TarnCtl;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * ZooKeeper HA in the standalone server itself (its {@code ha.*} settings
 * start the org.tarn.ha bundle in its Felix): two server processes join a
 * real ZooKeeper server, a pool put under HA with {@code tarnctl ha manage}
 * is owned by the server that has it imported; that server is SIGKILLed while
 * four clients of the load tool write to a target of the pool, and the other
 * server takes the lease, imports the pool at its last synced txg and mounts
 * the target; the clients carry on against it, and not one acknowledged
 * write is lost, duplicated or out of order. The killed server, started again on its
 * data directory, finds the pool in its cache file but does not import it:
 * the other host holds it (two servers never hold one pool).
 */
class HaServerFailoverTest {
    static final long SESSION_MILLIS = 4_000;
    static final long DEVICE_BYTES = 128L * 1024 * 1024;

    @TempDir
    Path dir;

    private TestingServer zk;
    private final Map<String, Process> servers = new LinkedHashMap<>();

    @AfterEach
    void stop() throws Exception {
        for (Process p : servers.values()) {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        if (zk != null) {
            zk.close();
        }
    }

    record Run(int exit, String out, String err) {
    }

    /**
     * A real ZooKeeper server on a free loopback port with a 500 ms tick: a
     * server grants sessions of 2 to 20 ticks, so the default 3 s tick would
     * stretch the 4 s session asked for to 6 s.
     */
    private TestingServer zookeeper() throws Exception {
        return new TestingServer(new InstanceSpec(dir.resolve("zk").toFile(), -1, -1, -1, true, -1, 500, -1), true);
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

    /** Starts server {@code id} on data directory {@code dir/id} (written once), returns its Jolokia URL. */
    private String start(String id, Path shared) throws Exception {
        Path data = dir.resolve(id);
        Path props = data.resolve("tarn.properties");
        if (!Files.exists(props)) {
            Files.createDirectories(data);
            Files.writeString(props, "jmx.port=0\ntarget.server.port=" + freePort() + "\ntarget.server.name=" + id
                    + "\ntarget.recovery.window.millis=20000\njolokia.port=" + freePort()
                    + "\nsearch.paths=" + shared + "\ndefault.pool=\nio.timeout.millis=60000\n"
                    + "ha.zookeeper=" + zk.getConnectString() + "\nha.server.id=" + id
                    + "\nha.session.timeout.millis=" + SESSION_MILLIS + "\n");
        }
        String port = Files.readAllLines(props).stream().filter(l -> l.startsWith("jolokia.port="))
                .findFirst().orElseThrow().substring("jolokia.port=".length());
        String java = ProcessHandle.current().info().command().orElse("java");
        servers.put(id, new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "org.tarn.dist.TarnServer", "--data", data.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                        data.resolve("server.log").toFile())).start());
        String url = "http://127.0.0.1:" + port + "/jolokia";
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            Run status = tarnctl(url, "ha", "status");
            return status.exit() == 0 && status.out().contains("server " + id + ", connected");
        });
        return url;
    }

    /** The target protocol address of server {@code id}. */
    private String targetAddress(String id) throws IOException {
        return "127.0.0.1:" + Files.readAllLines(dir.resolve(id).resolve("tarn.properties")).stream()
                .filter(l -> l.startsWith("target.server.port=")).findFirst().orElseThrow()
                .substring("target.server.port=".length());
    }

    private static String haStatus(String url) {
        Run r = tarnctl(url, "ha", "status", "-H");
        assertThat(r.exit()).as("%s", r).isZero();
        return r.out();
    }

    @Test
    void a_sigkilled_server_s_pool_is_imported_by_the_other_server_and_its_clients_lose_nothing_pos()
            throws Exception {
        zk = zookeeper();
        Path shared = Files.createDirectories(dir.resolve("shared"));
        String a = start("a", shared);
        String b = start("b", shared);

        Path d0 = FileVdevDriver.createSparseFile(shared.resolve("p1-0"), DEVICE_BYTES);
        Path d1 = FileVdevDriver.createSparseFile(shared.resolve("p1-1"), DEVICE_BYTES);
        Run created = tarnctl(a, "create", "-o", "multihost=on", "p1", "mirror", d0.toString(), d1.toString());
        assertThat(created.exit()).as("%s", created).isZero();
        assertThat(tarnctl(a, "target", "create", "p1", "ost0", "OST").exit()).isZero();
        assertThat(tarnctl(a, "set", "comment=acknowledged", "p1").exit()).isZero();
        assertThat(tarnctl(a, "sync", "p1").exit()).isZero();
        Run managed = tarnctl(a, "ha", "manage", "p1");
        assertThat(managed.exit()).as("%s", managed).isZero();
        // a has it imported, so the placement leaves it there
        await().atMost(Duration.ofSeconds(30)).until(() -> haStatus(b).lines()
                .anyMatch(l -> l.matches("p1\\ta\\b.*")));

        // clients on the target, with b as the failover partner
        LoadTool load = LoadTool.start(dir, "ha", "ost0", List.of(targetAddress("a"), targetAddress("b")));
        try {
            await().atMost(Duration.ofSeconds(90)).until(() -> load.ackedBy("a") > 300);
            servers.get("a").destroyForcibly(); // SIGKILL: no export, no goodbye to ZooKeeper
            assertThat(servers.get("a").waitFor(20, TimeUnit.SECONDS)).isTrue();
            // nobody imports by hand: b takes the lease once a's session expires, imports, mounts ost0
            try {
                await().atMost(Duration.ofSeconds(90)).until(() -> load.ackedBy("b") > 300);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("no load on b; ha status on b:\n" + haStatus(b) + "\npools on b:\n"
                        + tarnctl(b, "list").out() + "\ntargets on b:\n" + tarnctl(b, "targets").out()
                        + "\nload tool output:\n" + Files.readString(load.log) + "\nb's log:\n"
                        + Files.readString(dir.resolve("b").resolve("server.log")), e);
            }
            Map<String, Object> report = load.stopAndVerify();
            LoadTool.assertZeroLoss(report, "a", "b");
            System.out.println("PERF standalone server ZooKeeper failover after SIGKILL (session " + SESSION_MILLIS
                    + " ms, multihost on): " + report.get("failoverMillis") + " ms from a's last acknowledged write"
                    + " to b's first new one, " + report.get("ackedWrites") + " acknowledged writes checked, 0 lost");
        } finally {
            load.process.destroyForcibly();
        }
        assertThat(haStatus(b).lines()).anyMatch(l -> l.matches("p1\\tb\\b.*"));
        assertThat(tarnctl(b, "get", "-H", "comment", "p1").out()).contains("acknowledged");
        Run status = tarnctl(b, "target", "status", "p1", "ost0");
        assertThat(status.out()).as("%s", status).contains("complete");
    }

    @Test
    void a_restarted_server_does_not_import_a_pool_the_other_server_took_neg() throws Exception {
        zk = zookeeper();
        Path shared = Files.createDirectories(dir.resolve("shared"));
        String a = start("a", shared);
        String b = start("b", shared);
        Path d0 = FileVdevDriver.createSparseFile(shared.resolve("p2-0"), DEVICE_BYTES);
        assertThat(tarnctl(a, "create", "p2", d0.toString()).exit()).isZero();
        assertThat(tarnctl(a, "ha", "manage", "p2").exit()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> haStatus(b).lines()
                .anyMatch(l -> l.matches("p2\\ta\\b.*")));
        servers.get("a").destroyForcibly();
        assertThat(servers.get("a").waitFor(20, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> haStatus(b).lines()
                .anyMatch(l -> l.matches("p2\\tb\\b.*")));

        // a comes back with p2 in its cache file: the labels name b's host, and the lease is b's
        String again = start("a", shared);
        assertThat(haStatus(again).lines()).anyMatch(l -> l.matches("p2\\tb\\b.*"));
        assertThat(tarnctl(again, "list", "-H").out().lines()).noneMatch(l -> l.startsWith("p2\t"));
        assertThat(tarnctl(b, "list", "-H").out().lines()).anyMatch(l -> l.startsWith("p2\t"));
        Run status = tarnctl(b, "status", "p2");
        assertThat(status.out()).contains("ONLINE");
    }
}
