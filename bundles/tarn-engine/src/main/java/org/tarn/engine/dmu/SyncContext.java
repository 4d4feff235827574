package org.tarn.engine.dmu;

import java.nio.ByteBuffer;

import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.BlockType;

/**
 * What the DMU needs from the pool while a transaction group syncs: block
 * allocation and writes, deferred frees, and metadata reads.
 */
public interface SyncContext {

    /** The transaction group being synced. */
    long txg();

    /**
     * Allocates space for {@code data} (its remaining bytes, a multiple of the
     * allocation unit), checksums it and starts writing it. The write's
     * completion is awaited by the pool before the uberblock is written.
     */
    BlockPointer write(ByteBuffer data, BlockType type);

    /** Frees a block once it can no longer be needed by a rewind. */
    void free(BlockPointer bp);

    /** Reads and verifies a metadata block, through the block cache. */
    ByteBuffer readMetadata(BlockPointer bp);
}
