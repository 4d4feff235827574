package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tarn.engine.label.LabelFixtures.DEVICE_BYTES;
import static org.tarn.engine.label.LabelLayout.LABEL_BYTES;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class LabelWriterTest {
    private static final long ALIGNED = LabelLayout.alignedSize(DEVICE_BYTES);

    @Test
    void configWrites_pos_offsetsOnAnOddSizedDevice() {
        assertThat(DEVICE_BYTES % LABEL_BYTES).isNotZero();
        LabelConfig c = LabelFixtures.config(4);

        assertThat(LabelWriter.configWrites(DEVICE_BYTES, c, LabelSet.EVEN)).extracting(DeviceWrite::offset)
                .containsExactly(0L, ALIGNED - 2L * LABEL_BYTES);
        assertThat(LabelWriter.configWrites(DEVICE_BYTES, c, LabelSet.ODD)).extracting(DeviceWrite::offset)
                .containsExactly((long) LABEL_BYTES, ALIGNED - LABEL_BYTES);
        List<DeviceWrite> all = LabelWriter.configWrites(DEVICE_BYTES, c, LabelSet.ALL);
        assertThat(all).extracting(DeviceWrite::offset)
                .containsExactly(0L, (long) LABEL_BYTES, ALIGNED - 2L * LABEL_BYTES, ALIGNED - LABEL_BYTES);
        assertThat(all).extracting(DeviceWrite::length).containsOnly(Label.WRITE_UNIT_BYTES);
        assertThat(all).allSatisfy(w -> assertThat(w.data()).isEqualTo(Label.encodeConfig(c)));
        assertOutsideDataRegion(all);
    }

    @Test
    void uberblockWrites_pos_slotTxgModulo124InAllFourRings() throws Exception {
        Uberblock ub = LabelFixtures.uberblock(126);
        List<DeviceWrite> writes = LabelWriter.uberblockWrites(DEVICE_BYTES, ub);
        long slot = 2L * LabelLayout.UBERBLOCK_SLOT_BYTES;
        assertThat(writes).extracting(DeviceWrite::offset).containsExactly(
                LabelLayout.UBERBLOCK_RING_OFFSET + slot,
                LABEL_BYTES + LabelLayout.UBERBLOCK_RING_OFFSET + slot,
                ALIGNED - 2L * LABEL_BYTES + LabelLayout.UBERBLOCK_RING_OFFSET + slot,
                ALIGNED - LABEL_BYTES + LabelLayout.UBERBLOCK_RING_OFFSET + slot);
        assertThat(writes).extracting(DeviceWrite::length).containsOnly(LabelLayout.UBERBLOCK_SLOT_BYTES);
        assertThat(Uberblock.decode(writes.get(3).data())).isEqualTo(ub);
        assertOutsideDataRegion(writes);
    }

    @Test
    void ringInitWrites_pos_wholeRingWithOneUberblock() throws Exception {
        Uberblock ub = LabelFixtures.uberblock(9);
        List<DeviceWrite> writes = LabelWriter.ringInitWrites(DEVICE_BYTES, ub);
        assertThat(writes).extracting(DeviceWrite::offset).containsExactly(
                (long) LabelLayout.UBERBLOCK_RING_OFFSET, (long) LABEL_BYTES + LabelLayout.UBERBLOCK_RING_OFFSET,
                ALIGNED - 2L * LABEL_BYTES + LabelLayout.UBERBLOCK_RING_OFFSET,
                ALIGNED - LABEL_BYTES + LabelLayout.UBERBLOCK_RING_OFFSET);
        ByteBuffer ring = writes.get(0).data();
        assertThat(ring.remaining()).isEqualTo(LabelLayout.UBERBLOCK_RING_BYTES);
        for (int slot = 0; slot < LabelLayout.UBERBLOCK_SLOTS; slot++) {
            ByteBuffer s = ring.slice(slot * Uberblock.BYTES, Uberblock.BYTES);
            if (slot == 9) {
                assertThat(Uberblock.decode(s)).isEqualTo(ub);
            } else {
                assertThat(Uberblock.isBlank(s)).as("slot %d", slot).isTrue();
            }
        }
        assertOutsideDataRegion(writes);
    }

    @Test
    void deviceWrite_pos_dataIsAFreshReadOnlyViewEachTime() throws Exception {
        DeviceWrite w = LabelWriter.uberblockWrites(DEVICE_BYTES, LabelFixtures.uberblock(1)).get(0);
        ByteBuffer first = w.data();
        first.position(first.limit());
        assertThat(w.data().remaining()).isEqualTo(Uberblock.BYTES);
        assertThat(w.data().isReadOnly()).isTrue();
        MemoryBlockDevice dev = LabelFixtures.device();
        w.applyTo(dev);
        w.applyTo(dev);
        assertThat(dev.ops()).hasSize(2);
    }

    @Test
    void writeAll_pos_appliesTheCrashSafeOrder() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.device();
        LabelWriter.writeAll(dev, LabelFixtures.config(5), LabelFixtures.uberblock(5));

        List<String> ops = new ArrayList<>();
        for (MemoryBlockDevice.Op op : dev.ops()) {
            ops.add(op.isFlush() ? "flush" : describe(op));
        }
        assertThat(ops).containsExactly(
                "flush",
                "config 0", "config 2", "flush",
                "ring 0", "ring 1", "ring 2", "ring 3", "flush",
                "config 1", "config 3", "flush");
    }

    @Test
    void update_pos_writesOnlyTheUberblockSlots() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        dev.clearOps();
        LabelWriter.update(dev, LabelFixtures.config(6), LabelFixtures.uberblock(6));
        assertThat(dev.ops()).filteredOn(op -> !op.isFlush()).extracting(MemoryBlockDevice.Op::length)
                .containsExactly(Label.WRITE_UNIT_BYTES, Label.WRITE_UNIT_BYTES,
                        Uberblock.BYTES, Uberblock.BYTES, Uberblock.BYTES, Uberblock.BYTES,
                        Label.WRITE_UNIT_BYTES, Label.WRITE_UNIT_BYTES);
        assertThat(dev.ops()).filteredOn(MemoryBlockDevice.Op::isFlush).hasSize(4);
    }

    @Test
    void smaller_config_over_a_larger_one_reads_back_as_the_smaller_pos() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        LabelConfig c = LabelFixtures.config(6);
        java.util.Map<String, String> props = new java.util.TreeMap<>(c.properties());
        props.put("comment", "x".repeat(40_000));
        LabelConfig big = new LabelConfig(c.poolName(), c.poolGuid(), c.vdevGuid(), c.topGuid(), c.state(),
                c.hostid(), c.hostname(), c.txg(), c.formatVersion(), props, c.vdevTree());
        LabelWriter.update(dev, big, LabelFixtures.uberblock(6));
        assertThat(LabelReader.read(dev).bestConfig()).contains(big);

        LabelConfig small = LabelFixtures.config(7);
        dev.clearOps();
        LabelWriter.update(dev, small, LabelFixtures.uberblock(7));
        // only the first unit is rewritten; the rest of the big config stays behind, bounded by the length
        assertThat(dev.ops()).filteredOn(op -> !op.isFlush() && op.length() != Uberblock.BYTES)
                .extracting(MemoryBlockDevice.Op::length).containsOnly(Label.WRITE_UNIT_BYTES);
        DeviceLabels labels = LabelReader.read(dev);
        assertThat(labels.bestConfig()).contains(small);
        assertThat(labels.labels()).allSatisfy(l -> assertThat(l.config()).isEqualTo(small));
    }

    @Test
    void clearWrites_pos_leaveNoLabel() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        for (DeviceWrite w : LabelWriter.clearWrites(dev.sizeBytes())) {
            w.applyTo(dev);
        }
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.hasValidLabel()).isFalse();
        assertThat(read.uberblocks()).isEmpty();
        assertThat(read.rejectedSlots()).isEmpty();
    }

    @Test
    void writes_neg_deviceTooSmallConfigTooLargeOrAheadOfTheUberblock() {
        LabelConfig c = LabelFixtures.config(5);
        long small = LabelLayout.MIN_DEVICE_BYTES - 1;
        assertThatThrownBy(() -> LabelWriter.configWrites(small, c, LabelSet.ALL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("smaller than the minimum");
        assertThatThrownBy(() -> LabelWriter.uberblockWrites(small, LabelFixtures.uberblock(5)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LabelWriter.configWrites(DEVICE_BYTES - LABEL_BYTES, c, LabelSet.ALL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past the");
        assertThatThrownBy(() -> LabelWriter.writeAll(LabelFixtures.device(), c, LabelFixtures.uberblock(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be newer");
    }

    @Test
    void writeAll_neg_readOnlyDeviceFailsWithIOException() {
        MemoryBlockDevice dev = LabelFixtures.device();
        dev.setReadOnly(true);
        assertThatThrownBy(() -> LabelWriter.writeAll(dev, LabelFixtures.config(1), LabelFixtures.uberblock(1)))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("read-only");
    }

    private static String describe(MemoryBlockDevice.Op op) {
        for (int i = 0; i < LabelLayout.LABEL_COUNT; i++) {
            if (op.offset() == LabelLayout.configOffset(DEVICE_BYTES, i) && op.length() <= LabelLayout.CONFIG_BYTES) {
                return "config " + i;
            }
            if (op.offset() == LabelLayout.ringOffset(DEVICE_BYTES, i)
                    && op.length() == LabelLayout.UBERBLOCK_RING_BYTES) {
                return "ring " + i;
            }
        }
        return "write " + op;
    }

    private static void assertOutsideDataRegion(List<DeviceWrite> writes) {
        for (DeviceWrite w : writes) {
            boolean front = w.offset() + w.length() <= LabelLayout.dataStartBytes();
            boolean back = w.offset() >= LabelLayout.dataEndBytes(DEVICE_BYTES)
                    && w.offset() + w.length() <= ALIGNED;
            assertThat(front || back).as("%s stays out of the data region", w).isTrue();
        }
    }
}
