package org.tarn.engine.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.engine.EngineDefaults;
import org.tarn.engine.label.DeviceLabels;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelLayout;
import org.tarn.engine.label.LabelReader;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.vdev.Vdev;

/**
 * The device work of {@code spa_create}: checking that each device may take
 * a new pool, building the vdev tree over them, and wiping old labels. The
 * namespace ({@link SpaNamespace#createPool}) reserves the name, builds the
 * {@link Spa} and claims it with a first sync.
 */
final class NewPool {
    private static final SecureRandom RANDOM = new SecureRandom();

    private NewPool() {
    }

    /** Refuses a device too small for a vdev or, without force, one holding an ACTIVE pool's label. */
    static void checkUsable(String path, BlockDevice dev, boolean force) {
        if (dev.sizeBytes() < LabelLayout.MIN_DEVICE_BYTES) {
            throw new TarnException(ErrorCode.DEVICE_TOO_SMALL, "device '" + path + "' has "
                    + dev.sizeBytes() + " bytes; a vdev needs at least " + LabelLayout.MIN_DEVICE_BYTES);
        }
        DeviceLabels labels = LabelReader.read(dev);
        Optional<LabelConfig> old = labels.bestConfig();
        if (old.isPresent() && old.get().state() == PoolLabelState.ACTIVE && !force) {
            LabelConfig c = old.get();
            throw new TarnException(ErrorCode.DEVICE_IN_USE, "device '" + path + "' is part of active pool '"
                    + c.poolName() + "' (host " + c.hostname() + ", hostid " + String.format("%08x", c.hostid())
                    + "); export that pool first or use force");
        }
    }

    /**
     * The vdev tree of a new pool, its leaves attached to the opened devices.
     *
     * @param typeOf the driver type of a device path
     * @param guids  GUIDs handed out so far (the pool's), to keep every GUID of the pool distinct
     */
    static Vdev buildTree(String name, VdevLayout layout, Map<String, BlockDevice> byPath,
                          Function<String, String> typeOf, Set<Long> guids) {
        List<Vdev> tops = new ArrayList<>();
        for (VdevLayout.TopLevel t : layout.topLevel()) {
            long end = Long.MAX_VALUE;
            for (String path : t.devices()) {
                end = Math.min(end, LabelLayout.dataEndBytes(byPath.get(path).sizeBytes()));
            }
            Vdev top;
            if (t.mirror()) {
                List<Vdev> leaves = new ArrayList<>();
                for (String path : t.devices()) {
                    Vdev leaf = Vdev.leaf(newGuid(guids), leaves.size(), typeOf.apply(path), path);
                    leaf.attach(byPath.get(path), name);
                    leaves.add(leaf);
                }
                top = Vdev.mirror(newGuid(guids), tops.size(), leaves);
            } else {
                String path = t.devices().get(0);
                top = Vdev.leaf(newGuid(guids), tops.size(), typeOf.apply(path), path);
                top.attach(byPath.get(path), name);
            }
            top.initSpace(LabelLayout.dataStartBytes(), end);
            tops.add(top);
        }
        return Vdev.root(newGuid(guids), tops);
    }

    /** A random non-zero GUID not in {@code used}, which it joins. */
    static long newGuid(Set<Long> used) {
        long g;
        do {
            g = RANDOM.nextLong();
        } while (g == 0 || !used.add(g));
        return g;
    }

    /** Zeroes every label area of a device, so no uberblock of a former pool survives on it. */
    static Void wipeLabels(BlockDevice dev) {
        ByteBuffer zeros = ByteBuffer.allocate(LabelLayout.LABEL_BYTES);
        for (int i = 0; i < LabelLayout.LABEL_COUNT; i++) {
            try {
                dev.write(LabelLayout.labelOffset(dev.sizeBytes(), i), zeros.duplicate());
            } catch (IOException e) {
                throw new TarnException(ErrorCode.IO_ERROR, "cannot write the labels of '" + dev.path() + "': "
                        + e.getMessage(), e);
            }
        }
        return null;
    }
}
