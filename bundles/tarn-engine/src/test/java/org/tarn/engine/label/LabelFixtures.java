package org.tarn.engine.label;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.BlockType;
import org.tarn.engine.io.ChecksumType;

/** A small pool to label: a two-way mirror of file leaves and a single fault leaf. */
final class LabelFixtures {
    /** Not a multiple of a label, to exercise the rounding of the end labels. */
    static final long DEVICE_BYTES = LabelLayout.MIN_DEVICE_BYTES + 3 * LabelLayout.LABEL_BYTES + 12_345;

    static final long POOL_GUID = 0xF00DFACECAFEBEEFL; // negative as a long: printed unsigned
    static final long ROOT_GUID = 1001;
    static final long MIRROR_GUID = 2001;
    static final long LEAF_A = 3001;
    static final long LEAF_B = 3002;
    static final long LEAF_C = 3003;
    static final long HOSTID = 0x1234ABCDL;
    static final long BASE_MILLIS = 1_700_000_000_000L;

    private LabelFixtures() {
    }

    static VdevConfig tree(long deviceBytes) {
        VdevConfig a = VdevConfig.leaf("file", LEAF_A, 0, "/dev/tarn/a", deviceBytes);
        VdevConfig b = VdevConfig.leaf("file", LEAF_B, 0, "/dev/tarn/b", deviceBytes + 4 * LabelLayout.LABEL_BYTES);
        VdevConfig c = VdevConfig.leaf("fault", LEAF_C, 0, "/dev/tarn/c", deviceBytes);
        return VdevConfig.root(ROOT_GUID, List.of(VdevConfig.mirror(MIRROR_GUID, 0, List.of(a, b)), c));
    }

    static Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("failmode", "wait");
        p.put("multihost", "off");
        p.put("comment", "label tests");
        return p;
    }

    /** The config of leaf A at {@code txg}. */
    static LabelConfig config(long txg) {
        return LabelConfig.of("tank", POOL_GUID, LEAF_A, PoolLabelState.ACTIVE, HOSTID, "host-a", txg,
                properties(), tree(DEVICE_BYTES));
    }

    static BlockPointer bp(long txg) {
        byte[] sum = new byte[ChecksumType.MAX_BYTES];
        sum[0] = (byte) txg;
        sum[3] = 0x5A;
        return new BlockPointer(0, LabelLayout.dataStartBytes() + txg * 4096, 4096, txg, ChecksumType.CRC32C,
                BlockType.OBJSET, sum);
    }

    static Uberblock uberblock(long txg) {
        return Uberblock.of(txg, BASE_MILLIS + txg * 1000, tree(DEVICE_BYTES).guidSum(), bp(txg));
    }

    static MemoryBlockDevice device() {
        return new MemoryBlockDevice("/dev/tarn/a", DEVICE_BYTES);
    }

    /** A device labelled at {@code txg} by {@link LabelWriter#writeAll}. */
    static MemoryBlockDevice labelledDevice(long txg) throws Exception {
        MemoryBlockDevice dev = device();
        LabelWriter.writeAll(dev, config(txg), uberblock(txg));
        return dev;
    }
}
