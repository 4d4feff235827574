package org.tarn.engine.io;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Where a block lives and what it must contain: the address (top-level vdev
 * index and byte offset on each of its devices), its size, the transaction
 * group that wrote it and the checksum of its contents. Every read verifies
 * the checksum; a block is never overwritten while a pointer to it is
 * reachable from a synced uberblock (copy-on-write).
 *
 * <p>Encoded in {@link #BYTES} bytes, big-endian:
 * <pre>
 *   0  int   vdev      top-level vdev index; -1 for a hole
 *   4  int   size      bytes on disk, a multiple of the allocation unit
 *   8  long  offset    byte offset on every device of the top-level vdev
 *  16  long  birthTxg  the txg that wrote the block
 *  24  byte  checksum type id
 *  25  byte  block type id (diagnostics only)
 *  26  6     reserved (zero)
 *  32  32    checksum, zero-padded
 * </pre>
 *
 * @param vdev      top-level vdev index, or -1 for a hole
 * @param offset    byte offset on the devices of that top-level vdev
 * @param size      bytes on disk
 * @param birthTxg  transaction group that wrote the block
 * @param checksumType algorithm of {@code checksum}
 * @param blockType what the block holds
 * @param checksum  {@link ChecksumType#MAX_BYTES} bytes
 */
public record BlockPointer(int vdev, long offset, int size, long birthTxg,
                           ChecksumType checksumType, BlockType blockType, byte[] checksum) {

    public static final int BYTES = 64;

    /** A pointer to nothing: the block reads as zeros. */
    public static final BlockPointer HOLE =
            new BlockPointer(-1, 0, 0, 0, ChecksumType.CRC32C, BlockType.NONE, new byte[ChecksumType.MAX_BYTES]);

    public BlockPointer {
        if (checksum.length != ChecksumType.MAX_BYTES) {
            throw new IllegalArgumentException("checksum must be " + ChecksumType.MAX_BYTES + " bytes");
        }
    }

    public boolean isHole() {
        return vdev < 0;
    }

    public void encode(ByteBuffer out) {
        out.putInt(vdev).putInt(size).putLong(offset).putLong(birthTxg)
                .put((byte) checksumType.id()).put((byte) blockType.id())
                .put(new byte[6]).put(checksum);
    }

    public static BlockPointer decode(ByteBuffer in) {
        int vdev = in.getInt();
        int size = in.getInt();
        long offset = in.getLong();
        long birth = in.getLong();
        int ck = in.get();
        int bt = in.get();
        in.position(in.position() + 6);
        byte[] sum = new byte[ChecksumType.MAX_BYTES];
        in.get(sum);
        if (vdev < 0) {
            return HOLE;
        }
        return new BlockPointer(vdev, offset, size, birth, ChecksumType.byId(ck), BlockType.byId(bt), sum);
    }

    /** Checks that {@code data} (its remaining bytes) matches this pointer's checksum. */
    public boolean verifies(ByteBuffer data) {
        return Arrays.equals(checksum, checksumType.compute(data));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockPointer b && vdev == b.vdev && offset == b.offset && size == b.size
                && birthTxg == b.birthTxg && checksumType == b.checksumType
                && Arrays.equals(checksum, b.checksum);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(offset) * 31 + vdev * 17 + Long.hashCode(birthTxg);
    }

    @Override
    public String toString() {
        if (isHole()) {
            return "<hole>";
        }
        String sum = HexFormat.of().formatHex(checksum, 0, checksumType == ChecksumType.CRC32C ? 4 : 32);
        return String.format("%s vdev=%d offset=0x%x size=%d birth=%d %s=%s",
                blockType.name().toLowerCase(), vdev, offset, size, birthTxg,
                checksumType.propertyValue(), sum);
    }
}
