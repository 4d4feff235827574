package org.tarn.engine.io;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A least-recently-used cache of metadata blocks (indirect blocks, dnode
 * blocks) with a fixed byte budget. Blocks are immutable once written
 * (copy-on-write), so a cached copy never goes stale: the key includes the
 * address and the birth txg.
 */
public final class BlockCache {
    private record Key(int vdev, long offset, long birthTxg) {
    }

    private final long budgetBytes;
    private long usedBytes;
    private long hits;
    private long misses;
    private final LinkedHashMap<Key, byte[]> map = new LinkedHashMap<>(64, 0.75f, true);

    public BlockCache(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    /** A read-only view of the cached block, or null. */
    public synchronized ByteBuffer get(BlockPointer bp) {
        byte[] b = map.get(new Key(bp.vdev(), bp.offset(), bp.birthTxg()));
        if (b == null) {
            misses++;
            return null;
        }
        hits++;
        return ByteBuffer.wrap(b).asReadOnlyBuffer();
    }

    public synchronized void put(BlockPointer bp, ByteBuffer data) {
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        byte[] old = map.put(new Key(bp.vdev(), bp.offset(), bp.birthTxg()), copy);
        usedBytes += copy.length - (old == null ? 0 : old.length);
        var it = map.entrySet().iterator();
        while (usedBytes > budgetBytes && it.hasNext()) {
            Map.Entry<Key, byte[]> e = it.next();
            usedBytes -= e.getValue().length;
            it.remove();
        }
    }

    public synchronized void invalidate(BlockPointer bp) {
        byte[] old = map.remove(new Key(bp.vdev(), bp.offset(), bp.birthTxg()));
        if (old != null) {
            usedBytes -= old.length;
        }
    }

    public synchronized void clear() {
        map.clear();
        usedBytes = 0;
    }

    public synchronized long usedBytes() {
        return usedBytes;
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }
}
