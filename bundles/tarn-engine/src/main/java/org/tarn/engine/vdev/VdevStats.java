package org.tarn.engine.vdev;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * I/O statistics of one leaf, as {@code zpool iostat} reports them: per kind
 * (read, write, flush) the operations completed, their bytes and a histogram
 * of their latency from submission to completion (queue wait included), plus
 * how many are queued and running now. Counted by the I/O pipeline, never
 * reset (readers take differences); lock-free.
 */
public final class VdevStats {
    /** The kinds of device call. */
    public enum Kind { READ, WRITE, FLUSH }

    /**
     * Latency buckets: bucket {@code i} counts calls that took {@code [2^i, 2^(i+1))}
     * nanoseconds, the last one everything longer (2^37 ns is about 137 s).
     */
    public static final int BUCKETS = 38;

    private final AtomicLong[] ops = new AtomicLong[Kind.values().length];
    private final AtomicLong[] bytes = new AtomicLong[Kind.values().length];
    private final AtomicLong[] totalNanos = new AtomicLong[Kind.values().length];
    private final AtomicLongArray[] histograms = new AtomicLongArray[Kind.values().length];
    private final AtomicLong scanBytes = new AtomicLong();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();

    public VdevStats() {
        for (int k = 0; k < ops.length; k++) {
            ops[k] = new AtomicLong();
            bytes[k] = new AtomicLong();
            totalNanos[k] = new AtomicLong();
            histograms[k] = new AtomicLongArray(BUCKETS);
        }
    }

    /** The bucket of a latency. */
    public static int bucket(long nanos) {
        if (nanos <= 1) {
            return 0;
        }
        return Math.min(BUCKETS - 1, 63 - Long.numberOfLeadingZeros(nanos));
    }

    /** A call was queued on the leaf's executor. */
    public void queued() {
        queued.incrementAndGet();
    }

    /** A queued call started on the device. */
    public void started() {
        queued.decrementAndGet();
        active.incrementAndGet();
    }

    /** A queued call was dropped before it started (abandoned, rejected). */
    public void droppedQueued() {
        queued.decrementAndGet();
    }

    /** A started call returned (successfully or not) after {@code nanos} since it was queued. */
    public void completed(Kind kind, long byteCount, long nanos, boolean scan) {
        active.decrementAndGet();
        int k = kind.ordinal();
        ops[k].incrementAndGet();
        bytes[k].addAndGet(byteCount);
        totalNanos[k].addAndGet(nanos);
        histograms[k].incrementAndGet(bucket(nanos));
        if (scan) {
            scanBytes.addAndGet(byteCount);
        }
    }

    public long ops(Kind kind) {
        return ops[kind.ordinal()].get();
    }

    public long bytes(Kind kind) {
        return bytes[kind.ordinal()].get();
    }

    public long totalNanos(Kind kind) {
        return totalNanos[kind.ordinal()].get();
    }

    /** A copy of the latency histogram of a kind. */
    public long[] histogram(Kind kind) {
        AtomicLongArray h = histograms[kind.ordinal()];
        long[] out = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            out[i] = h.get(i);
        }
        return out;
    }

    /** Bytes read or written by scrubs and resilvers (included in the totals). */
    public long scanBytes() {
        return scanBytes.get();
    }

    public int queuedNow() {
        return Math.max(0, queued.get());
    }

    public int activeNow() {
        return Math.max(0, active.get());
    }
}
