package org.tarn.engine.pool;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.tarn.api.IoStats;
import org.tarn.api.VdevIoStats;
import org.tarn.engine.vdev.Vdev;
import org.tarn.engine.vdev.VdevStats;

/**
 * A snapshot of a pool's I/O counters as {@link IoStats}: one row per vdev
 * in tree order (the root first, then each top-level vdev followed by its
 * children), interior rows summing their leaves.
 */
final class IoStatsView {
    private IoStatsView() {
    }

    static IoStats of(String poolName, Vdev root, Instant since) {
        List<VdevIoStats> rows = new ArrayList<>();
        add(rows, root, 0, poolName);
        return new IoStats(since, Instant.now(), rows);
    }

    private static void add(List<VdevIoStats> rows, Vdev v, int depth, String poolName) {
        rows.add(row(v, depth, poolName));
        for (Vdev c : v.children()) {
            add(rows, c, depth + 1, poolName);
        }
    }

    private static VdevIoStats row(Vdev v, int depth, String poolName) {
        long[] ops = new long[3];
        long[] bytes = new long[3];
        long[] nanos = new long[3];
        long[][] hist = new long[3][VdevStats.BUCKETS];
        int queued = 0;
        int active = 0;
        long scan = 0;
        for (Vdev leaf : v.leaves()) {
            VdevStats s = leaf.stats();
            for (VdevStats.Kind k : VdevStats.Kind.values()) {
                int i = k.ordinal();
                ops[i] += s.ops(k);
                bytes[i] += s.bytes(k);
                nanos[i] += s.totalNanos(k);
                long[] h = s.histogram(k);
                for (int b = 0; b < h.length; b++) {
                    hist[i][b] += h[b];
                }
            }
            queued += s.queuedNow();
            active += s.activeNow();
            scan += s.scanBytes();
        }
        long alloc = 0;
        long free = 0;
        if (v.kind() == Vdev.Kind.ROOT) {
            for (Vdev t : v.topLevel()) {
                alloc += t.spaceMap().allocatedBytes();
                free += t.spaceMap().capacityBytes() - t.spaceMap().allocatedBytes();
            }
        } else if (depth == 1 && v.spaceMap() != null) {
            alloc = v.spaceMap().allocatedBytes();
            free = v.spaceMap().capacityBytes() - alloc;
        }
        String name = switch (v.kind()) {
            case ROOT -> poolName;
            case MIRROR -> "mirror-" + v.id();
            case LEAF -> v.path();
        };
        int r = VdevStats.Kind.READ.ordinal();
        int w = VdevStats.Kind.WRITE.ordinal();
        int f = VdevStats.Kind.FLUSH.ordinal();
        return new VdevIoStats(v.guid(), name, depth, alloc, free, ops[r], ops[w], ops[f], bytes[r], bytes[w],
                nanos[r], nanos[w], nanos[f], hist[r], hist[w], hist[f], queued, active, scan);
    }
}
