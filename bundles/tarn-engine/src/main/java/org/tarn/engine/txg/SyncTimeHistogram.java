package org.tarn.engine.txg;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import org.tarn.api.SyncTimes;
import org.tarn.engine.EngineDefaults;

/**
 * The durations of one pool's completed transaction group syncs, in the
 * fixed buckets of {@link EngineDefaults#SYNC_TIME_BUCKETS_MILLIS}. Recorded
 * by the sync thread, read by anyone ({@link #snapshot()}) without a lock:
 * a reader may see a sync in its bucket before its time is in the sum, never
 * a count that goes down.
 */
public final class SyncTimeHistogram {
    private final long[] upperBoundsNanos;
    private final AtomicLongArray counts;
    private final LongAdder sumNanos = new LongAdder();

    public SyncTimeHistogram() {
        List<Long> bounds = EngineDefaults.SYNC_TIME_BUCKETS_MILLIS;
        upperBoundsNanos = new long[bounds.size()];
        for (int i = 0; i < upperBoundsNanos.length; i++) {
            upperBoundsNanos[i] = bounds.get(i) * 1_000_000L;
        }
        counts = new AtomicLongArray(upperBoundsNanos.length + 1);
    }

    /** Counts one completed sync that took {@code nanos}. */
    public void record(long nanos) {
        long n = Math.max(0, nanos);
        int i = 0;
        while (i < upperBoundsNanos.length && n > upperBoundsNanos[i]) {
            i++;
        }
        counts.incrementAndGet(i);
        sumNanos.add(n);
    }

    /** The counts so far, in seconds. */
    public SyncTimes snapshot() {
        List<Double> bounds = new ArrayList<>(upperBoundsNanos.length);
        for (long b : upperBoundsNanos) {
            bounds.add(b / 1e9);
        }
        List<Long> c = new ArrayList<>(counts.length());
        for (int i = 0; i < counts.length(); i++) {
            c.add(counts.get(i));
        }
        return new SyncTimes(bounds, c, sumNanos.sum() / 1e9);
    }
}
