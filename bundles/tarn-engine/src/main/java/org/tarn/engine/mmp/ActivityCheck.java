package org.tarn.engine.mmp;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.label.Uberblock;

/**
 * The multihost activity check of an import ({@code spa_activity_check} in
 * OpenZFS): a pool whose labels say ACTIVE with {@code multihost=on} may
 * still be written by the host that holds it.
 *
 * <h2>Theory of operation</h2>
 * The check watches the pool's best uberblock, read from the devices
 * themselves (uncached) every {@link #pollMillis poll}, for
 * {@link #durationMillis}, and refuses, even with force, as soon as it moves:
 * the holder is alive. The duration ({@code spa_activity_check_duration})
 * must outlast the holder's own give-up time. A holder that recorded its
 * timing in the uberblock ({@link Uberblock.Mmp}) suspends itself once no
 * heartbeat landed for fail_intervals × interval, and a live holder lands one
 * on some leaf every {@code delay} (observed), so on every leaf every
 * {@code delay × leaves}: the check waits {@value #SAFETY_PERCENT}% of
 * fail_intervals × max(interval, delay × leaves). It never waits less than
 * the local minimum, {@link MultihostWriter#IMPORT_INTERVALS} intervals,
 * which is also all it has for a writer that recorded nothing.
 */
public final class ActivityCheck {
    /** How much longer than the holder's give-up time the check waits (OpenZFS: MMP_IMPORT_SAFETY_FACTOR). */
    public static final int SAFETY_PERCENT = 200;

    private ActivityCheck() {
    }

    /** The local minimum: {@link MultihostWriter#IMPORT_INTERVALS} heartbeat intervals. */
    public static long minimumMillis() {
        return MultihostWriter.INTERVAL_MILLIS * MultihostWriter.IMPORT_INTERVALS;
    }

    /**
     * How long an import watches a pool whose best uberblock is {@code ub}
     * (null if none) on {@code leaves} leaves.
     */
    public static long durationMillis(Uberblock ub, int leaves) {
        long local = minimumMillis();
        if (ub == null || !ub.mmp().valid()) {
            return local;
        }
        Uberblock.Mmp m = ub.mmp();
        long perLeafMillis = Math.max(m.intervalMillis(), m.delayMillis() * Math.max(1, leaves));
        return Math.max(local, SAFETY_PERCENT * m.failIntervals() * perLeafMillis / 100);
    }

    /** How often the check reads the devices: ten times over its duration, at least every half second. */
    static long pollMillis(long durationMillis) {
        return Math.max(20, Math.min(500, durationMillis / 10));
    }

    /**
     * Watches for {@link #durationMillis(Uberblock, int)} and refuses as
     * soon as the pool's best uberblock differs from {@code before}.
     *
     * @param pool      the pool's name, for messages
     * @param holder    who holds it, as "host h1 (hostid 2f4c81aa)", for messages
     * @param before    the best uberblock when the import read the labels; null if none
     * @param leaves    the pool's leaf count
     * @param reread    reads the devices again (uncached) and returns the pool's best uberblock now
     * @param remaining told how many milliseconds are left, at every poll (the import's progress)
     * @throws TarnException {@code POOL_IN_USE_ELSEWHERE} when the heartbeat moved,
     *     {@code TIMED_OUT} when the wait is interrupted
     */
    public static void check(String pool, String holder, Uberblock before, int leaves,
                             Supplier<Optional<Uberblock>> reread, LongConsumer remaining) {
        long durationMillis = durationMillis(before, leaves);
        long poll = pollMillis(durationMillis);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMillis);
        while (true) {
            // rounded up: the check never ends before its full duration (truncated, it ended up to 1 ms early)
            long left = Math.floorDiv(deadline - System.nanoTime() + 999_999, 1_000_000);
            remaining.accept(Math.max(0, left));
            if (left > 0) {
                try {
                    Thread.sleep(Math.min(poll, left)); // the protocol itself: give a live host time to beat
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TarnException(ErrorCode.TIMED_OUT, "import of '" + pool + "' interrupted during the "
                            + "multihost activity check", e);
                }
            }
            Uberblock after = reread.get().orElse(null);
            if (after != null && (before == null || Uberblock.ORDER.compare(after, before) != 0)) {
                throw new TarnException(ErrorCode.POOL_IN_USE_ELSEWHERE, "pool '" + pool + "' is being written by "
                        + holder + ": its heartbeat moved during the multihost activity check (txg "
                        + (before == null ? "none" : before.txg() + " seq " + before.mmpSequence()) + " -> txg "
                        + after.txg() + " seq " + after.mmpSequence() + "); it cannot be imported, even with "
                        + "force, until that host stops (or is fenced)");
            }
            if (left <= 0) {
                remaining.accept(0);
                return;
            }
        }
    }
}
