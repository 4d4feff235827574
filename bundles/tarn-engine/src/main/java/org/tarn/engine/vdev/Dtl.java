package org.tarn.engine.vdev;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dirty time log: the transaction groups one leaf device missed ({@code
 * vdev_dtl_*} in OpenZFS, its {@code DTL_MISSING}).
 *
 * <h2>Theory of operation</h2>
 * Every block pointer records the txg that wrote it (its birth), and a block
 * is written once, to every leaf of its top-level vdev that takes writes at
 * that moment. So a leaf that did not take the writes of txg T — faulted,
 * offline, absent, not yet attached — lacks exactly the live blocks born in
 * T, and a leaf holds a block unless its DTL contains the block's birth. The
 * I/O pipeline never reads a block from a leaf whose DTL contains its birth;
 * a resilver copies exactly those blocks (a tree walk that skips every
 * subtree born before the DTL starts, since a parent is never older than
 * its children), then removes the ranges it covered.
 *
 * <p>The sync adds a txg to the DTL of every leaf that was not a writer of
 * it, and records the DTLs in the pool directory of that same txg, so they
 * reach the disk with the data they describe (see {@code SpaSync}).
 *
 * <p>Held as disjoint, non-adjacent, inclusive ranges {@code [lo, hi]};
 * thread-safe.
 */
public final class Dtl {
    /** Range start to range end, both inclusive; ranges never touch or overlap. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    /** Adds one txg. */
    public void add(long txg) {
        add(txg, txg);
    }

    /** Adds the txgs {@code lo..hi} (inclusive). */
    public synchronized void add(long lo, long hi) {
        if (lo > hi) {
            return;
        }
        Map.Entry<Long, Long> before = ranges.floorEntry(lo);
        if (before != null && before.getValue() >= lo - 1) {
            lo = before.getKey();
            hi = Math.max(hi, before.getValue());
            ranges.remove(before.getKey());
        }
        while (true) {
            Map.Entry<Long, Long> next = ranges.ceilingEntry(lo);
            if (next == null || next.getKey() > hi + 1) {
                break;
            }
            hi = Math.max(hi, next.getValue());
            ranges.remove(next.getKey());
        }
        ranges.put(lo, hi);
    }

    /** Removes the txgs {@code lo..hi} (inclusive). */
    public synchronized void remove(long lo, long hi) {
        if (lo > hi) {
            return;
        }
        List<long[]> keep = new ArrayList<>();
        for (Map.Entry<Long, Long> e : List.copyOf(ranges.entrySet())) {
            long a = e.getKey();
            long b = e.getValue();
            if (b < lo || a > hi) {
                continue;
            }
            ranges.remove(a);
            if (a < lo) {
                keep.add(new long[] {a, lo - 1});
            }
            if (b > hi) {
                keep.add(new long[] {hi + 1, b});
            }
        }
        keep.forEach(r -> ranges.put(r[0], r[1]));
    }

    /** Whether the leaf missed txg {@code txg}. */
    public synchronized boolean contains(long txg) {
        Map.Entry<Long, Long> e = ranges.floorEntry(txg);
        return e != null && e.getValue() >= txg;
    }

    /** Whether some txg in {@code lo..hi} was missed. */
    public synchronized boolean overlaps(long lo, long hi) {
        Map.Entry<Long, Long> e = ranges.floorEntry(hi);
        return e != null && e.getValue() >= lo;
    }

    public synchronized boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** The first missed txg, or -1. */
    public synchronized long first() {
        return ranges.isEmpty() ? -1 : ranges.firstKey();
    }

    /** The last missed txg, or -1. */
    public synchronized long last() {
        return ranges.isEmpty() ? -1 : ranges.lastEntry().getValue();
    }

    /** Replaces the contents with those of {@code other}. */
    public void setTo(Dtl other) {
        List<long[]> copy = other.ranges();
        synchronized (this) {
            ranges.clear();
            copy.forEach(r -> ranges.put(r[0], r[1]));
        }
    }

    public synchronized void clear() {
        ranges.clear();
    }

    /** The ranges, as {@code {lo, hi}} pairs in order. */
    public synchronized List<long[]> ranges() {
        List<long[]> out = new ArrayList<>();
        ranges.forEach((a, b) -> out.add(new long[] {a, b}));
        return out;
    }

    /** A copy with {@code txg} added. */
    public Dtl with(long txg) {
        Dtl d = new Dtl();
        d.setTo(this);
        d.add(txg);
        return d;
    }

    /** Like {@code 12-40,45}; empty when complete. */
    @Override
    public synchronized String toString() {
        StringBuilder sb = new StringBuilder();
        ranges.forEach((a, b) -> {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(a);
            if (!a.equals(b)) {
                sb.append('-').append(b);
            }
        });
        return sb.toString();
    }
}
