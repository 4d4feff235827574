package org.tarn.engine.dmu;

import java.nio.ByteBuffer;

import org.tarn.engine.io.BlockPointer;

/** Reads verified blocks for the DMU; implemented by the pool over its I/O pipeline. */
public interface BlockReader {

    /** Reads a block, verifying its checksum; {@code metadata} blocks go through the cache. */
    ByteBuffer read(BlockPointer bp, boolean metadata);
}
