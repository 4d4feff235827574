package org.tarn.engine.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.CommitStatus;
import org.tarn.api.Dataset;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.fault.PowerCutVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Power-loss crash safety: what a SIGKILL keeps (the page cache) a power cut
 * loses. Writers run random transactions and syncs on a pool of
 * {@link PowerCutVdevDriver} devices, whose writes since each device's last
 * flush stay in a volatile cache; at a random moment the power goes, and each
 * cached 4 KiB unit reaches the medium or not, in a random version. Another
 * engine (another host) then imports the pool with force, and:
 *
 * <ul>
 * <li>the import succeeds without rewind, at a txg no older than the newest
 *     one any transaction was told had synced (commit callback COMMITTED, or
 *     a {@code sync()} that returned);</li>
 * <li>the pool's contents at that txg are exactly the model's: every change
 *     of a txg at or below it, none above;</li>
 * <li>a read-only import at the txg before it (when that txg was synced)
 *     verifies against the model too: the deferred frees kept its blocks;</li>
 * <li>a writable import continues from there, and is the host that loses its
 *     power in the next cycle.</li>
 * </ul>
 *
 * <p>Only the engine's public API is used ({@link TarnEngine}, {@code
 * PoolManager}, {@code Pool}, {@code Dataset}) and the drivers. {@code
 * -Dtarn.powerloss.cycles=N} runs more cycles (CI runs a few), {@code
 * -Dtarn.powerloss.seed=S} picks the seed, printed with every assertion; the
 * moment of each cut also depends on timing, so a seed replays the choices,
 * not the exact interleaving.
 */
class PowerLossTest {
    private static final int CYCLES = Integer.getInteger("tarn.powerloss.cycles", 6);
    private static final long SEED = Long.getLong("tarn.powerloss.seed", System.nanoTime());
    private static final String POOL = "plpool";
    private static final String DATASET = "ds";
    private static final int WRITERS = 2;
    private static final int MAX_OBJECTS_PER_WRITER = 12;
    private static final int MAX_OBJECT_BYTES = 192 * 1024;
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final FileVdevDriver file = new FileVdevDriver();
    private final PowerCutVdevDriver power = new PowerCutVdevDriver(file);
    private final List<VdevDriver> drivers = List.of(power, file);

    @Test
    void every_txg_reported_synced_survives_a_power_cut_and_the_one_before_rewinds_pos() throws Exception {
        Random rnd = new Random(SEED);
        List<String> files = TestPools.devices(dir, 4, 32L * 1024 * 1024);
        String layout = "mirror " + cut(files.get(0)) + " " + cut(files.get(1)) + " mirror " + cut(files.get(2))
                + " " + cut(files.get(3));
        // the devices named one by one, with the driver prefix: a scan of the directory would find the bare files
        String scanDir = files.stream().map(f -> "dir=" + cut(f)).collect(Collectors.joining(","));

        var engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(5000), drivers);
        Pool pool = engine.createPool(POOL, VdevLayout.parse(layout), Map.of(
                PoolProperty.TXG_TIMEOUT_MILLIS, "15",
                PoolProperty.TXG_DIRTY_LIMIT_BYTES, Integer.toString(256 * 1024),
                PoolProperty.DIRTY_MAX_BYTES, Integer.toString(4 * 1024 * 1024),
                PoolProperty.RECORD_SIZE_BYTES, "16384",
                PoolProperty.FAILMODE, "continue"), false);
        pool.createDataset(DATASET);
        pool.sync();
        power.cut(rnd, 1.0); // nothing unflushed is lost here: only a clean start for the model
        engine.forceExport(POOL);
        engine.close();

        Map<Long, byte[]> model = new TreeMap<>();
        int rewindsVerified = 0;
        long changesChecked = 0;
        engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(5000), drivers);
        pool = engine.importPool(POOL, ImportOptions.parse("force=true," + scanDir));
        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            String ctx = "seed=" + SEED + " cycle " + cycle;
            Workload w = new Workload(pool, model, rnd.nextLong());
            long cutAfterOps = 50 + rnd.nextInt(1500);
            double keep = rnd.nextDouble();
            w.start();
            try {
                await(ctx + ": " + cutAfterOps + " operations").atMost(BOUND)
                        .until(() -> w.ops.get() >= cutAfterOps || w.failure.get() != null);
                assertThat(w.failure.get()).as("%s: a writer failed before the cut", ctx).isNull();
                w.powerGone.set(true);
                PowerCutVdevDriver.Cut c = power.cut(rnd, keep);
                System.out.printf("%s: cut after %d ops, last reported synced %d, %s%n", ctx, w.ops.get(),
                        w.reported.get(), c);
            } finally {
                w.powerGone.set(true);
                engine.forceExport(POOL); // wakes writers blocked on the dead pool
                w.stopAndJoin();
                engine.close();
            }

            long reported = w.reported.get();
            engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(5000), drivers);
            Pool ro = engine.importPool(POOL, ImportOptions.parse("force=true,readonly=true," + scanDir));
            long txg = ro.syncedTxg();
            String at = ctx + " (reported synced " + reported + ", imported at " + txg + ")";
            assertThat(txg).as("%s: every txg reported synced is on disk", at).isGreaterThanOrEqualTo(reported);
            List<Change> uncertain = w.journal.stream().filter(ch -> ch.uncertain && ch.txg <= txg).toList();
            assertThat(uncertain).as("%s: changes that failed half-way in a txg that reached the disk", at).isEmpty();
            Map<Long, byte[]> expected = w.modelAt(txg);
            changesChecked += w.journal.stream().filter(ch -> ch.txg <= txg).count();
            verify(ro, expected, at);
            engine.exportPool(POOL, false);

            long before = w.synced.stream().filter(t -> t < txg).mapToLong(Long::longValue).max().orElse(-1);
            if (before == txg - 1) {
                Pool old = engine.importPool(POOL, ImportOptions.parse("force=true,txg=" + before + "," + scanDir));
                assertThat(old.syncedTxg()).isEqualTo(before);
                verify(old, w.modelAt(before), at + ", rewound read-only to " + before);
                engine.exportPool(POOL, false);
                rewindsVerified++;
            }

            pool = engine.importPool(POOL, ImportOptions.parse("force=true," + scanDir));
            assertThat(pool.syncedTxg()).as(at + ": writable import").isGreaterThanOrEqualTo(txg);
            verify(pool, expected, at + ", writable");
            model = expected;
        }
        engine.exportPool(POOL, false);
        engine.close();
        System.out.printf("seed=%d: %d cycles, %d changes checked, %d rewinds verified%n", SEED, CYCLES,
                changesChecked, rewindsVerified);
        assertThat(changesChecked).as("seed=%d: changes that reached the disk and were checked", SEED).isPositive();
        assertThat(rewindsVerified).as("seed=%d: rewinds to the txg before the import's", SEED).isPositive();
    }

    private static String cut(String path) {
        return PowerCutVdevDriver.PREFIX + path;
    }

    private static void verify(Pool pool, Map<Long, byte[]> expected, String ctx) {
        assertThat(pool.datasets()).as("%s: datasets", ctx).containsExactly(DATASET);
        try (Dataset ds = pool.openDataset(DATASET)) {
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

    /** One change as a writer made it, in the txg its transaction joined. */
    private static final class Change {
        final char kind; // C create, W write, F free
        final long txg;
        final long id;
        final long offset;
        final byte[] data;
        /** The call threw: whether it took effect is unknown (only a cut may cause that). */
        volatile boolean uncertain;

        Change(char kind, long txg, long id, long offset, byte[] data) {
            this.kind = kind;
            this.txg = txg;
            this.id = id;
            this.offset = offset;
            this.data = data;
        }

        void applyTo(Map<Long, byte[]> model) {
            switch (kind) {
                case 'C' -> model.put(id, new byte[0]);
                case 'F' -> model.remove(id);
                case 'W' -> {
                    byte[] cur = model.get(id);
                    int end = Math.toIntExact(offset + data.length);
                    if (end > cur.length) {
                        cur = Arrays.copyOf(cur, end);
                        model.put(id, cur);
                    }
                    System.arraycopy(data, 0, cur, (int) offset, data.length);
                }
                default -> throw new AssertionError("kind " + kind);
            }
        }
    }

    /** Writer threads over one pool, journaling every change with its txg, until stopped or the power goes. */
    private static final class Workload {
        final Pool pool;
        final Map<Long, byte[]> base;
        final long seed;
        final List<Change> journal = new CopyOnWriteArrayList<>();
        final AtomicLong ops = new AtomicLong();
        final AtomicLong reported = new AtomicLong(-1);
        final ConcurrentSkipListSet<Long> synced = new ConcurrentSkipListSet<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean powerGone = new AtomicBoolean();
        final java.util.concurrent.atomic.AtomicReference<Throwable> failure =
                new java.util.concurrent.atomic.AtomicReference<>();
        final List<Thread> threads = new ArrayList<>();

        Workload(Pool pool, Map<Long, byte[]> base, long seed) {
            this.pool = pool;
            this.base = base;
            this.seed = seed;
            synced.add(pool.syncedTxg());
        }

        void start() {
            for (int t = 0; t < WRITERS; t++) {
                int writer = t;
                Random r = new Random(seed + t);
                Map<Long, Integer> mine = new TreeMap<>();
                base.forEach((id, bytes) -> {
                    if (Math.floorMod(id, WRITERS) == writer) {
                        mine.put(id, bytes.length);
                    }
                });
                Thread th = new Thread(() -> run(r, mine), "powerloss-writer-" + t);
                th.setDaemon(true);
                threads.add(th);
                th.start();
            }
        }

        void stopAndJoin() throws InterruptedException {
            powerGone.set(true);
            stop.set(true);
            for (Thread t : threads) {
                t.join(BOUND.toMillis());
                assertThat(t.isAlive()).as("writer %s stopped", t.getName()).isFalse();
            }
        }

        /** The model at {@code txg}: the base, then every change of a txg at or below it, in journal order. */
        Map<Long, byte[]> modelAt(long txg) {
            Map<Long, byte[]> m = new TreeMap<>();
            base.forEach((k, v) -> m.put(k, v.clone()));
            for (Change c : journal) {
                if (c.txg <= txg) {
                    c.applyTo(m);
                }
            }
            return m;
        }

        private void noteSynced(long txg) {
            synced.add(txg);
            reported.accumulateAndGet(txg, Math::max);
        }

        private void run(Random r, Map<Long, Integer> mine) {
            try (Dataset ds = pool.openDataset(DATASET)) {
                while (!stop.get()) {
                    if (r.nextInt(50) == 0) {
                        pool.sync();
                        noteSynced(pool.syncedTxg());
                        continue;
                    }
                    Transaction tx = pool.begin();
                    Change change = null;
                    try {
                        tx.onCommit((txg, status) -> {
                            if (status == CommitStatus.COMMITTED) {
                                noteSynced(txg);
                            }
                        });
                        int dice = r.nextInt(100);
                        if (mine.isEmpty() || (dice < 8 && mine.size() < MAX_OBJECTS_PER_WRITER)) {
                            long id = ds.createObject(tx);
                            change = new Change('C', tx.txg(), id, 0, null);
                            journal.add(change);
                            change = null;
                            mine.put(id, 0);
                        } else {
                            List<Long> ids = new ArrayList<>(mine.keySet());
                            long id = ids.get(r.nextInt(ids.size()));
                            if (dice < 11) {
                                change = new Change('F', tx.txg(), id, 0, null);
                                journal.add(change);
                                ds.freeObject(tx, id);
                                change = null;
                                mine.remove(id);
                            } else {
                                int len = 1 + r.nextInt(r.nextBoolean() ? 512 : 40_000);
                                long offset = r.nextInt(MAX_OBJECT_BYTES - len);
                                byte[] data = new byte[len];
                                r.nextBytes(data);
                                change = new Change('W', tx.txg(), id, offset, data);
                                journal.add(change);
                                ds.write(tx, id, offset, ByteBuffer.wrap(data));
                                change = null;
                                mine.merge(id, (int) (offset + len), Math::max);
                            }
                        }
                        ops.incrementAndGet();
                    } catch (RuntimeException e) {
                        if (change != null) {
                            change.uncertain = true;
                        }
                        throw e;
                    } finally {
                        tx.commit();
                    }
                }
            } catch (RuntimeException | AssertionError e) {
                if (!powerGone.get()) {
                    failure.compareAndSet(null, e);
                }
            }
        }
    }

}
