package org.tarn.engine.pool;

import java.util.TreeMap;

import org.tarn.engine.dmu.BlockReader;

/**
 * The pins readers hold on a pool's committed trees ({@link BlockReader#pin}):
 * each pin records the pool's synced txg when it was taken, which is no newer
 * than the snapshot its reader then takes. A block freed in txg F was not in
 * any tree from txg F on, so a sync may return F's frees to the space maps
 * only when F is no later than every pinned txg ({@link #releasableUpTo}).
 * A pin lives as long as one read (bounded by the I/O timeout), so this holds
 * space back for seconds at most.
 */
final class ReadPins {
    private final TreeMap<Long, Integer> pinned = new TreeMap<>();

    /** Pins at {@code syncedTxg}. */
    BlockReader.Pin pin(long syncedTxg) {
        synchronized (pinned) {
            pinned.merge(syncedTxg, 1, Integer::sum);
        }
        return new BlockReader.Pin() {
            private boolean closed;

            @Override
            public void close() {
                synchronized (pinned) {
                    if (!closed) {
                        closed = true;
                        pinned.computeIfPresent(syncedTxg, (t, n) -> n == 1 ? null : n - 1);
                    }
                }
            }
        };
    }

    /** The newest txg whose frees no pinned reader can still need: {@code limit} when nothing is pinned. */
    long releasableUpTo(long limit) {
        synchronized (pinned) {
            return pinned.isEmpty() ? limit : Math.min(limit, pinned.firstKey());
        }
    }
}
