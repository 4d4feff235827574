package org.tarn.engine.mmp;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.DeviceWrite;
import org.tarn.engine.label.LabelWriter;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.vdev.Vdev;

/**
 * Multihost protection (MMP): the heartbeat of an imported pool.
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>Heartbeats.</b> While {@code multihost=on}, the pool's last synced
 * uberblock is written again, with a new sequence number, a new timestamp and
 * this host's multihost timing ({@link Uberblock.Mmp}), to one leaf every
 * {@link #INTERVAL_MILLIS} / leaves (round robin), so each leaf gets one per
 * interval. It goes to the ring slots reserved for heartbeats
 * ({@link org.tarn.engine.label.LabelLayout#heartbeatSlot}), taking turns
 * among them, never over a synced uberblock: a heartbeat torn by a power cut
 * costs that heartbeat only. The writes are uncached ({@code O_DIRECT}), so
 * they reach the device, not this host's page cache: another host's importer
 * reads the device. Since uberblocks order by (txg, timestamp, sequence), the
 * newest heartbeat is the best uberblock of its txg.
 *
 * <p><b>Self-suspension by time.</b> The timer thread never does I/O: it
 * issues heartbeat writes and returns, and their completions record when the
 * newest heartbeat that landed was issued. One timer thread ({@code tarn-mmp})
 * serves every pool of the process: a tick only reads volatile state and
 * queues sync writes on the leaf's {@link org.tarn.engine.vdev.LeafQueue},
 * whose own threads do the I/O, and the pool's failure handling runs on a
 * thread of its own, so a hung device of one pool never delays another
 * pool's heartbeat. On every tick, if no heartbeat
 * issued within the last {@link #FAIL_INTERVALS} × {@link #INTERVAL_MILLIS}
 * has landed — failed writes, or writes that hang — the pool can no longer
 * prove it is alive and another host may soon import it: the pool is told
 * once and suspends itself (no more txgs until {@code clear}; with {@code
 * failmode=export} it force-exports), and the heartbeat stops writing until
 * {@link #resume()}, so it never writes over a pool another host took.
 *
 * <p><b>What the importer derives from it.</b> An import of a pool whose
 * labels say ACTIVE with multihost on watches the devices for
 * {@link ActivityCheck#durationMillis} — more than the holder's
 * fail_intervals × max(interval, observed per-leaf heartbeat delay), as
 * recorded in the uberblock — and refuses, even with force, if the best
 * uberblock moved: the holder is alive, or it has not yet given up.
 *
 * <p>Writes still in flight when the pool suspends may land later; only
 * fencing (the HA layer) makes that safe across hosts. See DESIGN.md.
 */
public final class MultihostWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MultihostWriter.class);
    /** Time between two heartbeats to the same leaf. */
    public static final long INTERVAL_MILLIS = 500;
    /** Intervals an import watches at least (the local minimum, as {@code zfs_multihost_import_intervals}). */
    public static final int IMPORT_INTERVALS = 6;
    /** Intervals without a landed heartbeat after which the pool suspends itself. */
    public static final int FAIL_INTERVALS = 4;
    /** Weight of the newest sample in the observed delay (an exponential moving average). */
    private static final double DELAY_WEIGHT = 0.25;

    private final String poolName;
    private final IoPipeline io;
    private final Supplier<List<Vdev>> leaves;
    private final Supplier<Uberblock> lastUberblock;
    private final BooleanSupplier enabled;
    private final Consumer<String> onFailure;
    private final AtomicLong sequence;
    private final long intervalMillis;
    private final int failIntervals;
    /** The process-wide heartbeat timer: ticks queue writes and return, they never wait on a device. */
    private static final ScheduledThreadPoolExecutor TIMER = timer();
    private ScheduledFuture<?> pending;
    private boolean closed;
    private final Set<Vdev> inFlight = ConcurrentHashMap.newKeySet();
    private long next;
    private long beats;
    /** When the newest heartbeat that landed was issued (nanoTime); starts as the moment the writer started. */
    private final AtomicLong lastLandedNanos = new AtomicLong();
    private volatile long delayMillis;
    private volatile boolean paused;

    public MultihostWriter(String poolName, IoPipeline io, Supplier<List<Vdev>> leaves,
                           Supplier<Uberblock> lastUberblock, AtomicLong sequence, BooleanSupplier enabled,
                           Consumer<String> onFailure) {
        this(poolName, io, leaves, lastUberblock, sequence, enabled, onFailure, INTERVAL_MILLIS, FAIL_INTERVALS);
    }

    /** A writer with its own timing (tests). */
    public MultihostWriter(String poolName, IoPipeline io, Supplier<List<Vdev>> leaves,
                           Supplier<Uberblock> lastUberblock, AtomicLong sequence, BooleanSupplier enabled,
                           Consumer<String> onFailure, long intervalMillis, int failIntervals) {
        this.poolName = poolName;
        this.io = io;
        this.leaves = leaves;
        this.lastUberblock = lastUberblock;
        this.sequence = sequence;
        this.enabled = enabled;
        this.onFailure = onFailure;
        this.intervalMillis = intervalMillis;
        this.failIntervals = failIntervals;
        this.delayMillis = intervalMillis / Math.max(1, leaves.get().size());
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "tarn-mmp");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true); // a closed pool's tick does not stay queued
        // no multihost pool left (its ticks cancelled): the thread goes after a second, so nothing of the engine
        // outlives its close (the Java agent unloads its class loader); the next schedule starts it again
        t.setKeepAliveTime(1, TimeUnit.SECONDS);
        t.allowCoreThreadTimeOut(true);
        return t;
    }

    /** Starts the heartbeat; does nothing once closed (a force export may close it before its pool started it). */
    public synchronized void start() {
        lastLandedNanos.set(System.nanoTime());
        schedule();
    }

    private synchronized void schedule() {
        if (!closed) {
            pending = TIMER.schedule(this::tick, tickMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** One heartbeat per leaf per interval. */
    private long tickMillis() {
        return Math.max(10, intervalMillis / Math.max(1, leaves.get().size()));
    }

    /** The timing this writer records in uberblocks. */
    public Uberblock.Mmp timing() {
        return new Uberblock.Mmp(intervalMillis, failIntervals, delayMillis);
    }

    /** Whether the writer has suspended its pool and stopped writing, until {@link #resume()}. */
    public boolean paused() {
        return paused;
    }

    /** After {@code clear}: heartbeats go on, and the fail clock starts again from now. */
    public void resume() {
        lastLandedNanos.set(System.nanoTime());
        paused = false;
    }

    private void tick() {
        try {
            beat();
        } catch (RuntimeException e) {
            LOG.warn("pool '{}': heartbeat tick failed", poolName, e);
        } finally {
            schedule();
        }
    }

    private void beat() {
        long now = System.nanoTime();
        Uberblock ub = lastUberblock.get();
        if (ub == null || !enabled.getAsBoolean()) {
            lastLandedNanos.set(now); // multihost off (or nothing synced yet): nothing to prove
            return;
        }
        if (paused) {
            return;
        }
        long silentMillis = TimeUnit.NANOSECONDS.toMillis(now - lastLandedNanos.get());
        if (silentMillis > failIntervals * intervalMillis) {
            paused = true;
            String why = "no heartbeat landed for " + silentMillis + " ms (more than " + failIntervals + " x "
                    + intervalMillis + " ms)";
            LOG.warn("pool '{}': {}: suspending, another host may import this pool", poolName, why);
            // the pool's reaction (suspend, failmode=export) may wait on the pool: never on the shared timer
            Thread t = new Thread(() -> onFailure.accept(why), "tarn-" + poolName + "-mmp-failed");
            t.setDaemon(true);
            t.start();
            return;
        }
        List<Vdev> targets = new ArrayList<>(leaves.get());
        targets.removeIf(inFlight::contains); // a leaf whose last heartbeat has not returned gets no second one
        if (targets.isEmpty()) {
            return;
        }
        Vdev leaf = targets.get((int) Math.floorMod(next++, (long) targets.size()));
        Uberblock hb = ub.withHeartbeat(sequence.incrementAndGet(), System.currentTimeMillis()).withMmp(timing());
        List<DeviceWrite> writes;
        try {
            writes = LabelWriter.heartbeatWrites(leaf.device().sizeBytes(), hb, beats++);
        } catch (NullPointerException e) {
            return; // the leaf lost its device meanwhile
        }
        inFlight.add(leaf);
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (DeviceWrite w : writes) {
            fs.add(io.writeLeafUncached(leaf, w.offset(), w.data()));
        }
        CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            inFlight.remove(leaf);
            if (e == null) {
                landed(now);
            } else {
                LOG.warn("pool '{}': heartbeat to {} failed: {}", poolName, leaf.path(), e.getMessage());
            }
        });
    }

    private void landed(long issuedNanos) {
        long previous = lastLandedNanos.getAndAccumulate(issuedNanos, Math::max);
        if (issuedNanos > previous) {
            long gapMillis = TimeUnit.NANOSECONDS.toMillis(issuedNanos - previous);
            delayMillis = Math.round((1 - DELAY_WEIGHT) * delayMillis + DELAY_WEIGHT * gapMillis);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (pending != null) {
            pending.cancel(false);
        }
    }
}
