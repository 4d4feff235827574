package org.tarn.engine.crash;

import static org.assertj.core.api.Assertions.assertThat;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.VdevLayout;
import org.tarn.engine.TestPools;
import org.tarn.engine.Engine;

/**
 * Crash consistency: a child JVM ({@link CrashWriter}) writes to a pool under
 * load and is killed with SIGKILL at a random moment; the pool must then open
 * at a transaction group no older than the newest one the child saw synced,
 * with exactly the contents of that group. The next cycle writes on.
 *
 * <p>The parent learns the group the pool comes back at from a read-only
 * open (which writes nothing), rebuilds the expected contents from the
 * child's journal up to that group, and checks them; every other cycle it also
 * opens the pool writable, checks again and exports it cleanly, otherwise the
 * next child opens the crashed pool itself.
 *
 * <p>{@code -Dtarn.crash.cycles=300} runs more cycles; {@code -Dtarn.crash.seed}
 * picks the seed (printed in every assertion message).
 */
class CrashConsistencyTest {
    private static final int CYCLES = Integer.getInteger("tarn.crash.cycles", 5);
    private static final long SEED = Long.getLong("tarn.crash.seed", 0xc4a5_11L);
    private static final long DEVICE_BYTES = 64L * 1024 * 1024;
    private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    @Test
    void every_txg_reported_synced_survives_sigkill_pos() throws Exception {
        Random rnd = new Random(SEED);
        TestPools.devices(dir, CrashWriter.DEVICE_NAMES.size(), DEVICE_BYTES);
        List<String> devices = CrashWriter.devices(dir);
        long expectedOpenTxg;
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("crashpool", VdevLayout.parse(CrashWriter.layout(dir)), Map.of(
                    PoolProperty.TXG_TIMEOUT_MILLIS, "20",
                    PoolProperty.TXG_DIRTY_LIMIT_BYTES, Integer.toString(1024 * 1024),
                    PoolProperty.DIRTY_MAX_BYTES, Integer.toString(8 * 1024 * 1024),
                    PoolProperty.RECORD_SIZE_BYTES, "16384",
                    PoolProperty.FAILMODE, "continue"), false);
            pool.createDataset(CrashWriter.DATASET);
            engine.exportPool("crashpool", false);
            expectedOpenTxg = pool.syncedTxg();
        }
        Map<Long, byte[]> model = new TreeMap<>();
        long applied = 0;
        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            long childSeed = rnd.nextLong();
            String ctx = "seed=" + SEED + " cycle " + cycle;
            Path journal = dir.resolve("journal-" + cycle);
            Child child = Child.start(dir, journal, childSeed, dir.resolve("child-" + cycle + ".err"));
            int syncs = rnd.nextInt(8); // 0: kill while the child opens the pool and starts writing
            try {
                await(ctx + ": child reports " + syncs + " synced txgs").atMost(CHILD_TIMEOUT)
                        .until(() -> child.openedTxg.get() >= 0 && child.synced.size() >= syncs
                                || !child.process.isAlive());
                child.assertAlive(ctx);
                if (syncs > 0) {
                    long more = Files.size(journal) + rnd.nextInt(16 * 1024);
                    await(ctx + ": journal grows to " + more + " bytes").atMost(CHILD_TIMEOUT)
                            .until(() -> Files.size(journal) >= more || !child.process.isAlive());
                    child.assertAlive(ctx);
                }
            } finally {
                child.kill();
            }
            // a writable open may sync a txg of its own (claiming the pool) before it returns
            assertThat(child.openedTxg.get()).as("%s: txg the child opened the pool at", ctx)
                    .isGreaterThanOrEqualTo(expectedOpenTxg);
            long lastReported = child.synced.isEmpty() ? child.openedTxg.get()
                    : child.synced.get(child.synced.size() - 1);
            List<Change> changes = Change.parse(journal);

            long txg;
            Map<Long, byte[]> expected;
            try (Engine engine = TestPools.engine(drivers)) {
                Pool pool = engine.openPool(devices, true);
                txg = pool.syncedTxg();
                String at = ctx + " (last reported synced " + lastReported + ", opened read-only at " + txg + ")";
                assertThat(txg).as("%s: every txg the child saw synced is on disk", at)
                        .isGreaterThanOrEqualTo(lastReported);
                expected = copy(model);
                long n = 0;
                for (Change c : changes) {
                    if (c.txg <= txg) {
                        c.applyTo(expected);
                        n++;
                    }
                }
                if (!child.synced.isEmpty()) {
                    assertThat(n).as("%s: changes of synced txgs in the journal", at).isPositive();
                }
                System.out.printf("%s: opened at %d, last reported synced %d; %d changes kept, %d lost%n",
                        ctx, txg, lastReported, n, changes.size() - n);
                applied += n;
                verify(pool, expected, at);
                engine.exportPool(pool.name(), false);
            }
            if (cycle % 2 == 0) {
                try (Engine engine = TestPools.engine(drivers)) {
                    Pool pool = engine.openPool(devices, false);
                    String at = ctx + " (opened writable after read-only at " + txg + ")";
                    assertThat(pool.syncedTxg()).as(at).isGreaterThanOrEqualTo(txg);
                    verify(pool, expected, at);
                    long live = expected.values().stream().mapToLong(b -> b.length).sum();
                    assertThat(pool.allocatedBytes()).as("%s: allocated bytes with %d bytes of objects", at, live)
                            .isLessThanOrEqualTo(live + 32L * 1024 * 1024);
                    // objects the next child creates get another block size; older ones keep theirs
                    pool.setProperty(PoolProperty.RECORD_SIZE_BYTES, List.of("4096", "16384", "131072").get(
                            rnd.nextInt(3)));
                    engine.exportPool(pool.name(), false);
                    expectedOpenTxg = pool.syncedTxg();
                }
            } else {
                expectedOpenTxg = txg;
            }
            model = expected;
        }
        assertThat(applied).as("changes checked").isGreaterThan(CYCLES);
    }

    /**
     * Object ids are handed out in memory, so an object created in a later
     * group can get a lower id than one created in an earlier group. When the
     * pool comes back at the earlier group, the lower id's dnode slot was never
     * written (zeros) while a higher one was: it must read as free.
     */
    @Test
    void id_created_in_a_lost_txg_below_a_synced_id_reads_as_free_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        long lowId;
        long highId;
        try (Engine engine = TestPools.engine(drivers)) {
            // default txg timeout: only the sync() below closes a group
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("ds");
            try (Dataset ds = pool.openDataset("ds")) {
                org.tarn.api.Transaction early = pool.begin();
                long earlyTxg = early.txg();
                Thread syncer = new Thread(pool::sync, "syncer");
                syncer.start();
                await("txg " + earlyTxg + " closes").atMost(Duration.ofSeconds(10))
                        .until(() -> pool.openTxg() > earlyTxg);
                org.tarn.api.Transaction late = pool.begin();
                assertThat(late.txg()).isGreaterThan(earlyTxg);
                lowId = ds.createObject(late); // lost: its group never syncs
                highId = ds.createObject(early);
                ds.write(early, highId, 0, ByteBuffer.wrap(new byte[] {42}));
                early.commit();
                syncer.join(10_000);
                assertThat(pool.syncedTxg()).isEqualTo(earlyTxg);
                assertThat(highId).isGreaterThan(lowId);
                engine.forceExport("tank"); // like a crash: group late.txg() is discarded
            }
            Pool again = engine.openPool(d, false);
            assertThat(again.syncedTxg()).isGreaterThanOrEqualTo(pool.syncedTxg());
            try (Dataset ds = again.openDataset("ds")) {
                assertThat(ds.exists(lowId)).isFalse();
                assertThat(ds.exists(highId)).isTrue();
                assertThat(ds.objects()).containsExactly(highId);
            }
        }
    }

    private static Map<Long, byte[]> copy(Map<Long, byte[]> model) {
        Map<Long, byte[]> out = new TreeMap<>();
        model.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    private static void verify(Pool pool, Map<Long, byte[]> expected, String ctx) {
        assertThat(pool.datasets()).as("%s: datasets", ctx).containsExactly(CrashWriter.DATASET);
        try (Dataset ds = pool.openDataset(CrashWriter.DATASET)) {
            assertThat(ds.objects()).as("%s: objects", ctx).containsExactlyElementsOf(expected.keySet());
            for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
                long id = e.getKey();
                byte[] want = e.getValue();
                assertThat(ds.size(id)).as("%s: size of object %d", ctx, id).isEqualTo(want.length);
                ByteBuffer got = ByteBuffer.allocate(want.length);
                while (got.hasRemaining() && ds.read(id, got.position(), got) > 0) {
                    // read on
                }
                int at = Arrays.mismatch(want, got.array());
                assertThat(at).as("%s: object %d differs from byte %d on", ctx, id, at).isEqualTo(-1);
            }
        }
    }

    /** One line of the journal. */
    record Change(char kind, long txg, long id, long offset, int len, long dataSeed) {
        static List<Change> parse(Path journal) throws IOException {
            if (!Files.exists(journal)) {
                return List.of();
            }
            String text = Files.readString(journal, StandardCharsets.US_ASCII);
            int end = text.lastIndexOf('\n');
            List<Change> out = new ArrayList<>();
            if (end < 0) {
                return out;
            }
            for (String line : text.substring(0, end).split("\n")) {
                String[] f = line.split(" ");
                char kind = f[0].charAt(0);
                long txg = Long.parseLong(f[1]);
                long id = Long.parseLong(f[2]);
                out.add(kind == 'W'
                        ? new Change(kind, txg, id, Long.parseLong(f[3]), Integer.parseInt(f[4]), Long.parseLong(f[5]))
                        : new Change(kind, txg, id, 0, 0, 0));
            }
            return out;
        }

        void applyTo(Map<Long, byte[]> model) {
            switch (kind) {
                case 'C' -> {
                    assertThat(model).as("object %d created twice", id).doesNotContainKey(id);
                    model.put(id, new byte[0]);
                }
                case 'F' -> assertThat(model.remove(id)).as("freed object %d", id).isNotNull();
                case 'W' -> {
                    byte[] cur = model.get(id);
                    int newEnd = Math.toIntExact(offset + len);
                    if (newEnd > cur.length) {
                        cur = Arrays.copyOf(cur, newEnd);
                        model.put(id, cur);
                    }
                    System.arraycopy(CrashWriter.content(dataSeed, len), 0, cur, (int) offset, len);
                }
                default -> throw new AssertionError("bad journal line kind " + kind);
            }
        }
    }

    /** A running {@link CrashWriter} and what it printed. */
    private static final class Child {
        final Process process;
        final Path stderr;
        final AtomicLong openedTxg = new AtomicLong(-1);
        final List<Long> synced = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Thread reader;

        private Child(Process process, Path stderr) {
            this.process = process;
            this.stderr = stderr;
            this.reader = new Thread(this::readStdout, "crash-child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(Path dir, Path journal, long seed, Path stderr) throws IOException {
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(),
                    dir.toString(), journal.toString(), Long.toString(seed));
            pb.redirectError(stderr.toFile());
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            return new Child(pb.start(), stderr);
        }

        private void readStdout() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("OPENED ")) {
                        openedTxg.set(Long.parseLong(line.substring(7).trim()));
                    } else if (line.startsWith("SYNCED ")) {
                        synced.add(Long.parseLong(line.substring(7).trim()));
                    }
                }
            } catch (IOException e) {
                // the pipe closes when the child dies
            }
        }

        void assertAlive(String ctx) throws IOException {
            if (!process.isAlive()) {
                throw new AssertionError(ctx + ": the writer exited on its own with status " + process.exitValue()
                        + "; its stderr:\n" + tail(stderr));
            }
        }

        /** SIGKILL, then wait until everything it printed has been read. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
            reader.join(CHILD_TIMEOUT.toMillis());
        }

        private static String tail(Path file) throws IOException {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        }
    }
}
