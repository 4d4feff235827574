package org.tarn.engine.mmp;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.TarnException;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.DeviceWrite;
import org.tarn.engine.label.LabelWriter;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.vdev.Vdev;

/**
 * Multihost protection (MMP): the heartbeat of an imported pool.
 *
 * <h2>Theory of operation</h2>
 * While {@code multihost=on}, every {@link #INTERVAL_MILLIS} the pool's last
 * synced uberblock is written again, with a new sequence number and
 * timestamp, to the uberblock slot of its txg on one leaf (round robin). The
 * slot belongs to a synced txg, so a heartbeat never overwrites anything
 * newer; and since uberblocks order by (txg, timestamp, sequence), the
 * heartbeat copy is the best one of that txg.
 *
 * <p>An import of a pool whose labels say ACTIVE with multihost on watches
 * the best uberblock for {@link #IMPORT_INTERVALS} intervals and refuses,
 * even with force, if it moved: another host is still writing. A pool whose
 * heartbeats fail {@link #FAIL_INTERVALS} times in a row can no longer prove
 * that it is alive, so another host may soon import it: the pool is told,
 * and suspends itself (no more txgs are written until {@code clear}; with
 * {@code failmode=export} it force-exports). {@code FAIL_INTERVALS} is below
 * {@code IMPORT_INTERVALS} for that reason: the holder stops writing before
 * an importer that saw its heartbeat stand still may start (the ZFS
 * defaults keep the same order: 10 fail intervals, 20 import intervals).
 */
public final class MultihostWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MultihostWriter.class);
    /** Time between heartbeats. */
    public static final long INTERVAL_MILLIS = 500;
    /** Intervals an import watches an ACTIVE pool's uberblock before trusting it is idle. */
    public static final int IMPORT_INTERVALS = 6;
    /** Consecutive failed heartbeats after which the pool suspends itself; below {@link #IMPORT_INTERVALS}. */
    public static final int FAIL_INTERVALS = 4;

    private final String poolName;
    private final IoPipeline io;
    private final Supplier<List<Vdev>> leaves;
    private final Supplier<Uberblock> lastUberblock;
    private final BooleanSupplier enabled;
    private final Consumer<String> onFailure;
    private final AtomicLong sequence;
    private final ScheduledExecutorService timer;
    private int next;
    private int failures;

    public MultihostWriter(String poolName, IoPipeline io, Supplier<List<Vdev>> leaves,
                           Supplier<Uberblock> lastUberblock, AtomicLong sequence, BooleanSupplier enabled,
                           Consumer<String> onFailure) {
        this.poolName = poolName;
        this.io = io;
        this.leaves = leaves;
        this.lastUberblock = lastUberblock;
        this.sequence = sequence;
        this.enabled = enabled;
        this.onFailure = onFailure;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tarn-" + poolName + "-mmp");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the heartbeat; does nothing once closed (a force export may close it before its pool started it). */
    public synchronized void start() {
        if (!timer.isShutdown()) {
            timer.scheduleWithFixedDelay(this::beat, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void beat() {
        Uberblock ub = lastUberblock.get();
        if (ub == null || !enabled.getAsBoolean()) {
            return;
        }
        List<Vdev> targets = leaves.get();
        if (targets.isEmpty()) {
            fail("no device to write the heartbeat to");
            return;
        }
        Vdev leaf = targets.get(Math.floorMod(next++, targets.size()));
        Uberblock hb = ub.withHeartbeat(sequence.incrementAndGet(), System.currentTimeMillis());
        try {
            for (DeviceWrite w : LabelWriter.uberblockWrites(leaf.device().sizeBytes(), hb)) {
                CompletableFuture<Void> f = io.writeLeaf(leaf, w.offset(), w.data());
                io.await(f);
            }
            failures = 0;
        } catch (TarnException | NullPointerException e) {
            fail("heartbeat write to " + leaf.path() + " failed: " + e.getMessage());
        }
    }

    private void fail(String why) {
        failures++;
        LOG.warn("pool '{}': {}", poolName, why);
        if (failures == FAIL_INTERVALS) {
            failures = 0; // told once per run of failures; a pool cleared while they go on is told again
            onFailure.accept(why + " (" + FAIL_INTERVALS + " heartbeats in a row)");
        }
    }

    @Override
    public synchronized void close() {
        timer.shutdownNow();
    }
}
