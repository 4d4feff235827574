package org.tarn.engine.dmu;

import java.nio.ByteBuffer;

import org.tarn.engine.io.BlockPointer;

/** Reads verified blocks for the DMU; implemented by the pool over its I/O pipeline. */
public interface BlockReader {

    /**
     * Reads a block, verifying its checksum; with {@code cached}, through
     * the engine's block cache (data and metadata alike). The buffer is
     * read-only.
     */
    ByteBuffer read(BlockPointer bp, boolean cached);

    /**
     * Holds the blocks of the current tree in place: a reader takes a pin
     * before it takes a snapshot of committed state and keeps it until its
     * last read of that snapshot, so no block the snapshot points at is
     * reallocated (and overwritten) meanwhile, however long the reads take.
     */
    default Pin pin() {
        return () -> { };
    }

    /** An open pin; closing it lets the frees it held back be reused. */
    interface Pin extends AutoCloseable {
        @Override
        void close();
    }
}
