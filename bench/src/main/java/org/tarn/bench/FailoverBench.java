package org.tarn.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.Engine;
import org.tarn.vdev.fault.FaultInjector;
import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Failover benchmark: how long {@code forceExport} takes on a pool whose
 * device hangs or fails, and whether a healthy pool in the same engine keeps
 * its speed while that happens.
 *
 * <ul>
 * <li><b>latency</b>: three situations, each set up afresh {@code --reps}
 *     times on a {@code fault:} device with a 60 s I/O deadline (so a hang stays
 *     a hang): (a) a sync hung on a device write, (b) failing writes with the
 *     pool SUSPENDED (failmode=wait) and its writers blocked, (c) a full dirty
 *     buffer: writers blocked at {@code dirtyMaxBytes} behind a hung sync. Timed:
 *     until {@code forceExport} returns, until {@code state()} reads EXPORTED,
 *     and until every blocked thread has come back (each must end with
 *     {@link ErrorCode#POOL_EXPORTED}).</li>
 * <li><b>throughput</b>: a healthy pool (1 MiB transactions, a sync every
 *     {@code --syncEveryMiB}) for {@code --seconds}, once with its neighbour pool
 *     idle and once with the neighbour's device hanging at T/4 and the
 *     neighbour force-exported at T/2; the pairs alternate their order.</li>
 * </ul>
 *
 * Run it through {@code bench/run-failover.sh}; see docs/PERFORMANCE.md,
 * "Force export latency".
 */
public final class FailoverBench {
    private static final long MIB = 1L << 20;
    /** Bytes each write takes from the random pattern. */
    private static final int CHUNK = 1 << 20;
    /** How long a blocked thread must have made no progress before it counts as blocked. */
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    /** Longest wait for a situation to set itself up, or for blocked threads to come back. */
    private static final long SETUP_TIMEOUT_MILLIS = 60_000;
    private static final long RETURN_TIMEOUT_MILLIS = 10_000;
    /** The goals from issue #3. */
    static final double LATENCY_GOAL_MS = 200;
    static final double THROUGHPUT_GOAL = 0.9;

    private final Settings o;
    private final PrintStream log;
    private final byte[] pattern;
    private final AtomicInteger poolSeq = new AtomicInteger();
    private final List<LatencyRow> latencyRows = new ArrayList<>();
    private final List<ThroughputPair> pairs = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<Double> loads = new ArrayList<>();

    /** One situation in which force export is timed. */
    enum Situation {
        HUNG_SYNC("a", "Device hung mid-write, sync in progress"),
        SUSPENDED("b", "Failing writes: pool SUSPENDED (failmode=wait), writers blocked"),
        FULL_DIRTY("c", "Full dirty buffer: writers blocked at dirtyMaxBytes behind a hung sync");

        final String tag;
        final String title;

        Situation(String tag, String title) {
            this.tag = tag;
            this.title = title;
        }
    }

    /** One timed force export. Times in ms from just before the call. */
    record LatencyRun(double returnMs, double exportedMs, double allReturnedMs, int blockedThreads,
                      double dirtyMiB, List<String> outcomes, int leftoverThreads, List<String> lateEvents,
                      long gcPausesMs) {
    }

    record LatencyRow(Situation situation, String setup, List<LatencyRun> runs) {
    }

    /** One run of the healthy pool. */
    record ThroughputRun(boolean disturbed, double mibPerSec, double[] windowMibPerSec, double longestStallMs,
                         double stallAroundExportMs, double maxSyncMs, int syncs, double forceExportMs,
                         String neighbourOutcome) {
    }

    record ThroughputPair(ThroughputRun alone, ThroughputRun disturbed) {
    }

    FailoverBench(Settings o, PrintStream log) {
        this.o = o;
        this.log = log;
        this.pattern = new byte[16 * CHUNK];
        new Random(42).nextBytes(pattern);
    }

    public static void main(String[] args) {
        Harness.main("failover-bench", new Settings(), args, (o, log) -> new FailoverBench(o, log).run());
    }

    /** Runs the selected parts and returns the Markdown report. */
    String run() throws IOException, InterruptedException {
        Files.createDirectories(o.dir);
        ZonedDateTime started = ZonedDateTime.now();
        loads.add(loadAverage());
        if (o.only.contains("latency")) {
            for (Situation s : Situation.values()) {
                measureLatency(s);
                loads.add(loadAverage());
            }
        }
        if (o.only.contains("throughput")) {
            measureThroughput();
            loads.add(loadAverage());
        }
        return report(started);
    }

    // ---- force export latency ----------------------------------------------

    private void measureLatency(Situation s) throws IOException, InterruptedException {
        log.println("== (" + s.tag + ") " + s.title);
        LatencyRow row = new LatencyRow(s, setupText(s), new ArrayList<>());
        for (int w = 0; w < o.warmup; w++) {
            forceExportOnce(s, true);
        }
        for (int i = 0; i < o.reps; i++) {
            LatencyRun r = forceExportOnce(s, false);
            row.runs.add(r);
            log.printf(Locale.ROOT, "   rep %d: returned %.2f ms, EXPORTED %.2f ms, %d blocked threads back %.2f ms,"
                    + " %.1f MiB dirty discarded, %d ms GC, load %.1f%s%s%n", i + 1, r.returnMs, r.exportedMs,
                    r.blockedThreads, r.allReturnedMs, r.dirtyMiB, r.gcPausesMs, loadAverage(),
                    unexpected(r.outcomes).isEmpty() ? "" : ", outcomes " + r.outcomes,
                    r.lateEvents.isEmpty() ? "" : ", events after the force export: " + r.lateEvents);
        }
        long withLate = row.runs.stream().filter(r -> !r.lateEvents.isEmpty()).count();
        if (withLate > 0) {
            String example = row.runs.stream().filter(r -> !r.lateEvents.isEmpty()).findFirst()
                    .map(r -> r.lateEvents.get(0)).orElse("");
            problem("(" + s.tag + ") in " + withLate + " of " + row.runs.size() + " reps the pool raised an event"
                    + " after the force export began, e.g. " + example);
        }
        latencyRows.add(row);
    }

    private String setupText(Situation s) {
        return switch (s) {
            case HUNG_SYNC -> String.format(Locale.ROOT, "%d MiB written in 1 MiB txs, then every device write"
                    + " hangs; %d threads each write 1 MiB and call sync()", o.hungMiB, o.writers);
            case SUSPENDED -> String.format(Locale.ROOT, "every device write fails; failmode=wait, dirtyMaxBytes"
                    + " %d MiB, txg.dirtyLimitBytes %d MiB; %d writers of 1 MiB txs + 1 thread in sync()",
                    o.suspendDirtyMaxMiB, Math.max(1, o.suspendDirtyMaxMiB / 4), o.writers);
            case FULL_DIRTY -> String.format(Locale.ROOT, "every device write hangs; dirtyMaxBytes %d MiB,"
                    + " txg.dirtyLimitBytes %d MiB; %d writers of 1 MiB txs", o.fullDirtyMaxMiB,
                    Math.max(1, o.fullDirtyMaxMiB / 4), o.writers);
        };
    }

    /** Sets up one situation from scratch, force-exports, and cleans up. */
    private LatencyRun forceExportOnce(Situation s, boolean warmup) throws IOException, InterruptedException {
        String name = "fo" + s.tag + poolSeq.incrementAndGet();
        Path file = o.dir.resolve("failover-" + name + ".img");
        Files.deleteIfExists(file);
        FileVdevDriver.createSparseFile(file, 1024 * MIB);
        String dev = FaultVdevDriver.PREFIX + file;
        FileVdevDriver files = new FileVdevDriver();
        FaultVdevDriver faults = new FaultVdevDriver(files);
        FaultInjector injector = faults.injector(dev);
        Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(o.ioTimeoutMillis),
                List.of(faults, files));
        List<Worker> workers = new ArrayList<>();
        try {
            Map<String, String> props = new LinkedHashMap<>();
            if (s == Situation.SUSPENDED) {
                props.put(PoolProperty.FAILMODE, "wait");
                props.put(PoolProperty.DIRTY_MAX_BYTES, Long.toString(o.suspendDirtyMaxMiB * MIB));
                props.put(PoolProperty.TXG_DIRTY_LIMIT_BYTES, Long.toString(Math.max(1, o.suspendDirtyMaxMiB / 4) * MIB));
            } else if (s == Situation.FULL_DIRTY) {
                props.put(PoolProperty.DIRTY_MAX_BYTES, Long.toString(o.fullDirtyMaxMiB * MIB));
                props.put(PoolProperty.TXG_DIRTY_LIMIT_BYTES, Long.toString(Math.max(1, o.fullDirtyMaxMiB / 4) * MIB));
            }
            Pool pool = engine.createPool(name, VdevLayout.parse(dev), props, false);
            pool.createDataset("data");
            pool.sync();
            Dataset ds = pool.openDataset("data");
            long[] objects = new long[o.writers];
            try (Transaction tx = pool.begin()) {
                for (int i = 0; i < objects.length; i++) {
                    objects[i] = ds.createObject(tx);
                }
            }
            pool.sync();

            BooleanSupplier ready;
            switch (s) {
                case HUNG_SYNC -> {
                    for (long off = 0; off < o.hungMiB * MIB; off += CHUNK) {
                        write(pool, ds, objects[0], off, (int) (off / CHUNK));
                    }
                    injector.add(FaultRule.hang().on(FaultRule.Op.WRITE));
                    for (int i = 0; i < o.writers; i++) {
                        long obj = objects[i];
                        long at = (o.hungMiB + i) * MIB;
                        workers.add(Worker.start(name + "-syncer-" + i, w -> {
                            write(pool, ds, obj, at, 3);
                            w.progress();
                            pool.sync();
                        }));
                    }
                    ready = () -> injector.hungCount() > 0 && allBlocked(workers);
                }
                case SUSPENDED -> {
                    injector.add(FaultRule.error().on(FaultRule.Op.WRITE));
                    addWriters(workers, name, pool, ds, objects);
                    workers.add(Worker.start(name + "-syncer", w -> pool.sync()));
                    ready = () -> pool.state() == PoolState.SUSPENDED && allBlocked(workers)
                            && pool.dirtyBytes() >= (o.suspendDirtyMaxMiB - 1) * MIB;
                }
                case FULL_DIRTY -> {
                    injector.add(FaultRule.hang().on(FaultRule.Op.WRITE));
                    addWriters(workers, name, pool, ds, objects);
                    ready = () -> injector.hungCount() > 0 && allBlocked(workers)
                            && pool.dirtyBytes() >= (o.fullDirtyMaxMiB - 1) * MIB;
                }
                default -> throw new IllegalStateException();
            }
            awaitOrFail(ready, "(" + s.tag + ") did not set up within " + SETUP_TIMEOUT_MILLIS + " ms: pool "
                    + pool.state() + ", " + pool.dirtyBytes() + " dirty bytes, " + injector.hungCount() + " hung, workers "
                    + workers, workers);
            double dirtyMiB = pool.dirtyBytes() / (double) MIB;

            System.gc();
            java.time.Instant before = java.time.Instant.now();
            long gc0 = gcMillis();
            long t0 = System.nanoTime();
            engine.forceExport(name);
            long t1 = System.nanoTime();
            while (pool.state() != PoolState.EXPORTED && System.nanoTime() - t1 < TimeUnit.SECONDS.toNanos(10)) {
                Thread.onSpinWait();
            }
            long t2 = System.nanoTime();
            long last = t2;
            long gcDuring = gcMillis() - gc0;
            List<String> outcomes = new ArrayList<>();
            for (Worker w : workers) {
                w.thread.join(RETURN_TIMEOUT_MILLIS);
                if (w.thread.isAlive()) {
                    outcomes.add("still blocked after " + RETURN_TIMEOUT_MILLIS + " ms");
                    problem("(" + s.tag + ") " + w.thread.getName() + " still blocked " + RETURN_TIMEOUT_MILLIS
                            + " ms after forceExport:\n" + stack(w.thread));
                    last = Math.max(last, System.nanoTime());
                } else {
                    outcomes.add(w.outcome());
                    last = Math.max(last, w.endNanos);
                }
            }
            if (pool.state() != PoolState.EXPORTED) {
                problem("(" + s.tag + ") pool state is " + pool.state() + " 10 s after forceExport returned");
            }
            if (engine.pools().contains(name)) {
                problem("(" + s.tag + ") the engine still lists pool '" + name + "' after forceExport");
            }
            for (String out : unexpected(outcomes)) {
                problem("(" + s.tag + ") a blocked thread ended with " + out + " instead of POOL_EXPORTED");
            }
            try {
                ds.close();
            } catch (RuntimeException e) {
                problem("(" + s.tag + ") closing a dataset handle of the force-exported pool threw " + e);
            }
            injector.clear();
            engine.close();
            int leftover = leftoverThreads(name);
            // events the pool raised after the force export began: anything but "force-exported" is spurious
            List<String> late = new ArrayList<>();
            for (PoolEvent e : pool.events()) {
                if (!e.time().isBefore(before) && !e.type().equals("force-exported")) {
                    late.add(e.type() + " (" + e.detail() + ")");
                }
            }
            return new LatencyRun((t1 - t0) / 1e6, (t2 - t0) / 1e6, (last - t0) / 1e6, workers.size(), dirtyMiB,
                    outcomes, leftover, late, gcDuring);
        } finally {
            for (Worker w : workers) {
                w.stop = true;
            }
            injector.clear();
            engine.close();
            Files.deleteIfExists(file);
        }
    }

    private void addWriters(List<Worker> workers, String name, Pool pool, Dataset ds, long[] objects) {
        for (int i = 0; i < o.writers; i++) {
            long obj = objects[i];
            workers.add(Worker.start(name + "-writer-" + i, w -> {
                for (int n = 0; !w.stop; n++) {
                    // fresh offsets (up to 1 GiB per object): a rewrite within a group adds no dirty
                    // bytes, and every write here must add 1 MiB until the pool blocks it
                    write(pool, ds, obj, (n % 1024) * (long) CHUNK, n);
                    w.progress();
                }
            }));
        }
    }

    private void write(Pool pool, Dataset ds, long obj, long offset, int n) {
        try (Transaction tx = pool.begin()) {
            ds.write(tx, obj, offset, ByteBuffer.wrap(pattern, (n % 15) * CHUNK, CHUNK));
        }
    }

    /** Every worker alive, parked, and without progress for {@link #QUIET_NANOS}. */
    private static boolean allBlocked(List<Worker> workers) {
        long now = System.nanoTime();
        for (Worker w : workers) {
            Thread.State st = w.thread.getState();
            if (st != Thread.State.WAITING && st != Thread.State.TIMED_WAITING && st != Thread.State.BLOCKED) {
                return false;
            }
            if (now - w.lastProgressNanos < QUIET_NANOS) {
                return false;
            }
        }
        return true;
    }

    private void awaitOrFail(BooleanSupplier ready, String message, List<Worker> workers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETUP_TIMEOUT_MILLIS);
        while (!ready.getAsBoolean()) {
            for (Worker w : workers) {
                if (!w.thread.isAlive()) {
                    throw new IllegalStateException("a worker ended before the pool was force-exported: "
                            + w.thread.getName() + " -> " + w.outcome(), w.failure);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(message);
            }
            Thread.sleep(20);
        }
    }

    private static List<String> unexpected(List<String> outcomes) {
        return outcomes.stream().filter(s -> !s.equals("POOL_EXPORTED")).toList();
    }

    /** Threads of pool {@code name} still alive 2 s after cleanup (a device's released I/O threads need a moment). */
    private static int leftoverThreads(String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (true) {
            int n = 0;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.isAlive() && t.getName().startsWith("tarn-" + name + "-")) {
                    n++;
                }
            }
            if (n == 0 || System.nanoTime() > deadline) {
                return n;
            }
            Thread.sleep(20);
        }
    }

    /** A benchmark thread that should end with {@link ErrorCode#POOL_EXPORTED}. */
    static final class Worker {
        interface Body {
            void run(Worker w);
        }

        final Thread thread;
        volatile boolean stop;
        volatile long lastProgressNanos = System.nanoTime();
        volatile long endNanos;
        volatile Throwable failure;
        volatile boolean returnedNormally;

        private Worker(String name, Body body) {
            this.thread = new Thread(() -> {
                try {
                    body.run(this);
                    returnedNormally = true;
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    endNanos = System.nanoTime();
                }
            }, "bench-" + name);
            thread.setDaemon(true);
        }

        static Worker start(String name, Body body) {
            Worker w = new Worker(name, body);
            w.thread.start();
            return w;
        }

        void progress() {
            lastProgressNanos = System.nanoTime();
        }

        /** "POOL_EXPORTED", or what else the thread ended with. */
        String outcome() {
            Throwable e = failure;
            if (e == null) {
                return returnedNormally ? "a normal return" : "nothing yet";
            }
            if (e instanceof TarnException t && t.code() == ErrorCode.POOL_EXPORTED) {
                return "POOL_EXPORTED";
            }
            return e instanceof TarnException t ? t.code() + " (" + t.getMessage() + ")" : e.toString();
        }

        @Override
        public String toString() {
            return thread.getName() + "[" + thread.getState() + "]";
        }
    }

    // ---- throughput of a healthy neighbour ---------------------------------

    private void measureThroughput() throws IOException, InterruptedException {
        log.println("== healthy pool for " + o.seconds + " s, neighbour idle vs. neighbour hung and force-exported");
        if (o.warmup > 0) {
            throughputRun(false, Math.min(2, o.seconds));
        }
        for (int i = 0; i < o.pairs; i++) {
            ThroughputRun alone;
            ThroughputRun disturbed;
            if (i % 2 == 0) {
                alone = throughputRun(false, o.seconds);
                disturbed = throughputRun(true, o.seconds);
            } else {
                disturbed = throughputRun(true, o.seconds);
                alone = throughputRun(false, o.seconds);
            }
            pairs.add(new ThroughputPair(alone, disturbed));
            log.printf(Locale.ROOT, "   pair %d: alone %.0f MiB/s, disturbed %.0f MiB/s (ratio %.2f; force export"
                    + " %.2f ms; longest stall %.0f / %.0f ms; load %.1f)%n", i + 1, alone.mibPerSec,
                    disturbed.mibPerSec, disturbed.mibPerSec / alone.mibPerSec, disturbed.forceExportMs,
                    alone.longestStallMs, disturbed.longestStallMs, loadAverage());
        }
    }

    /**
     * One interval of {@code seconds} of the healthy pool. With {@code disturb},
     * the neighbour's device hangs at T/4 (a writer there syncs into the hang)
     * and the neighbour is force-exported at T/2.
     */
    private ThroughputRun throughputRun(boolean disturb, double seconds) throws IOException, InterruptedException {
        int seq = poolSeq.incrementAndGet();
        Path healthyFile = o.dir.resolve("failover-healthy-" + seq + ".img");
        Path sickFile = o.dir.resolve("failover-neighbour-" + seq + ".img");
        Files.deleteIfExists(healthyFile);
        Files.deleteIfExists(sickFile);
        FileVdevDriver.createSparseFile(healthyFile, Math.max(2048 * MIB, 4 * o.objectMiB * MIB + 512 * MIB));
        FileVdevDriver.createSparseFile(sickFile, 1024 * MIB);
        String sickDev = FaultVdevDriver.PREFIX + sickFile;
        FileVdevDriver files = new FileVdevDriver();
        FaultVdevDriver faults = new FaultVdevDriver(files);
        FaultInjector injector = faults.injector(sickDev);
        Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(o.ioTimeoutMillis),
                List.of(faults, files));
        String sickName = "neighbour" + seq;
        Worker sickWriter = null;
        try {
            Pool healthy = engine.createPool("healthy" + seq, VdevLayout.parse(healthyFile.toString()), Map.of(), false);
            Pool sick = engine.createPool(sickName, VdevLayout.parse(sickDev), Map.of(), false);
            healthy.createDataset("data");
            sick.createDataset("data");
            Dataset hds = healthy.openDataset("data");
            Dataset sds = sick.openDataset("data");
            long hobj;
            long sobj;
            try (Transaction tx = healthy.begin()) {
                hobj = hds.createObject(tx);
            }
            try (Transaction tx = sick.begin()) {
                sobj = sds.createObject(tx);
            }
            // the healthy object is written once before timing, so the timed part is steady-state overwrites
            long objectChunks = o.objectMiB * MIB / CHUNK;
            for (long c = 0; c < objectChunks; c++) {
                write(healthy, hds, hobj, c * CHUNK, (int) c);
            }
            healthy.sync();
            sick.sync();

            long[] done = new long[1 << 16];
            int[] count = {0};
            List<long[]> syncs = new ArrayList<>();
            Worker writer = new Worker("healthy-writer", w -> {
                long syncEvery = o.syncEveryMiB;
                for (long n = 0; !w.stop; n++) {
                    write(healthy, hds, hobj, (n % objectChunks) * CHUNK, (int) n);
                    if ((n + 1) % syncEvery == 0) {
                        long ts = System.nanoTime();
                        healthy.sync();
                        syncs.add(new long[] {ts, System.nanoTime()});
                    }
                    if (count[0] == done.length) {
                        throw new IllegalStateException("more than " + done.length + " MiB in one run");
                    }
                    done[count[0]++] = System.nanoTime();
                }
            });
            System.gc();
            long t0 = System.nanoTime();
            long tEnd = t0 + (long) (seconds * 1e9);
            writer.thread.start();
            double forceExportMs = Double.NaN;
            if (disturb) {
                sleepUntil(t0 + (tEnd - t0) / 4);
                injector.add(FaultRule.hang().on(FaultRule.Op.WRITE));
                long sobjFinal = sobj;
                sickWriter = Worker.start(sickName + "-writer", w -> {
                    for (long n = 0; !w.stop; n++) {
                        write(sick, sds, sobjFinal, (n % 64) * CHUNK, (int) n);
                        w.progress();
                        if ((n + 1) % o.syncEveryMiB == 0) {
                            sick.sync();
                        }
                    }
                });
                sleepUntil(t0 + (tEnd - t0) / 2);
                long waitHung = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETURN_TIMEOUT_MILLIS);
                while (injector.hungCount() == 0 && System.nanoTime() < waitHung) {
                    Thread.sleep(1);
                }
                if (injector.hungCount() == 0) {
                    problem("throughput: the neighbour's device had no hung write at T/2");
                }
                long f0 = System.nanoTime();
                engine.forceExport(sickName);
                forceExportMs = (System.nanoTime() - f0) / 1e6;
            }
            sleepUntil(tEnd);
            writer.stop = true;
            writer.thread.join(TimeUnit.SECONDS.toMillis(60));
            if (writer.thread.isAlive()) {
                problem("throughput: the healthy writer is still running 60 s after its interval:\n"
                        + stack(writer.thread));
                throw new IllegalStateException("healthy writer stuck");
            }
            if (writer.failure != null) {
                problem("throughput: the healthy writer failed: " + writer.failure);
                throw new IllegalStateException("healthy writer failed", writer.failure);
            }
            String neighbourOutcome = "";
            if (sickWriter != null) {
                sickWriter.thread.join(RETURN_TIMEOUT_MILLIS);
                neighbourOutcome = sickWriter.thread.isAlive() ? "still blocked" : sickWriter.outcome();
                if (!neighbourOutcome.equals("POOL_EXPORTED")) {
                    problem("throughput: the neighbour's writer ended with " + neighbourOutcome);
                }
            }

            // figures over [t0, tEnd]
            int n = count[0];
            double[] bounds = {0, 0.25, 0.5, 1.0};
            double[] windows = new double[bounds.length - 1];
            int inInterval = 0;
            long prev = t0;
            long stall = 0;
            // gaps that overlap [T/2 - 250 ms, T/2 + 500 ms]: where a stall caused by the force export would show
            long aroundFrom = t0 + (tEnd - t0) / 2 - TimeUnit.MILLISECONDS.toNanos(250);
            long aroundTo = t0 + (tEnd - t0) / 2 + TimeUnit.MILLISECONDS.toNanos(500);
            long stallAround = 0;
            for (int i = 0; i < n; i++) {
                long t = done[i];
                if (t > tEnd) {
                    break;
                }
                inInterval++;
                stall = Math.max(stall, t - prev);
                if (t >= aroundFrom && prev <= aroundTo) {
                    stallAround = Math.max(stallAround, t - prev);
                }
                prev = t;
                double f = (t - t0) / (double) (tEnd - t0);
                for (int k = 0; k < windows.length; k++) {
                    if (f >= bounds[k] && f < bounds[k + 1] || k == windows.length - 1 && f >= bounds[k]) {
                        windows[k]++;
                        break;
                    }
                }
            }
            stall = Math.max(stall, tEnd - prev);
            for (int k = 0; k < windows.length; k++) {
                windows[k] /= (bounds[k + 1] - bounds[k]) * seconds;
            }
            double maxSync = 0;
            int syncCount = 0;
            for (long[] sy : syncs) {
                if (sy[0] <= tEnd) {
                    maxSync = Math.max(maxSync, (sy[1] - sy[0]) / 1e6);
                    syncCount++;
                }
            }
            hds.close();
            return new ThroughputRun(disturb, inInterval / seconds, windows, stall / 1e6, stallAround / 1e6, maxSync,
                    syncCount, forceExportMs, neighbourOutcome);
        } finally {
            if (sickWriter != null) {
                sickWriter.stop = true;
            }
            injector.clear();
            engine.close();
            Files.deleteIfExists(healthyFile);
            Files.deleteIfExists(sickFile);
        }
    }

    /** Total collection time of every garbage collector so far (ms). */
    private static long gcMillis() {
        long sum = 0;
        for (java.lang.management.GarbageCollectorMXBean gc
                : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }

    /** The system's 1-minute load average, or NaN where unknown. */
    private static double loadAverage() {
        double l = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? Double.NaN : l;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    // ---- problems and report -----------------------------------------------

    private void problem(String text) {
        log.println("PROBLEM: " + text);
        problems.add(text);
    }

    private static String stack(Thread t) {
        StringBuilder sb = new StringBuilder("    \"" + t.getName() + "\" " + t.getState() + "\n");
        for (StackTraceElement e : t.getStackTrace()) {
            sb.append("        at ").append(e).append('\n');
        }
        return sb.toString();
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    private static double max(List<Double> v) {
        return v.isEmpty() ? Double.NaN : Collections.max(v);
    }

    private String report(ZonedDateTime started) {
        StringBuilder sb = new StringBuilder();
        sb.append(Harness.reportHeader("Tarn failover benchmark results", started));
        sb.append("- directory: `").append(o.dir.toAbsolutePath().normalize()).append("`\n");
        sb.append("- options: ").append(o.givenText())
                .append("; I/O deadline ").append(o.ioTimeoutMillis).append(" ms\n");
        sb.append("- system load average (1 min) at the start and after each part: ").append(String.join(" → ",
                loads.stream().map(l -> String.format(Locale.ROOT, "%.1f", l)).toList())).append("\n\n");

        if (!latencyRows.isEmpty()) {
            sb.append("### Force export latency (").append(o.reps).append(" reps + ").append(o.warmup)
                    .append(" warm-up per situation; median / max, ms from just before the call)\n\n");
            sb.append("| Situation | blocked threads | dirty MiB discarded | forceExport returns | state EXPORTED"
                    + " | all blocked threads returned | < ").append(fmt(LATENCY_GOAL_MS))
                    .append(" ms (max)? | outcomes of blocked threads |\n");
            sb.append("|---|---:|---:|---:|---:|---:|:---:|---|\n");
            for (LatencyRow row : latencyRows) {
                List<Double> ret = row.runs.stream().map(LatencyRun::returnMs).toList();
                List<Double> exp = row.runs.stream().map(LatencyRun::exportedMs).toList();
                List<Double> all = row.runs.stream().map(LatencyRun::allReturnedMs).toList();
                List<Double> dirty = row.runs.stream().map(LatencyRun::dirtyMiB).toList();
                Map<String, Integer> outs = new TreeMap<>();
                int leftover = 0;
                for (LatencyRun r : row.runs) {
                    r.outcomes.forEach(x -> outs.merge(x, 1, Integer::sum));
                    leftover += r.leftoverThreads;
                }
                String outcomes = String.join(", ", outs.entrySet().stream()
                        .map(e -> e.getValue() + " × " + e.getKey()).toList());
                if (leftover > 0) {
                    outcomes += "; " + leftover + " pool threads alive 2 s after cleanup";
                }
                long gcReps = row.runs.stream().filter(r -> r.gcPausesMs > 0).count();
                if (gcReps > 0) {
                    outcomes += "; GC ran during " + gcReps + " of the timed force exports (max "
                            + row.runs.stream().mapToLong(LatencyRun::gcPausesMs).max().orElse(0) + " ms)";
                }
                sb.append("| (").append(row.situation.tag).append(") ").append(row.situation.title)
                        .append(" | ").append(row.runs.isEmpty() ? 0 : row.runs.get(0).blockedThreads)
                        .append(" | ").append(fmt(Bench.median(dirty)))
                        .append(" | ").append(fmt(Bench.median(ret))).append(" / ").append(fmt(max(ret)))
                        .append(" | ").append(fmt(Bench.median(exp))).append(" / ").append(fmt(max(exp)))
                        .append(" | ").append(fmt(Bench.median(all))).append(" / ").append(fmt(max(all)))
                        .append(" | ").append(max(all) < LATENCY_GOAL_MS ? "yes" : "**no**")
                        .append(" | ").append(outcomes).append(" |\n");
            }
            sb.append("\nSetups:\n");
            for (LatencyRow row : latencyRows) {
                sb.append("- (").append(row.situation.tag).append(") ").append(row.setup).append('\n');
            }
            sb.append("\n\"state EXPORTED\" is when the caller, after forceExport returned, read EXPORTED from"
                    + " `pool.state()`; \"all blocked threads returned\" is when the last of them left its call"
                    + " (each records its own exit time).\n\n");
        }

        if (!pairs.isEmpty()) {
            List<Double> alone = pairs.stream().map(p -> p.alone.mibPerSec).toList();
            List<Double> dist = pairs.stream().map(p -> p.disturbed.mibPerSec).toList();
            List<Double> ratios = pairs.stream().map(p -> p.disturbed.mibPerSec / p.alone.mibPerSec).toList();
            double ratio = Bench.median(dist) / Bench.median(alone);
            sb.append("### Healthy pool throughput while a neighbour hangs and is force-exported (")
                    .append(pairs.size()).append(" pairs, order alternating; medians)\n\n");
            sb.append("Healthy pool: sequential 1 MiB transactions over a ").append(o.objectMiB)
                    .append(" MiB object, `sync()` every ").append(o.syncEveryMiB).append(" MiB, for ")
                    .append(fmt(o.seconds)).append(" s.\n\n");
            sb.append("| | neighbour idle | neighbour hangs at T/4, force-exported at T/2 | ratio |\n");
            sb.append("|---|---:|---:|---:|\n");
            sb.append("| MiB/s over the whole interval (median) | ").append(fmt(Bench.median(alone))).append(" | ")
                    .append(fmt(Bench.median(dist))).append(" | ").append(String.format(Locale.ROOT, "%.2f", ratio))
                    .append(ratio >= THROUGHPUT_GOAL ? " (≥ 0.9: yes)" : " (≥ 0.9: **no**)").append(" |\n");
            sb.append("| paired ratio (median of disturbed ÷ idle per pair), min–max | | | ")
                    .append(String.format(Locale.ROOT, "%.2f (%.2f–%.2f)", Bench.median(ratios),
                            Collections.min(ratios), Collections.max(ratios))).append(" |\n");
            sb.append("| MiB/s min–max | ").append(fmt(Collections.min(alone))).append("–")
                    .append(fmt(Collections.max(alone))).append(" | ").append(fmt(Collections.min(dist)))
                    .append("–").append(fmt(Collections.max(dist))).append(" | |\n");
            String[] names = {"0–T/4 (before the hang)", "T/4–T/2 (neighbour hung)", "T/2–T (after the force export)"};
            for (int k = 0; k < names.length; k++) {
                int kk = k;
                double a = Bench.median(pairs.stream().map(p -> p.alone.windowMibPerSec[kk]).toList());
                double d = Bench.median(pairs.stream().map(p -> p.disturbed.windowMibPerSec[kk]).toList());
                List<Double> rs = pairs.stream()
                        .map(p -> p.disturbed.windowMibPerSec[kk] / p.alone.windowMibPerSec[kk]).toList();
                sb.append("| MiB/s in ").append(names[k]).append(" | ").append(fmt(a)).append(" | ").append(fmt(d))
                        .append(" | ").append(String.format(Locale.ROOT, "%.2f paired (%.2f–%.2f)", Bench.median(rs),
                                Collections.min(rs), Collections.max(rs))).append(" |\n");
            }
            // within-run change, disturbed over idle: cancels a run's overall level (the disk's mood that run)
            List<Double> did = pairs.stream().map(p -> (p.disturbed.windowMibPerSec[2] / p.disturbed.windowMibPerSec[0])
                    / (p.alone.windowMibPerSec[2] / p.alone.windowMibPerSec[0])).toList();
            sb.append("| within-run change: (T/2–T ÷ 0–T/4) disturbed over the same for idle | | | ")
                    .append(String.format(Locale.ROOT, "%.2f paired (%.2f–%.2f)", Bench.median(did),
                            Collections.min(did), Collections.max(did))).append(" |\n");
            sb.append("| longest gap between two completed MiB, ms (median / max) | ")
                    .append(fmt(Bench.median(pairs.stream().map(p -> p.alone.longestStallMs).toList()))).append(" / ")
                    .append(fmt(max(pairs.stream().map(p -> p.alone.longestStallMs).toList()))).append(" | ")
                    .append(fmt(Bench.median(pairs.stream().map(p -> p.disturbed.longestStallMs).toList())))
                    .append(" / ").append(fmt(max(pairs.stream().map(p -> p.disturbed.longestStallMs).toList())))
                    .append(" | |\n");
            sb.append("| longest gap overlapping T/2 − 250 ms … T/2 + 500 ms (the force export), ms (median / max) | ")
                    .append(fmt(Bench.median(pairs.stream().map(p -> p.alone.stallAroundExportMs).toList())))
                    .append(" / ").append(fmt(max(pairs.stream().map(p -> p.alone.stallAroundExportMs).toList())))
                    .append(" | ")
                    .append(fmt(Bench.median(pairs.stream().map(p -> p.disturbed.stallAroundExportMs).toList())))
                    .append(" / ").append(fmt(max(pairs.stream().map(p -> p.disturbed.stallAroundExportMs).toList())))
                    .append(" | |\n");
            sb.append("| longest healthy `sync()`, ms (median / max) | ")
                    .append(fmt(Bench.median(pairs.stream().map(p -> p.alone.maxSyncMs).toList()))).append(" / ")
                    .append(fmt(max(pairs.stream().map(p -> p.alone.maxSyncMs).toList()))).append(" | ")
                    .append(fmt(Bench.median(pairs.stream().map(p -> p.disturbed.maxSyncMs).toList())))
                    .append(" / ").append(fmt(max(pairs.stream().map(p -> p.disturbed.maxSyncMs).toList())))
                    .append(" | |\n");
            List<Double> fe = pairs.stream().map(p -> p.disturbed.forceExportMs).toList();
            sb.append("| neighbour's forceExport call, ms (median / max) | | ").append(fmt(Bench.median(fe)))
                    .append(" / ").append(fmt(max(fe))).append(" | |\n");
            Map<String, Integer> outs = new TreeMap<>();
            pairs.forEach(p -> outs.merge(p.disturbed.neighbourOutcome, 1, Integer::sum));
            sb.append("\nPer pair (idle / disturbed MiB/s): ").append(String.join(", ", pairs.stream()
                    .map(p -> fmt(p.alone.mibPerSec) + " / " + fmt(p.disturbed.mibPerSec)).toList()))
                    .append(". The neighbour's blocked writer ended with: ").append(String.join(", ", outs.entrySet()
                            .stream().map(e -> e.getValue() + " × " + e.getKey()).toList())).append(".\n\n");
        }

        sb.append("### Problems seen\n\n");
        if (problems.isEmpty()) {
            sb.append("None: every blocked thread came back with POOL_EXPORTED, every force-exported pool read"
                    + " EXPORTED and left the engine's list, and no pool thread outlived its cleanup.\n");
        } else {
            for (String p : problems) {
                sb.append("- ").append(p.contains("\n") ? p.replace("\n", "\n  ") : p).append('\n');
            }
        }
        return sb.toString();
    }

    // ---- settings ----------------------------------------------------------

    /** Settings, parsed by {@link Harness#parse}. */
    @Command(name = "failover-bench", customSynopsis = "bench/run-failover.sh [--key=value ...]")
    static final class Settings extends Harness.CommonOptions {
        private static final List<String> PARTS = List.of("latency", "throughput");

        @Option(names = "--dir", paramLabel = "PATH",
                description = "where device files go (default: bench/target/failover-data)")
        Path dir = Path.of(System.getProperty("tarn.bench.dir", "target/failover-data"));

        @Option(names = "--only", paramLabel = "LIST", split = ",", hideParamSyntax = true,
                description = "latency,throughput (default: both)")
        Set<String> only = Set.copyOf(PARTS);

        @Option(names = "--reps", paramLabel = "N", description = "timed force exports per situation (default 9)")
        int reps = 9;

        @Option(names = "--warmup", paramLabel = "N", description = {
            "unmeasured force exports per situation, and a 2 s throughput",
            "warm-up run when N > 0 (default 1)"})
        int warmup = 1;

        @Option(names = "--writers", paramLabel = "N",
                description = "writer threads in each latency situation (default 2)")
        int writers = 2;

        @Option(names = "--hungMiB", paramLabel = "N", description = "(a) MiB written before the hang (default 8)")
        long hungMiB = 8;

        @Option(names = "--suspendDirtyMaxMiB", paramLabel = "N",
                description = "(b) the pool's dirtyMaxBytes in MiB (default 8)")
        long suspendDirtyMaxMiB = 8;

        @Option(names = "--fullDirtyMaxMiB", paramLabel = "N",
                description = "(c) the pool's dirtyMaxBytes in MiB (default 64)")
        long fullDirtyMaxMiB = 64;

        @Option(names = "--seconds", paramLabel = "S", description = "length T of each throughput run (default 6)")
        double seconds = 6;

        @Option(names = "--pairs", paramLabel = "N",
                description = "throughput pairs (idle neighbour, hung neighbour) (default 9)")
        int pairs = 9;

        @Option(names = "--objectMiB", paramLabel = "N",
                description = "the healthy pool's object, rewritten in a cycle (default 256)")
        long objectMiB = 256;

        @Option(names = "--syncEveryMiB", paramLabel = "N",
                description = "the healthy writer syncs every N MiB (default 16)")
        long syncEveryMiB = 16;

        @Option(names = "--ioTimeoutMillis", paramLabel = "N",
                description = "the engine's device I/O deadline (default 60000: hangs stay hangs)")
        long ioTimeoutMillis = 60_000;

        static Settings parse(String... args) {
            return Harness.parse(new Settings(), args);
        }

        @Override
        void check() {
            Harness.oneOf("--only", only, PARTS);
            Harness.atLeast("--reps", reps, 1);
            Harness.atLeast("--warmup", warmup, 0);
            Harness.atLeast("--writers", writers, 1);
            Harness.atLeast("--hungMiB", hungMiB, 1);
            Harness.atLeast("--suspendDirtyMaxMiB", suspendDirtyMaxMiB, 2);
            Harness.atLeast("--fullDirtyMaxMiB", fullDirtyMaxMiB, 2);
            if (!(seconds >= 0.5)) {
                throw new IllegalArgumentException("--seconds: must be at least 0.5, got " + seconds);
            }
            Harness.atLeast("--pairs", pairs, 1);
            Harness.atLeast("--objectMiB", objectMiB, 1);
            Harness.atLeast("--syncEveryMiB", syncEveryMiB, 1);
            Harness.atLeast("--ioTimeoutMillis", ioTimeoutMillis, 1);
        }
    }
}
