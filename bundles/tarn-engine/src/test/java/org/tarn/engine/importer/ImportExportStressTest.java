package org.tarn.engine.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.CommitCallback;
import org.tarn.api.CommitStatus;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.ImportablePool;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.engine.pool.Spa;
import org.tarn.engine.Engine;
import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Several pools in one engine, several threads doing random writes, syncs,
 * clean exports, force exports, imports and scans on them at once.
 *
 * <p>Every failure must be a {@link TarnException} with one of the codes a
 * race can explain ({@link #EXPECTED}); nothing may hang. The model is of
 * what is <em>durable</em>: each write replaces the whole content of one
 * object and remembers what its transaction group's commit callback said.
 * An object's content on disk (or in memory) must be the content of its
 * newest COMMITTED write or of any write after it; with no COMMITTED write it
 * may also be absent. ABORTED or unreported writes may or may not have
 * landed, since a group can reach the disk in the instant before a force
 * export discards it.
 *
 * <p>The seed is random per run and printed in every message; rerun with
 * {@code -Dtarn.stress.seed=N} (thread scheduling still varies). Each kind of
 * failure the random run has found has a minimal reproduction below it.
 */
class ImportExportStressTest {
    private static final int POOLS = 3;
    private static final int THREADS = 4;
    private static final long RUN_MILLIS = 15_000;
    /** How long after the run every thread must have finished its last operation. */
    private static final long JOIN_DEADLINE_MILLIS = 30_000;
    private static final int MAX_OBJECTS_PER_POOL = 150;
    private static final int MAX_OBJECT_BYTES = 16 * 1024;
    private static final long DEVICE_BYTES = 32L * 1024 * 1024;
    private static final String DATASET = "ds";
    private static final Set<ErrorCode> EXPECTED = EnumSet.of(ErrorCode.POOL_NOT_FOUND, ErrorCode.POOL_EXPORTED,
            ErrorCode.POOL_EXISTS, ErrorCode.IN_PROGRESS, ErrorCode.BUSY);
    /** What injected device faults may legitimately cause besides: suspension (failmode=continue), I/O errors. */
    private static final Set<ErrorCode> FAULT_OUTCOMES = EnumSet.of(ErrorCode.POOL_SUSPENDED, ErrorCode.IO_ERROR,
            ErrorCode.TIMED_OUT);

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    /** One write of an object's whole content, and what became of its transaction group. */
    static final class Version implements CommitCallback {
        final long seq;
        volatile byte[] content;
        final AtomicReference<CommitStatus> status = new AtomicReference<>();
        volatile boolean committedTx;
        final LongAdder calls = new LongAdder();
        /** The txg and the pool incarnation (identity of the Pool object) the write went to. */
        volatile String where = "";
        volatile long callbackTxg;

        Version(long seq, byte[] content) {
            this.seq = seq;
            this.content = content;
        }

        @Override
        public void onCommit(long txg, CommitStatus s) {
            calls.increment();
            callbackTxg = txg;
            status.set(s);
        }

        @Override
        public String toString() {
            return "#" + seq + "(" + content.length + " bytes, " + status.get() + " @" + callbackTxg + where + ")";
        }
    }

    /** The writes of one pool, by object id, oldest first. */
    static final class PoolModel {
        final String name;
        final Map<Long, List<Version>> objects = new TreeMap<>();

        PoolModel(String name) {
            this.name = name;
        }

        synchronized void add(long id, Version v) {
            objects.computeIfAbsent(id, k -> new ArrayList<>()).add(v);
        }

        synchronized int size() {
            return objects.size();
        }

        synchronized long randomId(Random rnd) {
            List<Long> ids = new ArrayList<>(objects.keySet());
            return ids.get(rnd.nextInt(ids.size()));
        }

        synchronized List<Version> versions(long id) {
            return new ArrayList<>(objects.getOrDefault(id, List.of()));
        }

        synchronized Set<Long> ids() {
            return new HashSet<>(objects.keySet());
        }

        synchronized List<Version> all() {
            List<Version> out = new ArrayList<>();
            objects.values().forEach(out::addAll);
            return out;
        }
    }

    private long seed;
    private Engine engine;
    private final Map<String, PoolModel> models = new TreeMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final AtomicLong versionSeq = new AtomicLong();
    /** Whether the run injects device faults (pools on fault: devices, imported through the fault driver). */
    private boolean faults;
    /** Releases injected hangs a little later, so the run goes on. */
    private final java.util.concurrent.ScheduledExecutorService releaser =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    private final Map<String, List<String>> devices = new ConcurrentHashMap<>();

    @Test
    void random_writes_syncs_exports_force_exports_imports_and_scans_pos() throws Exception {
        run(false);
    }

    /**
     * The same, with device faults among the operations: write errors on one
     * side of a mirror, writes that hang until released a moment later, and
     * clears. Every pool must still end imported and verified or importable
     * and verified, every committed transaction's callback must run once,
     * and nothing may hang past the join deadline.
     */
    @Test
    void random_operations_with_device_errors_and_hangs_pos() throws Exception {
        run(true);
    }

    private void run(boolean withFaults) throws Exception {
        faults = withFaults;
        seed = Long.getLong("tarn.stress.seed", new Random().nextLong());
        Random setup = new Random(seed);
        engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(withFaults ? 2_000 : 10_000)
                .withShutdownExportMillis(5_000), drivers.list());
        try {
            for (int p = 0; p < POOLS; p++) {
                String name = "p" + p;
                List<String> devs = new ArrayList<>();
                for (int m = 0; m < 2; m++) {
                    Path f = dir.resolve(name + "-d" + m);
                    FileVdevDriver.createSparseFile(f, DEVICE_BYTES);
                    devs.add((withFaults ? "fault:" : "") + f);
                }
                devices.put(name, devs);
                Pool pool = engine.createPool(name, VdevLayout.parse("mirror " + String.join(" ", devs)),
                        // no fault is injected, so a suspension is a failure: continue reports it at once
                        // (POOL_SUSPENDED) where wait would park the threads until the join deadline
                        Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, Integer.toString(50 + setup.nextInt(300)),
                                PoolProperty.FAILMODE, "continue"), false);
                pool.createDataset(DATASET);
                pool.sync();
                models.put(name, new PoolModel(name));
            }

            List<Thread> threads = new ArrayList<>();
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS);
            for (int t = 0; t < THREADS; t++) {
                Random rnd = new Random(seed * 31 + t);
                Thread th = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        step(rnd);
                    }
                }, "stress-" + t);
                th.setDaemon(true);
                threads.add(th);
            }
            threads.forEach(Thread::start);
            long joinBy = end + TimeUnit.MILLISECONDS.toNanos(JOIN_DEADLINE_MILLIS);
            for (Thread th : threads) {
                th.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
            }
            for (Thread th : threads) {
                if (th.isAlive()) {
                    fail(th.getName() + " still running " + JOIN_DEADLINE_MILLIS + " ms after the end:\n"
                            + stack(th));
                }
            }
            assertThat(counts.getOrDefault("write", new LongAdder()).sum())
                    .as("seed %d: writes done %s", seed, counts).isPositive();
            if (withFaults) {
                assertThat(counts.getOrDefault("fault", new LongAdder()).sum())
                        .as("seed %d: faults injected %s", seed, counts).isPositive();
                // the devices recover: suspended pools resume with their parked groups
                releaser.shutdownNow();
                devices.values().forEach(ds -> ds.forEach(d -> drivers.fault.injector(d).clear()));
                for (String name : models.keySet()) {
                    engine.pool(name).ifPresent(p -> {
                        try {
                            p.clear();
                        } catch (TarnException gone) {
                            counts.computeIfAbsent("final clear:" + gone.code(), k -> new LongAdder()).increment();
                        }
                    });
                }
            }

            // verification goes on after unexpected outcomes, so one run reports everything it found
            for (PoolModel model : models.values()) {
                try {
                    verifyAndCycle(model, setup);
                } catch (Throwable e) {
                    fail("verifying " + model.name + ": " + trace(e));
                }
            }
        } finally {
            releaser.shutdownNow();
            engine.close();
        }
        // every transaction that committed was in a group that synced or was discarded: its callback ran
        List<String> silent = new ArrayList<>();
        for (PoolModel m : models.values()) {
            for (Version v : m.all()) {
                if (v.committedTx && v.calls.sum() != 1) {
                    silent.add(m.name + " " + v + " callbacks=" + v.calls.sum());
                }
            }
        }
        if (!silent.isEmpty()) {
            fail("commit callbacks not called exactly once for committed transactions: " + silent);
        }
        // for the report: what the run did (surefire keeps it in the test's output file)
        System.out.println("seed " + seed + (faults ? " with faults" : "") + ": " + new TreeMap<>(counts));
        assertThat(failures).as("seed %d, operations %s", seed, counts).isEmpty();
    }

    // ---- minimal reproductions of what the random run found ------------------------------------

    /**
     * Object ids handed out in group T+1 while a writer still held group T:
     * T's object set records the next object id past them, but their dnode
     * slots stay zero. After a force export discards T+1 and the pool is
     * imported again, a zero slot does not read as a free dnode:
     * DnodePhys.decode takes it for a block pointer on vdev 0 with checksum
     * type 0, and exists() and objects() fail with IllegalArgumentException
     * ("unknown checksum type 0", ChecksumType.byId via BlockPointer.decode).
     * Found failing at 3354674; passes since 55c11c7 (DnodePhys.decode reads a
     * zero slot as FREE), kept as a regression test.
     */
    @Test
    void ids_of_a_discarded_group_read_as_free_after_import_neg() throws Exception {
        List<String> devs = TestPools.devices(dir, 1, DEVICE_BYTES);
        try (Engine e = TestPools.engine(drivers)) {
            Pool pool = e.createPool("tank", VdevLayout.parse(devs.get(0)),
                    Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000"), false);
            pool.createDataset(DATASET);
            pool.sync();
            long inNewer;
            long inOlder;
            try (Dataset ds = pool.openDataset(DATASET)) {
                Transaction older = pool.begin();
                long t = older.txg();
                CompletableFuture<Void> sync =
                        CompletableFuture.runAsync(pool::sync);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> pool.openTxg() > t);
                Transaction newer = pool.begin();
                inNewer = ds.createObject(newer);
                inOlder = ds.createObject(older);
                ds.write(older, inOlder, 0, ByteBuffer.wrap(new byte[] {42}));
                older.commit();
                sync.get(10, TimeUnit.SECONDS);
                newer.commit();
            }
            assertThat(inNewer).isLessThan(inOlder);
            e.forceExport("tank");

            Pool again = e.importPool("tank", ImportOptions.parse("dir=" + dir));
            try (Dataset ds = again.openDataset(DATASET)) {
                assertThat(ds.objects()).containsExactly(inOlder);
                assertThat(ds.exists(inNewer)).as("object %d of the discarded group", inNewer).isFalse();
                assertThat(ds.exists(inOlder)).isTrue();
            }
        }
    }

    /**
     * A clean export waiting for its sync while a force export abandons the
     * sync's I/O. Spa.forceExport calls io.abandon before txgs.abort, so the
     * sync thread can see its writes fail with POOL_EXPORTED while the group
     * is not yet aborted: TxgManager.syncWithRetry then suspends the pool
     * (event "suspended", listener.suspended) and the exporter, waiting with
     * failWhenSuspended, fails with POOL_SUSPENDED "suspended: ... was
     * force-exported" instead of POOL_EXPORTED. With failmode=export the
     * spurious suspension even starts a second force export. Found failing at
     * 3354674; passes since 6357a86, kept as a regression test (see the next
     * test for the same race one step later, still open).
     */
    @Test
    void clean_export_racing_a_force_export_fails_with_pool_exported_and_never_suspends_neg() throws Exception {
        List<String> devs = TestPools.devices(dir, 1, DEVICE_BYTES);
        String dev = "fault:" + devs.get(0);
        List<String> wrong = new ArrayList<>();
        try (Engine e = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(60_000),
                drivers.list())) {
            for (int i = 0; i < 30; i++) {
                drivers.fault.injector(dev).clear();
                Pool pool = e.createPool("tank", VdevLayout.parse(dev),
                        Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000"), true);
                pool.createDataset(DATASET);
                try (Dataset ds = pool.openDataset(DATASET); Transaction tx = pool.begin()) {
                    for (int k = 0; k < 64; k++) {
                        ds.write(tx, ds.createObject(tx), 0, ByteBuffer.wrap(new byte[8192]));
                    }
                }
                drivers.fault.injector(dev).add(FaultRule.hang()
                        .on(FaultRule.Op.WRITE));
                CompletableFuture<Throwable> export =
                        CompletableFuture.supplyAsync(() -> {
                            try {
                                e.exportPool("tank", false);
                                return null;
                            } catch (Throwable t) {
                                return t;
                            }
                        });
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> drivers.fault.injector(dev).hungCount() > 0
                                && pool.state() == PoolState.EXPORTING);
                e.forceExport("tank");
                Throwable t = export.get(10, TimeUnit.SECONDS);
                List<String> events = pool.events().stream().map(PoolEvent::type).toList();
                if (!(t instanceof TarnException te && te.code() == ErrorCode.POOL_EXPORTED)
                        || events.contains("suspended")) {
                    wrong.add("round " + i + ": export ended with " + t + "; events " + events);
                }
            }
            drivers.fault.injector(dev).clear();
        }
        assertThat(wrong).as("rounds where the racing clean export did not end cleanly in POOL_EXPORTED")
                .isEmpty();
    }

    /**
     * The same race one step later: a writer holds the open group when the
     * clean export starts, so the export's sync waits for it; the writer
     * commits, that group's sync hangs, and a force export overtakes the
     * export. Found failing: stopClean reported IO_ERROR "sync thread stopped
     * with txg N unsynced" (it checked {@code aborted}, which force export
     * sets only after io.abandon). Expected: POOL_EXPORTED, every round.
     */
    @Test
    void clean_export_waiting_for_its_last_group_ends_in_pool_exported_when_force_exported_neg() throws Exception {
        List<String> devs = TestPools.devices(dir, 1, DEVICE_BYTES);
        String dev = "fault:" + devs.get(0);
        List<String> wrong = new ArrayList<>();
        try (Engine e = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(60_000),
                drivers.list())) {
            for (int i = 0; i < 15; i++) {
                drivers.fault.injector(dev).clear();
                Pool pool = e.createPool("tank", VdevLayout.parse(dev),
                        Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000"), true);
                pool.createDataset(DATASET);
                long obj;
                try (Dataset ds = pool.openDataset(DATASET); Transaction tx = pool.begin()) {
                    obj = ds.createObject(tx);
                }
                pool.sync();
                Transaction late = pool.begin();
                try (Dataset ds = pool.openDataset(DATASET)) {
                    for (int k = 0; k < 32; k++) {
                        ds.write(late, obj, k * 8192L, ByteBuffer.wrap(new byte[8192]));
                    }
                }
                AtomicReference<CommitStatus> lateStatus = new AtomicReference<>();
                late.onCommit((t, st) -> lateStatus.set(st));
                CompletableFuture<Throwable> export = CompletableFuture.supplyAsync(() -> {
                    try {
                        e.exportPool("tank", false);
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                });
                // the export waits for the writer's hold on the group it must sync
                await().atMost(Duration.ofSeconds(10)).until(() -> pool.state() == PoolState.EXPORTING);
                drivers.fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
                late.commit();
                await().atMost(Duration.ofSeconds(10)).until(() -> drivers.fault.injector(dev).hungCount() > 0);
                e.forceExport("tank");
                Throwable t = export.get(10, TimeUnit.SECONDS);
                if (!(t instanceof TarnException te && te.code() == ErrorCode.POOL_EXPORTED)) {
                    wrong.add("round " + i + ": export ended with " + t);
                }
                if (lateStatus.get() != CommitStatus.ABORTED) {
                    wrong.add("round " + i + ": the writer's callback said " + lateStatus.get());
                }
            }
            drivers.fault.injector(dev).clear();
        }
        assertThat(wrong).as("rounds where the clean export did not end in POOL_EXPORTED").isEmpty();
    }

    /**
     * exportPool(name, false) refuses open handles under its state lock, logs
     * the "exporting" event, and then closes every handle it finds (Spa.export:
     * openHandles().forEach(DatasetHandle::close) runs whatever force says).
     * A handle opened in between is closed under its user, who gets
     * INVALID_ARGUMENT "dataset handle is closed" though it closed nothing and
     * no forced export ran. Expected: such a handle is refused, or fails with
     * BUSY, or dies with POOL_EXPORTED when the export completes.
     *
     * <p>The window is held open white-box: Spa.event appends the
     * "exporting" event under {@code synchronized (events)}, so holding that
     * monitor parks the exporter right after its check.
     */
    @Test
    void non_forced_export_never_closes_a_handle_opened_beside_it_neg() throws Exception {
        List<String> devs = TestPools.devices(dir, 1, DEVICE_BYTES);
        String dev = "fault:" + devs.get(0);
        try (Engine e = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(60_000),
                drivers.list())) {
            Pool pool = e.createPool("tank", VdevLayout.parse(dev), Map.of(), false);
            pool.createDataset(DATASET);
            long obj;
            try (Dataset ds = pool.openDataset(DATASET); Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
            }
            pool.sync();
            Field eventsField = Spa.class.getDeclaredField("events");
            eventsField.setAccessible(true);
            Object eventLog = eventsField.get(pool);
            // the export's sync will hang, so the export is still running when the handle is used
            drivers.fault.injector(dev).add(FaultRule.hang()
                    .on(FaultRule.Op.WRITE));
            CompletableFuture<Throwable> export;
            Dataset opened;
            synchronized (eventLog) {
                export = CompletableFuture.supplyAsync(() -> {
                    try {
                        e.exportPool("tank", false);
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                });
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> pool.state() == PoolState.EXPORTING);
                try {
                    opened = pool.openDataset(DATASET);
                } catch (TarnException refused) {
                    assertThat(refused.code()).isIn(ErrorCode.BUSY, ErrorCode.POOL_EXPORTED);
                    drivers.fault.injector(dev).clear();
                    return;
                }
            }
            // the exporter is past its handle check and its close pass, and waits in its sync
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> drivers.fault.injector(dev).hungCount() > 0);
            Dataset ds = opened;
            Throwable use = catchThrowable(() -> ds.exists(obj));
            drivers.fault.injector(dev).clear();
            Throwable exportOutcome = export.get(20, TimeUnit.SECONDS);
            if (use != null) {
                assertThat(use).as("using a handle opened while a non-forced export ran (export ended with %s)",
                        exportOutcome).isInstanceOf(TarnException.class);
                assertThat(((TarnException) use).code()).as("%s", use.getMessage())
                        .isIn(ErrorCode.POOL_EXPORTED, ErrorCode.BUSY);
            }
        }
    }

    /**
     * importPool scans the labels first and reserves the name after
     * (Engine.importPool: scan, then load -> reserve). When the same
     * pool is imported here, changed and exported in between, the import goes
     * on from the stale labels and uberblocks it scanned: it imports at an old
     * txg, and its first syncs overwrite the newer uberblocks, silently
     * undoing committed, cleanly exported changes. The scan is held open by a
     * second device, named directly, whose reads hang until the scan's
     * deadline (the engine's I/O timeout).
     */
    @Test
    void import_racing_an_export_of_the_same_pool_never_rolls_back_committed_txgs_neg() throws Exception {
        Path devDir = Files.createDirectories(dir.resolve("devs"));
        List<String> devs = TestPools.devices(devDir, 1, DEVICE_BYTES);
        String watched = "fault:" + devs.get(0);
        Path slowFile = dir.resolve("slow");
        FileVdevDriver.createSparseFile(slowFile, DEVICE_BYTES);
        String slow = "fault:" + slowFile;
        drivers.fault.injector(slow).add(FaultRule.hang()
                .on(FaultRule.Op.READ));
        try (Engine e = TestPools.engine(drivers)) {
            Pool pool = e.createPool("tank", VdevLayout.parse(devs.get(0)), Map.of(), false);
            pool.createDataset(DATASET);
            long obj;
            try (Dataset ds = pool.openDataset(DATASET); Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
                ds.write(tx, obj, 0, ByteBuffer.wrap(new byte[] {1}));
            }
            pool.sync();

            CompletableFuture<Object> importer = CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return e.importPool("tank", ImportOptions.defaults().withDirs(List.of(watched, slow)));
                        } catch (Throwable t) {
                            return t;
                        }
                    });
            // the scan has read all 4 labels and rings of the pool's device, and waits for the slow one
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> drivers.fault.injector(watched).ioCount(FaultRule.Op.READ) >= 8
                            && drivers.fault.injector(slow).hungCount() > 0);
            try (Dataset ds = pool.openDataset(DATASET); Transaction tx = pool.begin()) {
                ds.write(tx, obj, 0, ByteBuffer.wrap(new byte[] {2}));
            }
            pool.sync();
            long committed = pool.syncedTxg();
            e.exportPool("tank", false);

            Object outcome = importer.get(30, TimeUnit.SECONDS);
            if (outcome instanceof Throwable t) {
                // refusing (and asking for a retry) would be sound; only a stale import is wrong
                assertThat(t).isInstanceOf(TarnException.class);
                return;
            }
            Pool again = (Pool) outcome;
            assertThat(again.syncedTxg()).as("imported txg; txg %d was synced and exported before", committed)
                    .isGreaterThanOrEqualTo(committed);
            try (Dataset ds = again.openDataset(DATASET)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ds.read(obj, 0, b);
                assertThat(b.get(0)).as("the byte written in txg %d", committed).isEqualTo((byte) 2);
            }
        } finally {
            drivers.fault.injector(slow).clear();
        }
    }

    /**
     * Transaction.onCommit promises a call once the group synced or was
     * discarded. Registered after a force export discarded the group, the
     * callback is stored in a map nobody reads again (TxgManager.Tx.onCommit
     * does not look at {@code aborted}) and never runs, nor does onCommit fail.
     */
    @Test
    void commit_callback_registered_after_force_export_is_still_answered_neg() throws Exception {
        List<String> devs = TestPools.devices(dir, 1, DEVICE_BYTES);
        try (Engine e = TestPools.engine(drivers)) {
            Pool pool = e.createPool("tank", VdevLayout.parse(devs.get(0)), Map.of(), false);
            Transaction tx = pool.begin();
            e.forceExport("tank");
            AtomicReference<CommitStatus> seen = new AtomicReference<>();
            Throwable refused = catchThrowable(
                    () -> tx.onCommit((txg, status) -> seen.set(status)));
            tx.commit();
            if (refused != null) {
                assertThat(refused).isInstanceOf(TarnException.class);
                assertThat(((TarnException) refused).code()).isEqualTo(ErrorCode.POOL_EXPORTED);
            } else {
                assertThat(seen.get()).as("callback of a discarded group").isEqualTo(CommitStatus.ABORTED);
            }
        }
    }

    /**
     * A transaction with a commit callback but no changes, begun before a
     * clean export and committed while the export waits for its sync. Found
     * failing: TxgManager.hasPendingChanges looked at dirty bytes, directory
     * changes and holds, not at callbacks, so that group was neither synced
     * nor discarded and the callback never ran, although the export
     * succeeded. And a transaction begun while the pool is exporting is
     * refused with BUSY instead of joining a group nobody will sync.
     */
    @Test
    void clean_export_answers_the_callbacks_of_transactions_committed_during_it_neg() throws Exception {
        List<String> devs = TestPools.devices(dir, 1, DEVICE_BYTES);
        String dev = "fault:" + devs.get(0);
        try (Engine e = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(60_000),
                drivers.list())) {
            Pool pool = e.createPool("tank", VdevLayout.parse(dev), Map.of(), false);
            Transaction tx = pool.begin();
            long txg = tx.txg();
            AtomicReference<String> seen = new AtomicReference<>();
            drivers.fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            CompletableFuture<Throwable> export =
                    CompletableFuture.supplyAsync(() -> {
                        try {
                            e.exportPool("tank", false);
                            return null;
                        } catch (Throwable t) {
                            return t;
                        }
                    });
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.state() == PoolState.EXPORTING);
            assertThatThrownBy(pool::begin).isInstanceOfSatisfying(TarnException.class,
                    ex -> assertThat(ex.code()).isEqualTo(ErrorCode.BUSY));
            tx.onCommit((t, status) -> seen.set(t + " " + status));
            tx.commit();
            await().atMost(Duration.ofSeconds(10)).until(() -> drivers.fault.injector(dev).hungCount() > 0);
            drivers.fault.injector(dev).clear();
            assertThat(export.get(20, TimeUnit.SECONDS)).as("the export").isNull();
            assertThat(pool.state()).isEqualTo(PoolState.EXPORTED);
            assertThat(seen.get()).as("callback of txg %d after the export returned", txg)
                    .isEqualTo(txg + " " + CommitStatus.COMMITTED);
        }
    }

    /**
     * The same with changes: a writer that begins a transaction in the instant
     * after a clean export's sync thread has stopped and before the pool is
     * marked exported gets its begin, writes and commit accepted, and then
     * neither a sync nor a discard: no callback ever runs and the change is
     * dropped without an error. Bounded: rounds of import, writer, export for
     * up to 10 s, stopping at the first silent callback.
     */
    @Test
    void writes_committed_around_a_clean_export_always_get_their_callback_neg() throws Exception {
        List<String> devs = TestPools.devices(dir, 1, DEVICE_BYTES);
        List<String> silent = new CopyOnWriteArrayList<>();
        int rounds = 0;
        try (Engine e = TestPools.engine(drivers)) {
            Pool first = e.createPool("tank", VdevLayout.parse(devs.get(0)), Map.of(), false);
            first.createDataset(DATASET);
            long obj;
            try (Dataset ds = first.openDataset(DATASET); Transaction tx = first.begin()) {
                obj = ds.createObject(tx);
            }
            e.exportPool("tank", false);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < end && silent.isEmpty()) {
                rounds++;
                Pool pool = e.importPool("tank", ImportOptions.parse("dir=" + dir));
                AtomicBoolean stop = new AtomicBoolean();
                List<LongAdder> calls = new CopyOnWriteArrayList<>();
                CompletableFuture<Void> writer =
                        CompletableFuture.runAsync(() -> {
                            while (!stop.get()) {
                                LongAdder n = new LongAdder();
                                try (Dataset ds = pool.openDataset(DATASET); Transaction tx = pool.begin()) {
                                    tx.onCommit((t, s) -> n.increment());
                                    ds.write(tx, obj, 0, ByteBuffer.wrap(new byte[100]));
                                    tx.commit();
                                    calls.add(n);
                                } catch (TarnException ex) {
                                    // POOL_EXPORTED ends the round; INVALID_ARGUMENT "handle is closed" is
                                    // non_forced_export_never_closes_a_handle_opened_beside_it_neg
                                    return;
                                }
                            }
                        });
                while (true) {
                    try {
                        e.exportPool("tank", false);
                        break;
                    } catch (TarnException busy) {
                        assertThat(busy.code()).isEqualTo(ErrorCode.BUSY);
                    }
                }
                stop.set(true);
                writer.get(10, TimeUnit.SECONDS);
                long lost = calls.stream().filter(n -> n.sum() != 1).count();
                if (lost > 0) {
                    silent.add("round " + rounds + ": " + lost + " of " + calls.size()
                            + " committed transactions got no callback");
                }
            }
        }
        assertThat(silent).as("after %d rounds", rounds).isEmpty();
    }

    // ---- operations ------------------------------------------------------------

    private void step(Random rnd) {
        String name = "p" + rnd.nextInt(POOLS);
        int dice = rnd.nextInt(100);
        String op = dice < 45 ? "write" : dice < 58 ? "sync" : dice < 68 ? "export" : dice < 78 ? "forceExport"
                : dice < 93 ? "import" : "scan";
        if (faults && rnd.nextInt(100) < 12) {
            op = "fault";
        }
        try {
            switch (op) {
                case "write" -> write(name, rnd);
                case "sync" -> engine.pool(name).ifPresent(Pool::sync);
                case "export" -> engine.exportPool(name, false);
                case "forceExport" -> engine.forceExport(name);
                case "import" -> importPool(name, rnd);
                case "fault" -> fault(name, rnd);
                default -> scan();
            }
            counts.computeIfAbsent(op, k -> new LongAdder()).increment();
        } catch (TarnException e) {
            if (EXPECTED.contains(e.code()) || (faults && FAULT_OUTCOMES.contains(e.code()))) {
                counts.computeIfAbsent(op + ":" + e.code(), k -> new LongAdder()).increment();
            } else {
                fail(op + " " + name + ": unexpected " + e.code() + " " + e.getMessage() + "\n" + trace(e));
            }
        } catch (Throwable e) {
            fail(op + " " + name + ": unexpected " + trace(e));
        }
    }

    private void write(String name, Random rnd) {
        Optional<Pool> found = engine.pool(name);
        if (found.isEmpty()) {
            return;
        }
        Pool pool = found.get();
        PoolModel model = models.get(name);
        boolean overwrite = model.size() >= MAX_OBJECTS_PER_POOL || (model.size() > 0 && rnd.nextInt(3) == 0);
        try (Dataset ds = pool.openDataset(DATASET); Transaction tx = pool.begin()) {
            Version v = new Version(versionSeq.incrementAndGet(), new byte[0]);
            tx.onCommit(v);
            v.where = ", txg " + tx.txg() + " of pool@" + Integer.toHexString(System.identityHashCode(pool));
            // one writer per pool model at a time, so that the order of an object's versions in the model
            // is the order in which they were applied
            synchronized (model) {
                if (overwrite) {
                    long id = model.randomId(rnd);
                    if (!ds.exists(id)) {
                        return; // created in a group that was discarded; a later create may reuse the id
                    }
                    byte[] content = new byte[(int) ds.size(id)];
                    rnd.nextBytes(content);
                    ds.write(tx, id, 0, ByteBuffer.wrap(content));
                    v.content = content;
                    model.add(id, v);
                } else {
                    byte[] content = new byte[1 + rnd.nextInt(MAX_OBJECT_BYTES)];
                    rnd.nextBytes(content);
                    long id = ds.createObject(tx);
                    // created but not yet written: if the write fails, the group holds an empty object
                    model.add(id, v);
                    ds.write(tx, id, 0, ByteBuffer.wrap(content));
                    v.content = content;
                }
            }
            tx.commit();
            v.committedTx = true;
        }
    }

    /** One device fault on one side of the pool's mirror: a few failed writes, a short hang, or a clear. */
    private void fault(String name, Random rnd) {
        String dev = devices.get(name).get(rnd.nextInt(2));
        org.tarn.vdev.fault.FaultInjector injector = drivers.fault.injector(dev);
        int kind = rnd.nextInt(10);
        if (kind < 4) {
            injector.add(FaultRule.error().on(FaultRule.Op.WRITE).times(1 + rnd.nextInt(4)));
        } else if (kind < 7) {
            injector.add(FaultRule.hang().on(FaultRule.Op.WRITE).once());
            long releaseAfter = 50 + rnd.nextInt(400);
            releaser.schedule(injector::releaseHangs, releaseAfter, TimeUnit.MILLISECONDS);
        } else {
            injector.clear();
        }
    }

    private void importPool(String name, Random rnd) {
        if (faults) {
            // through the fault driver, so faults keep reaching the pool (forced, as openPool is)
            engine.openPool(devices.get(name), false);
            return;
        }
        ImportOptions opts = ImportOptions.defaults().withDirs(List.of(dir.toString())).withForce(rnd.nextBoolean());
        engine.importPool(name, opts);
    }

    private void scan() {
        ImportScan scan = engine.scan(List.of(dir.toString()));
        List<String> names = scan.pools().stream().map(ImportablePool::name).sorted().toList();
        // pools imported here are not listed, and imports run beside the scan: only a subset can be checked
        if (!models.keySet().containsAll(names) || !scan.skipped().isEmpty()) {
            fail("scan found " + names + ", skipped " + scan.skipped());
        }
    }

    // ---- verification ------------------------------------------------------------

    /** Verifies the pool where it is, then takes it through an export (clean or forced) and an import. */
    private void verifyAndCycle(PoolModel model, Random rnd) {
        String name = model.name;
        Pool pool = engine.pool(name).orElse(null);
        if (pool != null) {
            verify(model, pool, "in memory");
            if (rnd.nextBoolean()) {
                engine.exportPool(name, false);
            } else {
                engine.forceExport(name);
            }
        }
        ImportScan scan = engine.scan(List.of(dir.toString()));
        List<ImportablePool> found = scan.pools().stream().filter(p -> p.name().equals(name)).toList();
        if (found.size() != 1 || !found.get(0).importable()) {
            fail("seed " + seed + ": pool " + name + " not importable after the run: " + scan);
            return;
        }
        Pool again = engine.importPool(name, ImportOptions.defaults().withDirs(List.of(dir.toString())));
        verify(model, again, "after export and import");
    }

    private void verify(PoolModel model, Pool pool, String when) {
        try (Dataset ds = pool.openDataset(DATASET)) {
            Set<Long> listed = null;
            try {
                listed = new HashSet<>(ds.objects());
            } catch (RuntimeException e) {
                fail("seed " + seed + ": pool " + model.name + " " + when + ": objects() failed: " + trace(e));
            }
            for (long id : model.ids()) {
                // one object at a time, so that an object that cannot be read does not hide the others
                try {
                    verifyObject(model, ds, id, listed, when);
                } catch (RuntimeException e) {
                    fail("seed " + seed + ": pool " + model.name + " " + when + ", object " + id + ": " + trace(e));
                }
            }
            if (listed != null) {
                listed.removeAll(model.ids());
                if (!listed.isEmpty()) {
                    fail("seed " + seed + ": pool " + model.name + " " + when + " has objects no write created: "
                            + listed);
                }
            }
        }
    }

    private void verifyObject(PoolModel model, Dataset ds, long id, Set<Long> listed, String when) {
        List<Version> versions = model.versions(id);
        int newestCommitted = -1;
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i).status.get() == CommitStatus.COMMITTED) {
                newestCommitted = i;
            }
        }
        List<Version> allowed = versions.subList(Math.max(0, newestCommitted), versions.size());
        String what = "seed " + seed + ": pool " + model.name + " " + when + ", object " + id + ", versions "
                + versions;
        boolean exists = ds.exists(id);
        if (listed != null && listed.contains(id) != exists) {
            fail(what + ": exists() says " + exists + " but objects() " + (exists ? "omits" : "lists") + " it");
        }
        if (!exists) {
            if (newestCommitted >= 0) {
                fail(what + ": missing, though version " + versions.get(newestCommitted) + " was committed");
            }
            return;
        }
        byte[] actual = new byte[(int) ds.size(id)];
        if (actual.length > 0) {
            ds.read(id, 0, ByteBuffer.wrap(actual));
        }
        if (allowed.stream().noneMatch(v -> Arrays.equals(v.content, actual))) {
            List<Version> same = versions.stream().filter(v -> Arrays.equals(v.content, actual)).toList();
            fail(what + ": content (" + actual.length + " bytes) matches none of " + allowed
                    + (same.isEmpty() ? "" : "; it is the content of " + same));
        }
    }

    /**
     * Records an unexpected outcome: the first few of each kind (the message
     * with its numbers blanked), so that a frequent failure does not hide a
     * rare one; the rest are only counted.
     */
    private void fail(String what) {
        String head = what.lines().findFirst().orElse("").replaceAll("@[0-9a-f]+", "@#").replaceAll("[0-9]+", "#");
        String kind = head.substring(0, Math.min(100, head.length()));
        LongAdder seen = counts.computeIfAbsent("unexpected: " + kind, k -> new LongAdder());
        seen.increment();
        if (seen.sum() <= 3) {
            failures.add(what);
        }
    }

    private static String trace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    private static String stack(Thread t) {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement el : t.getStackTrace()) {
            sb.append("\tat ").append(el).append('\n');
        }
        return sb.toString();
    }
}
