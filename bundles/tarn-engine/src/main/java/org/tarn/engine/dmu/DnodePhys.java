package org.tarn.engine.dmu;

import java.nio.ByteBuffer;

import org.tarn.engine.io.BlockPointer;

/**
 * The on-disk form of a dnode: one object's type, block size, length and the
 * root of its block tree. {@link #BYTES} each, stored in the dnode array
 * (object 0) of its object set.
 *
 * <pre>
 *   0  byte  type (0 free, 1 dnode array, 2 data)
 *   1  byte  levels of the block tree (0: empty)
 *   2  2     reserved
 *   4  int   block size in bytes
 *   8  long  size in bytes
 *  16  16    reserved
 *  32  64    root block pointer
 *  96  32    reserved
 * </pre>
 */
record DnodePhys(int type, int levels, int blockSizeBytes, long sizeBytes, BlockPointer root) {
    static final int BYTES = 128;
    static final int TYPE_FREE = 0;
    static final int TYPE_DNODES = 1;
    static final int TYPE_DATA = 2;

    static final DnodePhys FREE = new DnodePhys(TYPE_FREE, 0, 0, 0, BlockPointer.HOLE);

    void encode(ByteBuffer out) {
        int start = out.position();
        out.put((byte) type).put((byte) levels).putShort((short) 0).putInt(blockSizeBytes).putLong(sizeBytes);
        out.put(new byte[16]);
        root.encode(out);
        out.put(new byte[BYTES - (out.position() - start)]);
    }

    static DnodePhys decode(ByteBuffer in) {
        int start = in.position();
        int type = in.get(start);
        if (type == TYPE_FREE) {
            // a slot never written (an id whose txg was lost in a crash) is as free as a freed one
            in.position(start + BYTES);
            return FREE;
        }
        in.get();
        int levels = in.get();
        in.getShort();
        int blockSize = in.getInt();
        long size = in.getLong();
        in.position(in.position() + 16);
        BlockPointer root = BlockPointer.decode(in);
        in.position(start + BYTES);
        return new DnodePhys(type, levels, blockSize, size, root);
    }

    boolean allocated() {
        return type != TYPE_FREE;
    }
}
