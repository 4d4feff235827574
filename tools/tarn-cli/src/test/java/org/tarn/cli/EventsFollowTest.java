package org.tarn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.Writer;
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
import org.junit.jupiter.api.io.TempDir;

/** {@code tarnctl events -f} over an in-process JMX connection: lines appear as events happen. */
class EventsFollowTest {
    @TempDir
    Path dir;

    private final ExecutorService runner = Executors.newSingleThreadExecutor();
    private volatile Thread running;

    @AfterEach
    void stop() {
        runner.shutdownNow();
    }

    /** A writer the test can read while tarnctl is still writing to it. */
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

        List<String> lines() {
            return text().lines().toList();
        }
    }

    /** Starts {@code tarnctl ARGS} on the runner thread; its output can be read while it runs. */
    private Future<Integer> start(Backend backend, LiveOutput out, LiveOutput err, String... args) {
        return runner.submit(() -> {
            running = Thread.currentThread();
            return TarnCtl.run(args, new PrintWriter(out), new PrintWriter(err), backend, Map.of());
        });
    }

    /** What Ctrl-C does through tarnctl's shutdown hook: interrupts the following thread. */
    private int stopFollowing(Future<Integer> follow) throws Exception {
        running.interrupt();
        return follow.get(30, TimeUnit.SECONDS);
    }

    @Test
    void follow_prints_history_then_export_and_reimport_as_they_happen_pos() throws Exception {
        try (CliFixture fx = new CliFixture(dir)) {
            List<String> d = fx.devices(2);
            assertThat(fx.run("create", "tank", "mirror", d.get(0), d.get(1)).exit()).isZero();
            LiveOutput out = new LiveOutput();
            LiveOutput err = new LiveOutput();
            Future<Integer> follow = start(fx.backend, out, err, "events", "-f");
            await().atMost(Duration.ofSeconds(30)).until(() -> out.text().contains(" tank      created"));
            assertThat(out.lines().get(0)).startsWith("TIME").contains("POOL", "CLASS", "DETAIL");

            assertThat(fx.run("export", "tank").exit()).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> out.text().contains(" tank      exported"));
            assertThat(follow).isNotDone();
            // it keeps following the manager: the pool's import shows up too
            assertThat(fx.run("import", "-d", dir.toString(), "tank").exit()).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> out.text().contains(" tank      imported"));

            assertThat(stopFollowing(follow)).isZero();
            assertThat(err.text()).isEmpty();
            // each event once, in order
            List<String> classes = out.lines().stream().skip(1).map(l -> l.split("\\s+")[2]).toList();
            assertThat(classes).containsSubsequence("created", "exported", "imported");
            assertThat(classes.stream().filter("created"::equals)).hasSize(1);
        }
    }

    @Test
    void follow_one_pool_skips_the_others_and_scripted_mode_uses_tabs_pos() throws Exception {
        try (CliFixture fx = new CliFixture(dir)) {
            List<String> d = fx.devices(2);
            LiveOutput out = new LiveOutput();
            LiveOutput err = new LiveOutput();
            Future<Integer> follow = start(fx.backend, out, err, "events", "-f", "-H", "ost1");
            // not imported yet: a note, and the pool's events once it appears
            await().atMost(Duration.ofSeconds(30)).until(() -> err.text().contains("'ost1' is not imported here"));
            assertThat(fx.run("create", "ost0", d.get(0)).exit()).isZero();
            assertThat(fx.run("create", "ost1", d.get(1)).exit()).isZero();
            assertThat(fx.run("export", "-F", "ost1").exit()).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> out.text().contains("\tost1\tforce-exported"));
            assertThat(stopFollowing(follow)).isZero();
            assertThat(out.lines()).allSatisfy(l -> assertThat(l.split("\t")).hasSize(4).contains("ost1"));
            assertThat(out.text()).doesNotContain("ost0");
        }
    }

    @Test
    void follow_ends_with_exit_0_when_interrupted_pos() throws Exception {
        try (CliFixture fx = new CliFixture(dir)) {
            LiveOutput out = new LiveOutput();
            LiveOutput err = new LiveOutput();
            Future<Integer> follow = runner.submit(() -> {
                Thread.currentThread().interrupt();
                return TarnCtl.run(new String[] {"events", "-f"}, new PrintWriter(out), new PrintWriter(err),
                        fx.backend, Map.of());
            });
            assertThat(follow.get(30, TimeUnit.SECONDS)).isZero();
            assertThat(out.lines()).hasSize(1).first().asString().startsWith("TIME");
        }
    }
}
