package org.tarn.engine.io;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import org.tarn.api.BlockCacheStats;

/**
 * One imported pool's view of the engine's {@link ArcCache}: its entries
 * are keyed by this instance's number, so they can never answer a read of
 * another import of the same pool (a rewind import may reuse the same
 * addresses and birth txgs for other contents), and {@link #clear} drops
 * them all when the pool is exported, force-exported or destroyed.
 */
public final class BlockCache {
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final ArcCache arc;
    private final long instance = INSTANCES.incrementAndGet();
    private final ArcCache.Counters counters = new ArcCache.Counters();

    /** A view of the shared engine cache. */
    public BlockCache(ArcCache arc) {
        this.arc = arc;
    }

    /** A cache of its own with {@code budgetBytes} (for probes that read a few blocks). */
    public BlockCache(long budgetBytes) {
        this(new ArcCache(budgetBytes));
    }

    /** A read-only view of the cached block, or null. */
    public ByteBuffer get(BlockPointer bp) {
        ArcCache.Entry e = arc.get(ArcCache.Key.of(instance, bp), counters);
        return e == null ? null : ByteBuffer.wrap(e.data(), 0, e.length()).slice().asReadOnlyBuffer();
    }

    /** Caches a copy of {@code data} (its remaining bytes), which verified against {@code bp}. */
    public void put(BlockPointer bp, ByteBuffer data) {
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        arc.put(ArcCache.Key.of(instance, bp), copy, copy.length, counters);
    }

    /**
     * Caches the first {@code length} bytes of {@code data} without a copy:
     * the caller hands the array over and never writes it again (the sync
     * does so with the buffers it just wrote, checksummed as {@code bp}).
     */
    public void putOwned(BlockPointer bp, byte[] data, int length) {
        arc.put(ArcCache.Key.of(instance, bp), data, length, counters);
    }

    /**
     * Caches a block the sync just wrote, without a copy when {@code data}
     * is exactly a whole heap array (the DMU's dirty buffer of a txg, which
     * nobody writes once the txg syncs), else with one (so the budget counts
     * every byte the cache keeps alive).
     */
    public void putWritten(BlockPointer bp, ByteBuffer data) {
        if (data.hasArray() && !data.isReadOnly() && data.arrayOffset() + data.position() == 0
                && data.array().length == data.remaining()) {
            putOwned(bp, data.array(), data.remaining());
        } else {
            put(bp, data);
        }
    }

    public void invalidate(BlockPointer bp) {
        arc.remove(ArcCache.Key.of(instance, bp));
    }

    /** Drops every block of this pool instance. */
    public void clear() {
        arc.dropPool(instance);
    }

    /** This pool's counters (the budget is the engine's). */
    public BlockCacheStats stats() {
        return arc.stats(counters);
    }

    public long usedBytes() {
        return stats().sizeBytes();
    }

    public long hits() {
        return stats().hits();
    }

    public long misses() {
        return stats().misses();
    }

    /** The engine-wide cache behind this view. */
    public ArcCache arc() {
        return arc;
    }
}
