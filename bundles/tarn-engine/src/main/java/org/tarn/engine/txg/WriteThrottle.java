package org.tarn.engine.txg;

/**
 * OpenZFS's write throttle ({@code dmu_tx_delay} in module/zfs/dmu_tx.c):
 * once a pool's dirty data passes {@code delayMinDirtyPercent} of its
 * maximum, each new transaction is delayed by
 * {@code delayScale * (dirty - min) / (max - dirty)} nanoseconds, capped at
 * {@link #MAX_DELAY_NANOS}. The curve is flat (microseconds) just past the
 * start and steep near the maximum, so writers settle where their rate
 * matches the rate the syncs drain.
 *
 * <p>The delays of concurrent writers are serialised like OpenZFS's
 * {@code dp_last_wakeup}: each writer wakes no earlier than one delay after
 * the previous writer's wake-up, so N writers together get the rate the curve
 * gives one writer, not N times it. Not thread-safe: the caller holds the
 * pool's txg lock.
 */
final class WriteThrottle {
    /** OpenZFS {@code zfs_delay_max_ns}: the longest delay of one transaction. */
    static final long MAX_DELAY_NANOS = 100_000_000L;

    private long lastWakeupNanos = Long.MIN_VALUE;

    /**
     * The delay the curve gives at {@code dirty} bytes: 0 at or below
     * {@code max * minPercent / 100}, {@link #MAX_DELAY_NANOS} at or above
     * {@code max}.
     */
    static long delayNanos(long dirty, long max, int minPercent, long scaleNanos) {
        long min = percentOf(max, minPercent);
        if (dirty <= min) {
            return 0;
        }
        if (dirty >= max) {
            return MAX_DELAY_NANOS;
        }
        // in double: scale * (dirty - min) overflows a long for large pools
        double d = (double) scaleNanos * (dirty - min) / (max - dirty);
        return (long) Math.min(MAX_DELAY_NANOS, d);
    }

    /** {@code percent} % of {@code bytes}, without overflow. */
    static long percentOf(long bytes, int percent) {
        return bytes / 100 * percent + bytes % 100 * percent / 100;
    }

    /**
     * When a transaction that started at {@code startNanos} may proceed, given
     * the curve's delay for it: after its own delay, and one delay after the
     * previous throttled writer's wake-up. Records the wake-up.
     *
     * @return a {@link System#nanoTime} value; {@code startNanos} when not delayed
     */
    long wakeupNanos(long startNanos, long delay) {
        if (delay <= 0) {
            return startNanos;
        }
        long wakeup = startNanos + delay;
        if (lastWakeupNanos != Long.MIN_VALUE && lastWakeupNanos + delay - wakeup > 0) {
            wakeup = lastWakeupNanos + delay;
        }
        lastWakeupNanos = wakeup;
        return wakeup;
    }
}
