package org.tarn.engine.mmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.TarnException;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.testkit.HostFs;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Multihost between two hosts that share a disk and nothing else: the holder,
 * a child JVM ({@link MultihostHolder}), sees the devices through one hostfs
 * mount, this JVM (the importer) through another, so neither sees the
 * other's page cache. The importer must see the idle holder's heartbeats
 * through its uncached reads and refuse, even with force; after the holder is
 * SIGKILLed, the import goes through within the bounded activity check, at
 * the holder's last synced txg.
 */
class SeparateHostsMultihostTest {
    private static final String POOL = "mh";
    private static final long SEED = 77;
    private static final Duration CHILD_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<HostFs> mounts = new ArrayList<>();
    private Process holder;

    @BeforeAll
    static void fuseIsThere() {
        assertThat(HostFs.unavailableReason()).as("hostfs prerequisites (CI installs them in .ci/run)").isEmpty();
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        if (holder != null) {
            holder.destroyForcibly();
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        // host a's page cache may still hold writes of the killed holder: it dies with its host
        mounts.forEach(HostFs::powerCut);
    }

    @Test
    void importer_on_another_host_refuses_while_the_holder_beats_and_imports_after_sigkill_pos() throws Exception {
        Path disk = Files.createDirectories(dir.resolve("disk"));
        for (String d : List.of("d0", "d1")) {
            FileVdevDriver.createSparseFile(disk.resolve(d), 64L << 20);
        }
        HostFs a = HostFs.mount(disk, dir.resolve("host-a"), "host-a");
        mounts.add(a);
        HostFs b = HostFs.mount(disk, dir.resolve("host-b"), "host-b");
        mounts.add(b);

        List<String> lines = new CopyOnWriteArrayList<>();
        holder = startHolder(List.of(a.resolve("d0").toString(), a.resolve("d1").toString()), lines);
        String synced = awaitLine(lines, "SYNCED ");
        long txg = Long.parseLong(synced.split(" ")[1]);
        long obj = Long.parseLong(synced.split(" ")[2]);

        ImportOptions forced = ImportOptions.parse("force=true,dir=" + b.mountpoint());
        try (Engine engine = TarnEngine.start(EngineSettings.persistent(dir.resolve("state-b"))
                .withIoTimeoutMillis(20_000), List.of(new FileVdevDriver()))) {
            // host b reads the labels once through its own cache first: a buffered reader would keep seeing that
            assertThat(engine.scan(List.of(b.mountpoint().toString())).pools()).singleElement()
                    .satisfies(p -> assertThat(p.state()).isEqualTo("ACTIVE"));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> engine.importPool(POOL, forced))
                    .isInstanceOfSatisfying(TarnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE))
                    .hasMessageContaining("heartbeat moved");
            long refusedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(engine.pools()).isEmpty();
            assertThat(holder.isAlive()).isTrue();

            holder.destroyForcibly();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long killed = System.nanoTime();
            Pool pool = engine.importPool(POOL, forced);
            long importMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            System.out.printf("refused after %d ms; imported %d ms after SIGKILL (the holder gives up after %d ms; "
                    + "the check waits %d%% of that, at least %d ms)%n", refusedMillis, importMillis,
                    MultihostWriter.FAIL_INTERVALS * MultihostWriter.INTERVAL_MILLIS, ActivityCheck.SAFETY_PERCENT,
                    ActivityCheck.minimumMillis());
            assertThat(importMillis).as("import after SIGKILL, bounded by the activity check")
                    .isLessThan(3 * ActivityCheck.minimumMillis() + 10_000);
            assertThat(pool.syncedTxg()).isGreaterThanOrEqualTo(txg);
            try (Dataset ds = pool.openDataset(MultihostHolder.DATASET)) {
                byte[] want = MultihostHolder.data(SEED);
                ByteBuffer got = ByteBuffer.allocate(want.length);
                while (got.hasRemaining() && ds.read(obj, got.position(), got) > 0) {
                    // read on
                }
                assertThat(got.array()).as("the holder's synced object, read on host b").isEqualTo(want);
            }
            engine.exportPool(POOL, false);
        }
    }

    private Process startHolder(List<String> devices, List<String> lines) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), MultihostHolder.class.getName(),
                dir.resolve("state-a").toString(), POOL, Long.toString(SEED)));
        cmd.addAll(devices);
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("holder.err").toFile()).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(stdout closed: " + e + ")");
            }
        }, "holder-stdout");
        reader.setDaemon(true);
        reader.start();
        return p;
    }

    private String awaitLine(List<String> lines, String prefix) throws IOException {
        await("holder prints " + prefix).atMost(CHILD_WAIT).until(() -> lines.stream().anyMatch(
                l -> l.startsWith(prefix)) || !holder.isAlive());
        String err = Files.exists(dir.resolve("holder.err")) ? Files.readString(dir.resolve("holder.err")) : "";
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(
                "holder died: " + lines + " " + err));
    }
}
