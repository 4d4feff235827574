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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;

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
    private static final Pattern PROGRESS = Pattern.compile("acked (\\d+) by server \\{(.*)\\}");

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

    /** Acknowledgements so far by server name, from the load tool's last progress line. */
    private static Map<String, Long> progress(Path log) throws IOException {
        Map<String, Long> out = new java.util.HashMap<>();
        List<String> lines = Files.readAllLines(log);
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher m = PROGRESS.matcher(lines.get(i));
            if (m.find()) {
                for (String kv : m.group(2).split(",\\s*")) {
                    if (kv.contains("=")) {
                        out.put(kv.substring(0, kv.indexOf('=')).trim(), Long.parseLong(kv.substring(kv.indexOf('=')
                                + 1).trim()));
                    }
                }
                return out;
            }
        }
        return out;
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

        Path stop = dir.resolve("stop-" + kind);
        Path report = dir.resolve("report-" + kind + ".json");
        Path loadLog = dir.resolve("load-" + kind + ".log");
        Process load = java(loadLog, "org.tarn.cli.Main", "load", "--servers",
                "127.0.0.1:" + a.targetPort() + ",127.0.0.1:" + b.targetPort(), "--target", "ost0", "--clients", "4",
                "--record-bytes", "1024", "--seconds", "3", "--stop-file", stop.toString(), "--max-seconds", "150",
                "--report", report.toString());
        await("load on hostA").atMost(WAIT).until(() -> progress(loadLog).getOrDefault("hostA", 0L) > 300);

        fail.fail(a, d0, d1);
        Run taken = tarnctl(b.jolokia(), "import", "-f", "ost1");
        assertThat(taken.exit()).as("%s", taken).isZero();

        // the clients carry on against B
        try {
            await("load on hostB").atMost(WAIT).until(() -> progress(loadLog).getOrDefault("hostB", 0L) > 300);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no load on hostB; load tool output:\n" + Files.readString(loadLog)
                    + "\nhostB log:\n" + Files.readString(dir.resolve("hostB").resolve("server.log")), e);
        }
        Files.writeString(stop, "stop\n");
        assertThat(load.waitFor(120, TimeUnit.SECONDS)).as("the load tool ends").isTrue();
        String out = Files.readString(loadLog);
        assertThat(Files.exists(report)).as(out).isTrue();
        @SuppressWarnings("unchecked")
        Map<String, Object> r = new ObjectMapper().readValue(report.toFile(), Map.class);
        assertThat(load.exitValue()).as(out).isZero();
        // recovery ran on B and ended because every client replayed, not at its deadline
        Run status = tarnctl(b.jolokia(), "target", "status", "ost1", "ost0");
        assertThat(status.out()).as("%s", status).contains("complete").contains("finished replay");
        return r;
    }

    @FunctionalInterface
    interface FailA {
        void fail(Server a, Path d0, Path d1) throws Exception;
    }

    private static void assertZeroLoss(Map<String, Object> r) {
        assertThat(((Number) r.get("lost")).longValue()).as("%s", r).isZero();
        assertThat(((Number) r.get("duplicated")).longValue()).as("%s", r).isZero();
        assertThat(((Number) r.get("outOfOrder")).longValue()).as("%s", r).isZero();
        assertThat(((Number) r.get("clientErrors")).longValue()).as("%s", r).isZero();
        assertThat(((Number) r.get("ackedWrites")).longValue()).as("%s", r).isGreaterThan(300);
        assertThat(((Map<?, ?>) r.get("ackedByServer")).keySet().stream().map(Object::toString).toList()).as("%s", r)
                .contains("hostA", "hostB");
        assertThat(((Number) r.get("failoverMillis")).longValue()).as("%s", r).isPositive();
        assertThat(((Number) r.get("failovers")).longValue()).as("%s", r).isGreaterThanOrEqualTo(4);
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
        assertZeroLoss(r);
        assertThat(((Number) r.get("replays")).longValue()).as("%s", r).isPositive();
    }

    @Test
    void a_sigkill_of_A_loses_no_acknowledged_write_pos() throws Exception {
        Map<String, Object> r = failoverUnderLoad("sigkill", (a, d0, d1) -> {
            a.process().destroyForcibly();
            assertThat(a.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        });
        assertZeroLoss(r);
    }
}
