package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tarn.engine.label.LabelLayout.LABEL_BYTES;

import org.junit.jupiter.api.Test;

class LabelLayoutTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    @Test
    void offsets_pos_alignedDevice() {
        long size = 64 * MIB;
        assertThat(LabelLayout.labelOffset(size, 0)).isZero();
        assertThat(LabelLayout.labelOffset(size, 1)).isEqualTo(256 * KIB);
        assertThat(LabelLayout.labelOffset(size, 2)).isEqualTo(size - 512 * KIB);
        assertThat(LabelLayout.labelOffset(size, 3)).isEqualTo(size - 256 * KIB);
        assertThat(LabelLayout.dataStartBytes()).isEqualTo(512 * KIB);
        assertThat(LabelLayout.dataEndBytes(size)).isEqualTo(size - 512 * KIB);
    }

    @Test
    void offsets_pos_oddDeviceRoundsDownToAWholeLabel() {
        long size = 64 * MIB + 100 * KIB + 7;
        long aligned = 64 * MIB;
        assertThat(LabelLayout.alignedSize(size)).isEqualTo(aligned);
        assertThat(LabelLayout.labelOffset(size, 2)).isEqualTo(aligned - 512 * KIB);
        assertThat(LabelLayout.labelOffset(size, 3)).isEqualTo(aligned - 256 * KIB);
        assertThat(LabelLayout.labelOffset(size, 3) + LABEL_BYTES).isLessThanOrEqualTo(size);
        assertThat(LabelLayout.dataEndBytes(size)).isEqualTo(aligned - 512 * KIB);
        assertThat(LabelLayout.minDeviceBytesFor(LabelLayout.dataEndBytes(size))).isEqualTo(aligned);
    }

    @Test
    void uberblockOffset_pos_slotIsTxgModulo124() {
        long size = 32 * MIB;
        assertThat(LabelLayout.uberblockOffset(size, 0, 5)).isEqualTo(128 * KIB + 5 * KIB);
        assertThat(LabelLayout.uberblockOffset(size, 1, 129)).isEqualTo(256 * KIB + 128 * KIB + 5 * KIB);
        assertThat(LabelLayout.uberblockOffset(size, 3, 123))
                .isEqualTo(size - 256 * KIB + 128 * KIB + 123 * KIB);
        assertThat(LabelLayout.uberblockSlot(124)).isZero();
        assertThat(LabelLayout.uberblockSlot(123)).isEqualTo(123);
    }

    /** The heartbeat slots are the last 4 KiB of each ring: a unit no synced uberblock shares. */
    @Test
    void heartbeatSlots_pos_lastFourSlotsNeverATxgs() {
        long size = 32 * MIB;
        assertThat(LabelLayout.TXG_SLOTS + LabelLayout.HEARTBEAT_SLOTS).isEqualTo(LabelLayout.UBERBLOCK_SLOTS);
        for (long n = 0; n < 10; n++) {
            int slot = LabelLayout.heartbeatSlot(n);
            assertThat(LabelLayout.isHeartbeatSlot(slot)).isTrue();
            assertThat(slot).isBetween(124, 127);
        }
        assertThat(LabelLayout.heartbeatSlot(0)).isNotEqualTo(LabelLayout.heartbeatSlot(1));
        for (long txg = 0; txg < 1000; txg++) {
            assertThat(LabelLayout.isHeartbeatSlot(LabelLayout.uberblockSlot(txg))).isFalse();
        }
        long first = LabelLayout.slotOffset(size, 3, LabelLayout.heartbeatSlot(0));
        assertThat(first % (4 * KIB)).isZero();
        assertThat(LabelLayout.slotOffset(size, 3, 127) + LabelLayout.UBERBLOCK_SLOT_BYTES).isEqualTo(size);
    }

    @Test
    void constants_pos() {
        assertThat(LabelLayout.CONFIG_BYTES + LabelLayout.UBERBLOCK_RING_BYTES).isEqualTo(LABEL_BYTES);
        assertThat(LabelLayout.MIN_DEVICE_BYTES).isEqualTo(16 * MIB);
        assertThat(LabelLayout.EVEN_LABELS).containsExactly(0, 2);
        assertThat(LabelLayout.ODD_LABELS).containsExactly(1, 3);
        assertThat(LabelLayout.isEven(2)).isTrue();
        assertThat(LabelLayout.isEven(3)).isFalse();
    }

    @Test
    void offsets_neg_badIndexSlotOrSize() {
        assertThatThrownBy(() -> LabelLayout.labelOffset(64 * MIB, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("label index 4");
        assertThatThrownBy(() -> LabelLayout.labelOffset(64 * MIB, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LabelLayout.labelOffset(MIB - 1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too small");
        assertThatThrownBy(() -> LabelLayout.slotOffset(64 * MIB, 0, 128)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LabelLayout.uberblockSlot(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
