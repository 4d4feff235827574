package org.tarn.engine.vdev;

import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * Free-space state of one top-level vdev: a bitmap with one bit per
 * allocation unit of its data region.
 *
 * <h2>Theory of operation</h2>
 * The bitmap is held in memory (one bit per {@link #UNIT_BYTES}: 32 KiB of
 * bitmap per GiB of device) and persisted in fixed-size chunks of
 * {@link #CHUNK_BYTES}, each covering {@code CHUNK_BYTES * 8} units. Only
 * chunks changed since the last sync are rewritten, copy-on-write like every
 * other block; the pool directory holds a block pointer per chunk.
 *
 * <p>The allocator is next-fit from a cursor, which turns a stream of block
 * writes into sequential device writes. Frees are never applied here directly
 * by the DMU: the pool defers them by {@link org.tarn.engine.dmu.DmuFormat#FREE_DEFER_TXGS}
 * transaction groups, so a rewind to an older uberblock finds its blocks intact,
 * and only then calls {@link #free}.
 *
 * <p>Not thread-safe: the pool's sync thread is the only writer; readers of
 * the counters take the monitor.
 */
public final class SpaceMap {
    /** Allocation unit: every block is a whole number of units and starts on one. */
    public static final int UNIT_BYTES = 4096;
    /** Bytes of bitmap in one persisted chunk. */
    public static final int CHUNK_BYTES = 4096;
    private static final int UNITS_PER_CHUNK = CHUNK_BYTES * 8;

    private final long dataStartBytes;
    private final int units;
    private final BitSet bits;
    private final BitSet dirtyChunks = new BitSet();
    private long allocatedUnits;
    private int cursor;

    public SpaceMap(long dataStartBytes, long dataEndBytes) {
        if (dataEndBytes <= dataStartBytes) {
            throw new IllegalArgumentException("empty data region");
        }
        this.dataStartBytes = dataStartBytes;
        this.units = (int) Math.min(Integer.MAX_VALUE - 64, (dataEndBytes - dataStartBytes) / UNIT_BYTES);
        this.bits = new BitSet(units);
    }

    public synchronized long capacityBytes() {
        return (long) units * UNIT_BYTES;
    }

    public synchronized long allocatedBytes() {
        return allocatedUnits * UNIT_BYTES;
    }

    public synchronized long freeBytes() {
        return (units - allocatedUnits) * UNIT_BYTES;
    }

    /** Rounds a byte count up to whole allocation units. */
    public static int roundUp(int bytes) {
        return (bytes + UNIT_BYTES - 1) / UNIT_BYTES * UNIT_BYTES;
    }

    /**
     * Allocates a contiguous run for {@code bytes} (rounded up to units).
     *
     * @return the device offset of the run, or -1 when no run is free
     */
    public synchronized long allocate(int bytes) {
        int n = roundUp(bytes) / UNIT_BYTES;
        if (n <= 0 || n > units - allocatedUnits) {
            return -1;
        }
        int start = findRun(cursor, units, n);
        if (start < 0) {
            start = findRun(0, Math.min(units, cursor + n), n);
        }
        if (start < 0) {
            return -1;
        }
        mark(start, n, true);
        cursor = start + n;
        return dataStartBytes + (long) start * UNIT_BYTES;
    }

    private int findRun(int from, int limit, int n) {
        int i = bits.nextClearBit(from);
        while (i + n <= limit) {
            int nextSet = bits.nextSetBit(i);
            if (nextSet < 0 || nextSet >= i + n) {
                return i;
            }
            i = bits.nextClearBit(nextSet);
        }
        return -1;
    }

    /** Returns a run to the free pool. */
    public synchronized void free(long offset, int bytes) {
        int start = unitOf(offset);
        int n = roundUp(bytes) / UNIT_BYTES;
        mark(start, n, false);
    }

    /** Marks a run allocated again (undo of a free). */
    public synchronized void claim(long offset, int bytes) {
        mark(unitOf(offset), roundUp(bytes) / UNIT_BYTES, true);
    }

    /** Whether every unit of the run is allocated. */
    public synchronized boolean isAllocated(long offset, int bytes) {
        int start = unitOf(offset);
        int n = roundUp(bytes) / UNIT_BYTES;
        int clear = bits.nextClearBit(start);
        return clear >= start + n;
    }

    private int unitOf(long offset) {
        long rel = offset - dataStartBytes;
        if (rel < 0 || rel % UNIT_BYTES != 0 || rel / UNIT_BYTES >= units) {
            throw new IllegalArgumentException("offset " + offset + " outside the data region");
        }
        return (int) (rel / UNIT_BYTES);
    }

    private void mark(int start, int n, boolean allocated) {
        if (start + n > units) {
            throw new IllegalArgumentException("run beyond the data region");
        }
        for (int i = start; i < start + n; i++) {
            if (bits.get(i) == allocated) {
                throw new IllegalStateException("unit " + i + " is already " + (allocated ? "allocated" : "free")
                        + ": space map corrupted or block freed twice");
            }
        }
        bits.set(start, start + n, allocated);
        allocatedUnits += allocated ? n : -n;
        dirtyChunks.set(start / UNITS_PER_CHUNK, (start + n - 1) / UNITS_PER_CHUNK + 1);
    }

    /** Number of persisted chunks. */
    public int chunkCount() {
        return (units + UNITS_PER_CHUNK - 1) / UNITS_PER_CHUNK;
    }

    /** Chunks changed since {@link #clearDirty()}. */
    public synchronized BitSet dirtyChunks() {
        return (BitSet) dirtyChunks.clone();
    }

    public synchronized void markAllDirty() {
        dirtyChunks.set(0, chunkCount());
    }

    public synchronized void clearDirty() {
        dirtyChunks.clear();
    }

    /** The on-disk image of one chunk: {@link #CHUNK_BYTES} bytes. */
    public synchronized ByteBuffer chunk(int index) {
        ByteBuffer out = ByteBuffer.allocate(CHUNK_BYTES);
        int base = index * UNITS_PER_CHUNK;
        int end = Math.min(units, base + UNITS_PER_CHUNK);
        byte[] image = bits.get(base, end).toByteArray();
        out.put(image, 0, Math.min(image.length, CHUNK_BYTES));
        return out.clear();
    }

    /** Loads one chunk from its on-disk image (at import). */
    public synchronized void loadChunk(int index, ByteBuffer image) {
        byte[] raw = new byte[CHUNK_BYTES];
        image.duplicate().get(raw, 0, Math.min(raw.length, image.remaining()));
        BitSet chunk = BitSet.valueOf(raw);
        int base = index * UNITS_PER_CHUNK;
        int end = Math.min(units, base + UNITS_PER_CHUNK);
        for (int i = base; i < end; i++) {
            boolean set = chunk.get(i - base);
            if (set != bits.get(i)) {
                bits.set(i, set);
                allocatedUnits += set ? 1 : -1;
            }
        }
    }
}
