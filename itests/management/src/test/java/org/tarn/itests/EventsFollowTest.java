package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tarn.cli.TarnCtl;
import org.tarn.dist.ServerFixture;

/**
 * {@code tarnctl events -f} against the real server: over Jolokia HTTP
 * (pull-mode notifications) and over remote JMX (a notification listener) at
 * once, each line read as tarnctl writes it; and tarnctl as its own process,
 * stopped by a signal the way Ctrl-C stops it.
 */
class EventsFollowTest {
    private static final String MANAGER = "tarn:type=PoolManager";

    private Path data;
    private ServerFixture server;
    private final ExecutorService runners = Executors.newFixedThreadPool(2);
    private Process cli;

    @AfterEach
    void stop() {
        runners.shutdownNow();
        if (cli != null) {
            cli.destroyForcibly();
        }
        if (server != null) {
            server.close();
        }
        TestFiles.deleteTree(data);
    }

    /** What tarnctl has written so far, readable while it writes. */
    static final class LiveOutput extends Writer {
        private final StringBuffer text = new StringBuffer();

        @Override
        public void write(char[] buf, int off, int len) {
            text.append(buf, off, len);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        String text() {
            return text.toString();
        }
    }

    /** A running {@code tarnctl events -f}: its thread, output and exit status. */
    record Follower(Future<Integer> exit, LiveOutput out, LiveOutput err, Thread[] thread) {
        int stop() throws Exception {
            thread[0].interrupt();
            return exit.get(30, TimeUnit.SECONDS);
        }
    }

    private Follower follow(String... args) {
        LiveOutput out = new LiveOutput();
        LiveOutput err = new LiveOutput();
        Thread[] thread = new Thread[1];
        Future<Integer> exit = runners.submit(() -> {
            thread[0] = Thread.currentThread();
            return TarnCtl.run(args, new PrintWriter(out), new PrintWriter(err), null, Map.of());
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> thread[0] != null);
        return new Follower(exit, out, err, thread);
    }

    private static JolokiaHttp.Response ok(JolokiaHttp.Response r) {
        assertThat(r.status()).as("Jolokia status of %s", r.body()).isEqualTo(200);
        return r;
    }

    @Test
    void follow_over_jolokia_and_remote_jmx_sees_create_export_import_pos() throws Exception {
        data = Files.createTempDirectory("tarn-follow");
        server = ServerFixture.start(data, true, true);
        JolokiaHttp jolokia = new JolokiaHttp(server.jolokiaUrl());
        Follower overJolokia = follow("--jolokia", server.jolokiaUrl(), "events", "-f");
        Follower overJmx = follow("--jmx", server.jmxUrl(), "events", "-f", "ost0");
        // the history of tank first (Jolokia follows every pool; JMX only ost0, not yet there)
        await().atMost(Duration.ofSeconds(30)).until(() -> overJolokia.out().text().contains(" tank      created"));
        await().atMost(Duration.ofSeconds(30)).until(() -> overJmx.err().text().contains("'ost0' is not imported"));

        List<String> d = server.newDevices("ost0", 1);
        ok(jolokia.exec(MANAGER, "createPool", "ost0", d.get(0), ""));
        ok(jolokia.exec(MANAGER, "exportPool", "ost0", false));
        for (Follower f : List.of(overJolokia, overJmx)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> f.out().text().contains(" ost0      exported"));
            assertThat(f.exit()).isNotDone();
        }
        ok(jolokia.exec(MANAGER, "importPool", "ost0", "dir=" + server.devicesDir()));
        ok(jolokia.exec(MANAGER, "forceExport", "ost0"));
        for (Follower f : List.of(overJolokia, overJmx)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> f.out().text().contains(" ost0      force-exported"));
            assertThat(f.out().text()).containsSubsequence(" ost0      created", " ost0      exported", " ost0      imported",
                    " ost0      force-exported");
        }
        assertThat(overJmx.out().text()).doesNotContain(" tank ");

        assertThat(overJolokia.stop()).isZero();
        assertThat(overJmx.stop()).isZero();
        assertThat(overJolokia.err().text()).isEmpty();
    }

    @Test
    void follow_as_a_process_prints_lines_as_they_happen_and_stops_on_a_signal_pos() throws Exception {
        data = Files.createTempDirectory("tarn-follow-proc");
        server = ServerFixture.start(data, false, true);
        JolokiaHttp jolokia = new JolokiaHttp(server.jolokiaUrl());
        String java = ProcessHandle.current().info().command().orElse("java");
        cli = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.tarn.cli.Main",
                "--jolokia", server.jolokiaUrl(), "events", "-f", "-H", "tank")
                .redirectError(data.resolve("cli.err").toFile()).start();
        StringBuffer lines = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(cli.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.append(line).append('\n');
                }
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        }, "tarnctl-stdout");
        reader.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> lines.toString().contains("\ttank\tcreated"));
        ok(jolokia.exec("tarn:type=Pool,name=\"tank\"", "forceExport"));
        await().atMost(Duration.ofSeconds(30)).until(() -> lines.toString().contains("\ttank\tforce-exported"));
        assertThat(cli.isAlive()).isTrue();

        // SIGTERM runs the same shutdown hook as Ctrl-C (SIGINT): the loop stops and unsubscribes
        cli.destroy();
        assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(10_000);
        assertThat(Files.readString(data.resolve("cli.err"))).isEmpty();
        assertThat(lines.toString().lines()).allSatisfy(l -> assertThat(l.split("\t")).hasSize(4));
    }
}
