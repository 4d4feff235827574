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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.cli.TarnCtl;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Zero-loss failover, end to end: two real server processes on one machine
 * share a device directory; the load tool ({@code tarnctl load}) runs in a
 * third process with four clients that write through the target protocol to
 * target {@code ost0} on server A, with B as its failover partner. Server A
 * then fails, (1) by hung devices and a force export, (2) by SIGKILL; B
 * imports the pool with force, mounts the target, recovery runs, and the
 * clients carry on against B. Afterwards the load tool checks every
 * acknowledged write: none may be lost, duplicated or out of order.
 */
class TargetFailoverLoadTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final long DEVICE_BYTES = 128L * 1024 * 1024;

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    record Run(int exit, String out, String err) {
    }

    /** A server process: its Jolokia URL and its target protocol port. */
    record Server(String name, Process process, String jolokia, int targetPort) {
    }

    @AfterEach
    void stopAll() {
        processes.forEach(Process::destroyForcibly);
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

    private static void ok(Run r) {
        assertThat(r.exit()).as("%s", r).isZero();
    }

    private Process java(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    private Server server(String name, Path shared, boolean faults) throws Exception {
        Path data = Files.createDirectories(dir.resolve(name));
        int jolokia = freePort();
        int target = freePort();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=" + jolokia
                + "\ntarget.server.port=" + target + "\ntarget.server.name=" + name + "\nsearch.paths=" + shared
                + "\ndefault.pool=\nfault.injection=" + faults + "\nio.timeout.millis=60000\n"
                + "target.recovery.window.millis=20000\n");
        Process p = java(data.resolve("server.log"), "org.tarn.dist.TarnServer", "--data", data.toString());
        String url = "http://127.0.0.1:" + jolokia + "/jolokia";
        return new Server(name, p, url, target);
    }

    private static void awaitUp(Server s) {
        await("server " + s.name()).atMost(WAIT).ignoreExceptions().until(() -> tarnctl(s.jolokia(), "list").exit() == 0);
    }

    /** Runs one failover under load; {@code fail} fails server A. Returns the load tool's report. */
    private Map<String, Object> failoverUnderLoad(String kind, FailA fail) throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Server a = server("hostA", shared, true);
        Server b = server("hostB", shared, false);
        awaitUp(a);
        awaitUp(b);
        Path d0 = FileVdevDriver.createSparseFile(shared.resolve("ost1-0"), DEVICE_BYTES);
        Path d1 = FileVdevDriver.createSparseFile(shared.resolve("ost1-1"), DEVICE_BYTES);
        ok(tarnctl(a.jolokia(), "create", "ost1", "mirror", "fault:" + d0, "fault:" + d1));
        ok(tarnctl(a.jolokia(), "target", "create", "ost1", "ost0", "OST"));
        ok(tarnctl(a.jolokia(), "sync", "ost1"));

        LoadTool load = LoadTool.start(dir, kind, "ost0", List.of("127.0.0.1:" + a.targetPort(),
                "127.0.0.1:" + b.targetPort()));
        processes.add(load.process);
        await("load on hostA").atMost(WAIT).until(() -> load.ackedBy("hostA") > 300);

        fail.fail(a, d0, d1);
        Run taken = tarnctl(b.jolokia(), "import", "-f", "ost1");
        assertThat(taken.exit()).as("%s", taken).isZero();

        // the clients carry on against B
        try {
            await("load on hostB").atMost(WAIT).until(() -> load.ackedBy("hostB") > 300);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no load on hostB; load tool output:\n" + Files.readString(load.log)
                    + "\nhostB log:\n" + Files.readString(dir.resolve("hostB").resolve("server.log")), e);
        }
        Map<String, Object> r = load.stopAndVerify();
        // recovery ran on B and ended because every client replayed, not at its deadline
        Run status = tarnctl(b.jolokia(), "target", "status", "ost1", "ost0");
        assertThat(status.out()).as("%s", status).contains("complete").contains("finished replay");
        return r;
    }

    @FunctionalInterface
    interface FailA {
        void fail(Server a, Path d0, Path d1) throws Exception;
    }

    @Test
    void hung_devices_and_a_force_export_on_A_lose_no_acknowledged_write_pos() throws Exception {
        Map<String, Object> r = failoverUnderLoad("hung", (a, d0, d1) -> {
            ok(tarnctl(a.jolokia(), "inject", "hang-writes", d0.toString()));
            ok(tarnctl(a.jolokia(), "inject", "hang-writes", d1.toString()));
            // a sync that hangs on the devices: writes go on until the dirty data fills up
            CompletableFuture<Run> stuck = CompletableFuture.supplyAsync(() -> tarnctl(a.jolokia(), "sync", "ost1"));
            await().atMost(WAIT).until(() -> tarnctl(a.jolokia(), "inject", "hung", d0.toString()).out().trim()
                    .matches("[1-9][0-9]*"));
            ok(tarnctl(a.jolokia(), "export", "-F", "ost1"));
            assertThat(stuck.get(30, TimeUnit.SECONDS).err()).contains("TARN-11");
        });
        LoadTool.assertZeroLoss(r, "hostA", "hostB");
        System.out.println("PERF target failover after hung devices and a force export on A: " + r.get("failoverMillis")
                + " ms from A's last ack to B's first new one (includes the hang set-up and import -f)");
        assertThat(((Number) r.get("replays")).longValue()).as("%s", r).isPositive();
    }

    @Test
    void a_sigkill_of_A_loses_no_acknowledged_write_pos() throws Exception {
        Map<String, Object> r = failoverUnderLoad("sigkill", (a, d0, d1) -> {
            a.process().destroyForcibly();
            assertThat(a.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        });
        LoadTool.assertZeroLoss(r, "hostA", "hostB");
        System.out.println("PERF target failover after a SIGKILL of A (multihost off): " + r.get("failoverMillis")
                + " ms from A's last ack to B's first new one");
    }
}
