package org.tarn.engine.label;

import java.util.List;

/**
 * Where labels live on a leaf device; every size and offset of the label
 * format is here.
 *
 * <pre>
 *  0        256K      512K                          A-512K    A-256K    A    size
 *  | label 0 | label 1 | allocatable data ...        | label 2 | label 3 | slack |
 *
 *  one label (256 KiB):
 *  | config: header + NvList, zero padded (128 KiB) | uberblock ring: 128 x 1 KiB |
 * </pre>
 * {@code A} is the device size rounded down to {@link #LABEL_BYTES}, so the
 * end labels sit at offsets a reader computes from the size alone. Labels 0
 * and 2 are the "even" labels, 1 and 3 the "odd" ones: they are updated in
 * separate phases (see {@link LabelWriter}). The uberblock of txg {@code T}
 * goes to slot {@code T % UBERBLOCK_SLOTS} of every ring, so each ring keeps
 * the last 128 uberblocks, which is what rewind imports from.
 */
public final class LabelLayout {
    /** The on-disk format this engine writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    public static final int LABEL_COUNT = 4;
    public static final int LABEL_BYTES = 256 * 1024;
    /** The config area at the start of each label. */
    public static final int CONFIG_BYTES = 128 * 1024;
    /** Offset of the uberblock ring inside a label. */
    public static final int UBERBLOCK_RING_OFFSET = CONFIG_BYTES;
    /** Slots in a ring: {@link #TXG_SLOTS} for synced uberblocks, then {@link #HEARTBEAT_SLOTS}. */
    public static final int UBERBLOCK_SLOTS = 128;
    /** Slots at the end of each ring that only multihost heartbeats write. */
    public static final int HEARTBEAT_SLOTS = 4;
    /** Slots for the uberblocks of synced txgs: txg {@code T} goes to slot {@code T % TXG_SLOTS}. */
    public static final int TXG_SLOTS = UBERBLOCK_SLOTS - HEARTBEAT_SLOTS;
    public static final int UBERBLOCK_SLOT_BYTES = 1024;
    public static final int UBERBLOCK_RING_BYTES = UBERBLOCK_SLOTS * UBERBLOCK_SLOT_BYTES;
    /** Smallest device a pool can be created on. */
    public static final long MIN_DEVICE_BYTES = 16L * 1024 * 1024;

    /** Labels written before the uberblocks. */
    public static final List<Integer> EVEN_LABELS = List.of(0, 2);
    /** Labels written after the uberblocks. */
    public static final List<Integer> ODD_LABELS = List.of(1, 3);

    private static final long FRONT_BYTES = 2L * LABEL_BYTES;
    private static final long BACK_BYTES = 2L * LABEL_BYTES;

    private LabelLayout() {
    }

    /** The device size rounded down to a whole label. */
    public static long alignedSize(long deviceSize) {
        if (deviceSize < 0) {
            throw new IllegalArgumentException("device size " + deviceSize + " is negative");
        }
        return deviceSize - deviceSize % LABEL_BYTES;
    }

    /**
     * Byte offset of label {@code index} on a device of {@code deviceSize} bytes.
     *
     * @throws IllegalArgumentException for an index outside 0..3, or a device
     *         too small to hold four labels
     */
    public static long labelOffset(long deviceSize, int index) {
        checkIndex(index);
        long aligned = alignedSize(deviceSize);
        if (aligned < FRONT_BYTES + BACK_BYTES) {
            throw new IllegalArgumentException("a device of " + deviceSize
                    + " bytes is too small to hold " + LABEL_COUNT + " labels");
        }
        return index < 2 ? (long) index * LABEL_BYTES : aligned - (long) (LABEL_COUNT - index) * LABEL_BYTES;
    }

    /** Byte offset of the config area of label {@code index}. */
    public static long configOffset(long deviceSize, int index) {
        return labelOffset(deviceSize, index);
    }

    /** Byte offset of the uberblock ring of label {@code index}. */
    public static long ringOffset(long deviceSize, int index) {
        return labelOffset(deviceSize, index) + UBERBLOCK_RING_OFFSET;
    }

    /** The ring slot of the uberblock of {@code txg} (never a heartbeat slot). */
    public static int uberblockSlot(long txg) {
        if (txg < 0) {
            throw new IllegalArgumentException("txg " + txg + " is negative");
        }
        return (int) (txg % TXG_SLOTS);
    }

    /** The heartbeat slot the {@code n}-th heartbeat of a pool writes (they take turns). */
    public static int heartbeatSlot(long n) {
        return TXG_SLOTS + (int) Math.floorMod(n, (long) HEARTBEAT_SLOTS);
    }

    /** Whether a ring slot is reserved for heartbeats. */
    public static boolean isHeartbeatSlot(int slot) {
        return slot >= TXG_SLOTS && slot < UBERBLOCK_SLOTS;
    }

    /** Byte offset of slot {@code slot} of the ring of label {@code labelIndex}. */
    public static long slotOffset(long deviceSize, int labelIndex, int slot) {
        if (slot < 0 || slot >= UBERBLOCK_SLOTS) {
            throw new IllegalArgumentException("uberblock slot " + slot + " is outside 0.." + (UBERBLOCK_SLOTS - 1));
        }
        return ringOffset(deviceSize, labelIndex) + (long) slot * UBERBLOCK_SLOT_BYTES;
    }

    /** Byte offset where the uberblock of {@code txg} goes in label {@code labelIndex}. */
    public static long uberblockOffset(long deviceSize, int labelIndex, long txg) {
        return slotOffset(deviceSize, labelIndex, uberblockSlot(txg));
    }

    /** First allocatable byte of every leaf: just after labels 0 and 1. */
    public static long dataStartBytes() {
        return FRONT_BYTES;
    }

    /** End (exclusive) of the allocatable bytes of a leaf: just before label 2. */
    public static long dataEndBytes(long deviceSize) {
        return alignedSize(deviceSize) - BACK_BYTES;
    }

    /** The smallest device size whose labels put the data region end at {@code dataEndBytes}. */
    public static long minDeviceBytesFor(long dataEndBytes) {
        return dataEndBytes + BACK_BYTES;
    }

    public static boolean isEven(int index) {
        checkIndex(index);
        return index % 2 == 0;
    }

    private static void checkIndex(int index) {
        if (index < 0 || index >= LABEL_COUNT) {
            throw new IllegalArgumentException("label index " + index + " is outside 0.." + (LABEL_COUNT - 1));
        }
    }
}
