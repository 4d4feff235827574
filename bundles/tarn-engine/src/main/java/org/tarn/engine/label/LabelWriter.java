package org.tarn.engine.label;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.tarn.api.vdev.BlockDevice;

/**
 * Produces the writes that put labels and uberblocks on a leaf, without doing
 * I/O: the engine runs them on its per-vdev executors, with deadlines, so that
 * a hung device never pins a shared thread. {@link #writeAll} and
 * {@link #update} apply the same plan synchronously to one device, for pool
 * creation, tools and tests.
 *
 * <h2>Theory of operation: the update order</h2>
 *
 * A pool is opened from a pair: the newest valid uberblock (it names the root
 * of the whole object tree) and a label config that agrees with it. Neither
 * can be written atomically across devices, and a device may reorder writes
 * between flushes, so a sync of txg {@code T} that also rewrites the configs
 * proceeds, across all leaves of the pool (the ZFS order, {@code
 * vdev_label.c} / {@code vdev_config_sync}):
 *
 * <ol>
 * <li><b>Flush data.</b> Every block of txg {@code T} is on stable storage
 *     before anything points to it.</li>
 * <li><b>Even labels</b> (0 and 2) of every leaf get the config at {@code T},
 *     then a <b>flush</b>. A crash here leaves even labels that are newer than
 *     every uberblock on disk; a reader ignores a config newer than the
 *     uberblock it opens, and the odd labels, untouched, still hold the config
 *     of the old uberblock: old pair.</li>
 * <li><b>Uberblocks</b>: slot {@code T % 128} of all four rings of every leaf,
 *     then a <b>flush</b>. A crash here leaves either no new uberblock (old
 *     pair, as above) or at least one, which is then the newest, and the even
 *     labels, all flushed in step 2, hold its config: new pair. The flush
 *     ensures the odd labels below cannot reach the disk before the
 *     uberblocks they would otherwise be the only witnesses of.</li>
 * <li><b>Odd labels</b> (1 and 3) get the config at {@code T}, then a
 *     <b>flush</b>. A crash here leaves the new pair in the even labels and the
 *     new uberblocks; the next sync rewrites every label anyway.</li>
 * </ol>
 *
 * So at every instant some label on each leaf holds a config whose txg is
 * no newer than the newest uberblock that reached the disk, and the reader
 * ({@link DeviceLabels#bestConfig()}) picks exactly that one. A torn write of
 * a single label or slot fails its checksum and counts as not written.
 * Because each phase is complete on every leaf before the next starts, the
 * argument holds for the pool as well as for one device; a leaf that failed
 * a phase must not take part in the later ones of the same sync.
 *
 * <p>A txg that does not change the config writes only step 3 (after step 1).
 * Creating a pool ({@link #writeAll}) writes the whole ring instead of one
 * slot: it zeroes the uberblocks a previous pool may have left on the device,
 * which would otherwise outrank the new pool's.
 */
public final class LabelWriter {

    private LabelWriter() {
    }

    /**
     * The writes of {@code config} to the labels {@code which} of a leaf of
     * {@code deviceSize} bytes, in label order.
     *
     * @throws IllegalArgumentException if the device is too small, the config
     *         does not fit in a label, or it claims a data region the device lacks
     */
    public static List<DeviceWrite> configWrites(long deviceSize, LabelConfig config, LabelSet which) {
        return configWrites(deviceSize, configArea(deviceSize, config), which);
    }

    /**
     * The encoded config area of {@code config} for a leaf of {@code
     * deviceSize} bytes, to write with {@link #configWrites(long, ByteBuffer,
     * LabelSet)}: a sync encodes each leaf's config once for its even and odd
     * labels.
     *
     * @throws IllegalArgumentException as {@link #configWrites(long, LabelConfig, LabelSet)}
     */
    public static ByteBuffer configArea(long deviceSize, LabelConfig config) {
        checkDevice(deviceSize);
        VdevConfig leaf = config.leaf();
        if (leaf.dataEndBytes() > LabelLayout.dataEndBytes(deviceSize)) {
            throw new IllegalArgumentException("the config of vdev " + Long.toUnsignedString(leaf.guid())
                    + " puts its data region end at " + leaf.dataEndBytes() + ", past the "
                    + LabelLayout.dataEndBytes(deviceSize) + " a device of " + deviceSize + " bytes has");
        }
        return Label.encodeConfig(config);
    }

    /** The writes of an encoded config area ({@link #configArea}) to the labels {@code which}, in label order. */
    public static List<DeviceWrite> configWrites(long deviceSize, ByteBuffer area, LabelSet which) {
        checkDevice(deviceSize);
        List<DeviceWrite> writes = new ArrayList<>();
        for (int index : which.indexes()) {
            writes.add(new DeviceWrite(LabelLayout.configOffset(deviceSize, index), area));
        }
        return writes;
    }

    /** The writes of {@code ub} to its slot in all four rings, in label order. */
    public static List<DeviceWrite> uberblockWrites(long deviceSize, Uberblock ub) {
        checkDevice(deviceSize);
        ByteBuffer slot = ub.encode();
        List<DeviceWrite> writes = new ArrayList<>();
        for (int index : LabelSet.ALL.indexes()) {
            writes.add(new DeviceWrite(LabelLayout.uberblockOffset(deviceSize, index, ub.txg()), slot));
        }
        return writes;
    }

    /**
     * The writes of the {@code n}-th multihost heartbeat, {@code ub} (the last
     * synced uberblock, re-stamped), to heartbeat slot
     * {@link LabelLayout#heartbeatSlot(long) heartbeatSlot(n)} of all four
     * rings: never over a synced uberblock.
     */
    public static List<DeviceWrite> heartbeatWrites(long deviceSize, Uberblock ub, long n) {
        checkDevice(deviceSize);
        ByteBuffer slot = ub.encode();
        int s = LabelLayout.heartbeatSlot(n);
        List<DeviceWrite> writes = new ArrayList<>();
        for (int index : LabelSet.ALL.indexes()) {
            writes.add(new DeviceWrite(LabelLayout.slotOffset(deviceSize, index, s), slot));
        }
        return writes;
    }

    /**
     * The writes of whole rings holding only {@code ub}, every other slot
     * zeroed: for a new pool, so no uberblock of an earlier pool survives.
     */
    public static List<DeviceWrite> ringInitWrites(long deviceSize, Uberblock ub) {
        checkDevice(deviceSize);
        ByteBuffer ring = ByteBuffer.allocate(LabelLayout.UBERBLOCK_RING_BYTES);
        ring.position(ub.slot() * LabelLayout.UBERBLOCK_SLOT_BYTES).put(ub.encode()).clear();
        List<DeviceWrite> writes = new ArrayList<>();
        for (int index : LabelSet.ALL.indexes()) {
            writes.add(new DeviceWrite(LabelLayout.ringOffset(deviceSize, index), ring));
        }
        return writes;
    }

    /** The writes that zero all four labels (config and ring): a label clear. */
    public static List<DeviceWrite> clearWrites(long deviceSize) {
        ByteBuffer zeros = ByteBuffer.allocate(LabelLayout.LABEL_BYTES);
        List<DeviceWrite> writes = new ArrayList<>();
        for (int index : LabelSet.ALL.indexes()) {
            writes.add(new DeviceWrite(LabelLayout.labelOffset(deviceSize, index), zeros));
        }
        return writes;
    }

    /**
     * The three phases of a config-changing sync on one leaf: even configs,
     * uberblocks (or whole rings when {@code initRings}), odd configs. Each
     * phase must be followed by a flush, and preceded on every leaf by the
     * previous one.
     */
    public static List<List<DeviceWrite>> phases(long deviceSize, LabelConfig config, Uberblock ub,
                                                 boolean initRings) {
        if (config.txg() > ub.txg()) {
            throw new IllegalArgumentException("the config (txg " + config.txg()
                    + ") must not be newer than the uberblock (txg " + ub.txg() + ")");
        }
        return List.of(
                configWrites(deviceSize, config, LabelSet.EVEN),
                initRings ? ringInitWrites(deviceSize, ub) : uberblockWrites(deviceSize, ub),
                configWrites(deviceSize, config, LabelSet.ODD));
    }

    /**
     * Labels a device for a new pool, in the crash-safe order: flush, even
     * configs, flush, whole rings, flush, odd configs, flush.
     */
    public static void writeAll(BlockDevice dev, LabelConfig config, Uberblock ub) throws IOException {
        apply(dev, phases(dev.sizeBytes(), config, ub, true));
    }

    /** A config-changing sync of one device: flush, even configs, flush, uberblocks, flush, odd configs, flush. */
    public static void update(BlockDevice dev, LabelConfig config, Uberblock ub) throws IOException {
        apply(dev, phases(dev.sizeBytes(), config, ub, false));
    }

    private static void apply(BlockDevice dev, List<List<DeviceWrite>> phases) throws IOException {
        dev.flush();
        for (List<DeviceWrite> phase : phases) {
            for (DeviceWrite w : phase) {
                w.applyTo(dev);
            }
            dev.flush();
        }
    }

    private static void checkDevice(long deviceSize) {
        if (deviceSize < LabelLayout.MIN_DEVICE_BYTES) {
            throw new IllegalArgumentException("a device of " + deviceSize + " bytes is smaller than the minimum of "
                    + LabelLayout.MIN_DEVICE_BYTES);
        }
    }
}
