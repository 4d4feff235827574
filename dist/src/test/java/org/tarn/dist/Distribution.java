package org.tarn.dist;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The built distribution ({@code target/tarn-VERSION-bin.tar.gz}, system
 * property {@code tarn.dist.archive}) unpacked into a directory of a test,
 * and the processes a test starts from it: every one is stopped by
 * {@link #close()}.
 */
final class Distribution implements AutoCloseable {
    final Path home;
    private final List<Process> processes = new ArrayList<>();

    private Distribution(Path home) {
        this.home = home;
    }

    /** Unpacks the archive into {@code dir/name} (its top directory stripped). */
    static Distribution unpack(Path dir, String name) throws IOException, InterruptedException {
        String archive = System.getProperty("tarn.dist.archive");
        if (archive == null || !Files.exists(Path.of(archive))) {
            throw new IllegalStateException("no distribution archive (system property tarn.dist.archive: " + archive
                    + "); run the integration tests with mvn verify");
        }
        Path home = dir.resolve(name);
        Files.createDirectories(home);
        Process tar = new ProcessBuilder("tar", "-xzf", archive, "--strip-components=1", "-C", home.toString())
                .redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (tar.waitFor() != 0) {
            throw new IOException("tar -xzf " + archive + " failed: " + out);
        }
        return new Distribution(home);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    Path bin(String name) {
        return home.resolve("bin").resolve(name);
    }

    /** Starts a process in {@code cwd}, stdout and stderr into {@code log}; stopped by {@link #close()}. */
    Process start(Path cwd, Path log, Map<String, String> env, List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** Runs a command to its end (at most {@code timeout}); its exit status and output. */
    Result run(Path cwd, Map<String, String> env, Duration timeout, List<String> command)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile(cwd, "run-", ".log");
        Process p = start(cwd, log, env, command);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(command + " did not end within " + timeout + ":\n" + Files.readString(log));
        }
        processes.remove(p);
        String out = Files.readString(log);
        Files.delete(log);
        return new Result(p.exitValue(), out);
    }

    /** Waits until {@code log} contains {@code text}, failing early (with the log) when the process ends. */
    static void awaitLog(Process p, Path log, String text, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> {
            String s = Files.exists(log) ? Files.readString(log) : "";
            if (s.contains(text)) {
                return true;
            }
            if (!p.isAlive()) {
                throw new AssertionError("process ended (" + p.exitValue() + ") before printing '" + text + "':\n"
                        + s);
            }
            return false;
        });
    }

    /** SIGTERM, then the exit status (SIGKILL after {@code timeout}, failing). */
    static int stop(Process p, Duration timeout) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("process " + p.pid() + " did not stop within " + timeout + " of SIGTERM");
        }
        return p.exitValue();
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    record Result(int exit, String out) {
        @Override
        public String toString() {
            return "exit " + exit + ":\n" + out;
        }
    }
}
