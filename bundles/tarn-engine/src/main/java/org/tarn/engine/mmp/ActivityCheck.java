package org.tarn.engine.mmp;

import java.util.Optional;
import java.util.function.Supplier;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.label.Uberblock;

/**
 * The multihost activity check of an import ({@code spa_activity_check} in
 * OpenZFS): a pool whose labels say ACTIVE with {@code multihost=on} may
 * still be written by the host that holds it. Watch its best uberblock for
 * longer than that host gives itself to notice a failed heartbeat and
 * suspend; if the uberblock moved meanwhile, the host is alive and the import
 * is refused, even with force.
 */
public final class ActivityCheck {
    private ActivityCheck() {
    }

    /** How long an import watches: {@link MultihostWriter#IMPORT_INTERVALS} heartbeat intervals. */
    public static long durationMillis() {
        return MultihostWriter.INTERVAL_MILLIS * MultihostWriter.IMPORT_INTERVALS;
    }

    /**
     * Waits {@link #durationMillis()} and refuses when the pool's best
     * uberblock changed.
     *
     * @param pool     the pool's name, for messages
     * @param holder   who holds it, as "host h1 (hostid 2f4c81aa)", for messages
     * @param before   the best uberblock when the import read the labels; null if none
     * @param reread   reads the devices again and returns the pool's best uberblock now
     * @throws TarnException {@code POOL_IN_USE_ELSEWHERE} when the heartbeat moved,
     *     {@code TIMED_OUT} when the wait is interrupted
     */
    public static void check(String pool, String holder, Uberblock before, Supplier<Optional<Uberblock>> reread) {
        long waitMillis = durationMillis();
        try {
            Thread.sleep(waitMillis); // the protocol itself: give a live host time to beat
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TarnException(ErrorCode.TIMED_OUT, "import of '" + pool + "' interrupted during the "
                    + "multihost activity check", e);
        }
        Uberblock after = reread.get().orElse(null);
        if (after != null && (before == null || Uberblock.ORDER.compare(after, before) != 0)) {
            throw new TarnException(ErrorCode.POOL_IN_USE_ELSEWHERE, "pool '" + pool + "' is being written by "
                    + holder + ": its heartbeat moved during the " + waitMillis + " ms activity check "
                    + "(multihost=on); it cannot be imported, even with force, until that host stops");
        }
    }
}
