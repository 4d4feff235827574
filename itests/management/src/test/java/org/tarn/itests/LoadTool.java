package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code tarnctl load} in a process of its own (the failover load tool):
 * clients writing through the target protocol to one target on a list of
 * servers, until a stop file appears; then it verifies every acknowledged
 * write and writes its JSON report.
 */
final class LoadTool {
    private static final Pattern PROGRESS = Pattern.compile("acked (\\d+) by server \\{(.*)\\}");

    final Process process;
    final Path log;
    private final Path stop;
    private final Path report;

    private LoadTool(Process process, Path log, Path stop, Path report) {
        this.process = process;
        this.log = log;
        this.stop = stop;
        this.report = report;
    }

    /** Starts 4 clients of 1 KiB records against {@code target} on {@code servers} (HOST:PORT, in order). */
    static LoadTool start(Path dir, String kind, String target, List<String> servers) throws IOException {
        Path stop = dir.resolve("stop-" + kind);
        Path report = dir.resolve("report-" + kind + ".json");
        Path log = dir.resolve("load-" + kind + ".log");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "org.tarn.cli.Main", "load", "--servers",
                String.join(",", servers), "--target", target, "--clients", "4", "--record-bytes", "1024",
                "--seconds", "3", "--stop-file", stop.toString(), "--max-seconds", "150", "--report",
                report.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new LoadTool(p, log, stop, report);
    }

    /** Acknowledgements so far by server name, from the load tool's last progress line. */
    Map<String, Long> acked() throws IOException {
        Map<String, Long> out = new HashMap<>();
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

    long ackedBy(String server) throws IOException {
        return acked().getOrDefault(server, 0L);
    }

    /** Stops the clients, waits for the verification and returns the report (the tool must exit 0). */
    Map<String, Object> stopAndVerify() throws Exception {
        Files.writeString(stop, "stop\n");
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the load tool ends").isTrue();
        String out = Files.readString(log);
        assertThat(Files.exists(report)).as(out).isTrue();
        @SuppressWarnings("unchecked")
        Map<String, Object> r = new ObjectMapper().readValue(report.toFile(), Map.class);
        assertThat(process.exitValue()).as(out).isZero();
        return r;
    }

    /** No acknowledged write lost, duplicated or out of order; both servers acknowledged some. */
    static void assertZeroLoss(Map<String, Object> r, String first, String second) {
        assertThat(((Number) r.get("lost")).longValue()).as("%s", r).isZero();
        assertThat(((Number) r.get("duplicated")).longValue()).as("%s", r).isZero();
        assertThat(((Number) r.get("outOfOrder")).longValue()).as("%s", r).isZero();
        assertThat(((Number) r.get("clientErrors")).longValue()).as("%s", r).isZero();
        assertThat(((Number) r.get("ackedWrites")).longValue()).as("%s", r).isGreaterThan(300);
        assertThat(((Map<?, ?>) r.get("ackedByServer")).keySet().stream().map(Object::toString).toList()).as("%s", r)
                .contains(first, second);
        assertThat(((Number) r.get("failoverMillis")).longValue()).as("%s", r).isPositive();
        assertThat(((Number) r.get("failovers")).longValue()).as("%s", r).isGreaterThanOrEqualTo(4);
    }
}
