package org.tarn.engine.label;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.tarn.api.vdev.BlockDevice;

/**
 * Reads the four labels and uberblock rings of a leaf, synchronously: for
 * the import scan, {@code tarnctl label} and tests. Nothing a device holds or
 * does escapes as an exception: garbage, a blank or foreign device, a device
 * truncated since it was labelled, and read errors all become reasons in the
 * returned {@link DeviceLabels}. Callers that need deadlines run it on their
 * own executor.
 *
 * <p>Every read is uncached ({@link BlockDevice#readUncached}): labels and
 * uberblocks are what another host writes, and this host's page cache would
 * show what the device held when this host last read it.
 *
 * <p>A device is truncated when a label lies (partly) beyond its end, when it
 * is shorter than {@link LabelLayout#MIN_DEVICE_BYTES} (no end labels were
 * ever written at the offsets its size implies), or when a valid label says
 * the device used to be larger than it is.
 */
public final class LabelReader {

    private LabelReader() {
    }

    public static DeviceLabels read(BlockDevice dev) {
        String path = safePath(dev);
        long size;
        try {
            size = dev.sizeBytes();
        } catch (RuntimeException e) {
            return unreadable(path, new LabelException(LabelException.Kind.IO_ERROR,
                    "cannot get the device size: " + e, e));
        }
        List<DeviceLabels.LabelCopy> labels = new ArrayList<>();
        List<DeviceLabels.FoundUberblock> found = new ArrayList<>();
        List<DeviceLabels.RejectedSlot> rejected = new ArrayList<>();
        Decoded last = new Decoded();
        for (int index = 0; index < LabelLayout.LABEL_COUNT; index++) {
            labels.add(readLabel(dev, size, index, found, rejected, last));
        }
        checkShrunk(size, labels, found, rejected);
        return new DeviceLabels(path, size, labels, found, rejected);
    }

    /**
     * The last config area that decoded, and its config: the four copies on a
     * leaf are usually byte for byte the same, and decoding a large pool's
     * tree four times per device was most of an import scan's CPU.
     */
    private static final class Decoded {
        ByteBuffer used;
        LabelConfig config;

        LabelConfig decode(ByteBuffer area) throws LabelException {
            int length = area.remaining() >= Label.HEADER_BYTES ? area.getInt(area.position() + Label.OFF_LENGTH) : -1;
            if (used != null && length > 0 && length <= area.remaining() - Label.HEADER_BYTES
                    && used.remaining() == Label.HEADER_BYTES + length
                    && used.equals(area.slice(area.position(), Label.HEADER_BYTES + length))) {
                return config;
            }
            LabelConfig c = Label.decodeConfig(area);
            used = area.slice(area.position(), Label.HEADER_BYTES + area.getInt(area.position() + Label.OFF_LENGTH));
            config = c;
            return c;
        }
    }

    private static DeviceLabels.LabelCopy readLabel(BlockDevice dev, long size, int index,
                                                    List<DeviceLabels.FoundUberblock> found,
                                                    List<DeviceLabels.RejectedSlot> rejected, Decoded last) {
        long offset = nominalOffset(size, index);
        if (offset < 0 || offset + LabelLayout.LABEL_BYTES > size
                || (index >= 2 && size < LabelLayout.MIN_DEVICE_BYTES)) {
            LabelException t = new LabelException(LabelException.Kind.TRUNCATED, "truncated: label " + index
                    + " lies beyond the device end (the device has " + size + " bytes"
                    + (size < LabelLayout.MIN_DEVICE_BYTES
                        ? ", less than the minimum of " + LabelLayout.MIN_DEVICE_BYTES : "") + ")");
            return new DeviceLabels.LabelCopy(index, Math.max(offset, 0), null, t, t);
        }

        LabelConfig config = null;
        LabelException rejection = null;
        try {
            config = last.decode(readBytes(dev, offset, LabelLayout.CONFIG_BYTES, "label " + index));
        } catch (LabelException e) {
            rejection = e;
        }

        LabelException ringRejection = null;
        long ringOffset = offset + LabelLayout.UBERBLOCK_RING_OFFSET;
        try {
            ByteBuffer ring = readBytes(dev, ringOffset, LabelLayout.UBERBLOCK_RING_BYTES,
                    "the uberblock ring of label " + index);
            for (int slot = 0; slot < LabelLayout.UBERBLOCK_SLOTS; slot++) {
                int at = slot * LabelLayout.UBERBLOCK_SLOT_BYTES;
                ByteBuffer bytes = ring.slice(at, LabelLayout.UBERBLOCK_SLOT_BYTES);
                if (Uberblock.isBlank(bytes)) {
                    continue;
                }
                long slotOffset = ringOffset + at;
                try {
                    Uberblock ub = Uberblock.decode(bytes);
                    if (ub.slot() != slot && !LabelLayout.isHeartbeatSlot(slot)) {
                        throw new LabelException(LabelException.Kind.CORRUPT, "uberblock of txg " + ub.txg()
                                + " is in slot " + slot + ", it belongs in slot " + ub.slot());
                    }
                    found.add(new DeviceLabels.FoundUberblock(index, slot, slotOffset, ub));
                } catch (LabelException e) {
                    rejected.add(new DeviceLabels.RejectedSlot(index, slot, slotOffset, e));
                }
            }
        } catch (LabelException e) {
            ringRejection = e;
        }
        return new DeviceLabels.LabelCopy(index, offset, config, rejection, ringRejection);
    }

    /**
     * Marks the end labels truncated when a valid label says the device used
     * to be larger: they were at offsets the shrunken size no longer implies,
     * so whatever was read in their place is not a rejection of its own.
     */
    private static void checkShrunk(long size, List<DeviceLabels.LabelCopy> labels,
                                    List<DeviceLabels.FoundUberblock> found,
                                    List<DeviceLabels.RejectedSlot> rejected) {
        long labelledSize = labels.stream().filter(DeviceLabels.LabelCopy::isValid)
                .mapToLong(l -> LabelLayout.minDeviceBytesFor(l.config().leaf().dataEndBytes()))
                .max().orElse(0);
        if (size >= labelledSize) {
            return;
        }
        for (int i = 0; i < labels.size(); i++) {
            DeviceLabels.LabelCopy l = labels.get(i);
            if (l.index() < 2 || l.isValid() || l.rejection().kind() == LabelException.Kind.TRUNCATED) {
                continue;
            }
            int index = l.index();
            LabelException t = new LabelException(LabelException.Kind.TRUNCATED, "truncated: label " + index
                    + " lies beyond the device end (its labels say the device had at least " + labelledSize
                    + " bytes, it now has " + size + ")");
            labels.set(i, new DeviceLabels.LabelCopy(index, l.offset(), null, t, t));
            found.removeIf(u -> u.label() == index);
            rejected.removeIf(r -> r.label() == index);
        }
    }

    private static ByteBuffer readBytes(BlockDevice dev, long offset, int length, String what)
            throws LabelException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        try {
            dev.readUncached(offset, buf); // from the device: another host may have written it
        } catch (Exception e) {
            throw new LabelException(LabelException.Kind.IO_ERROR, "I/O error reading " + what + " at offset "
                    + offset + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
        return buf.clear();
    }

    /** Where label {@code index} is on a device of {@code size} bytes; negative if nowhere. */
    private static long nominalOffset(long size, int index) {
        if (index < 2) {
            return (long) index * LabelLayout.LABEL_BYTES;
        }
        return LabelLayout.alignedSize(size) - (long) (LabelLayout.LABEL_COUNT - index) * LabelLayout.LABEL_BYTES;
    }

    private static String safePath(BlockDevice dev) {
        try {
            String p = dev.path();
            return p == null ? "?" : p;
        } catch (RuntimeException e) {
            return "?";
        }
    }

    private static DeviceLabels unreadable(String path, LabelException why) {
        List<DeviceLabels.LabelCopy> labels = new ArrayList<>();
        for (int index = 0; index < LabelLayout.LABEL_COUNT; index++) {
            labels.add(new DeviceLabels.LabelCopy(index, 0, null, why, why));
        }
        return new DeviceLabels(path, -1, labels, List.of(), List.of());
    }
}
