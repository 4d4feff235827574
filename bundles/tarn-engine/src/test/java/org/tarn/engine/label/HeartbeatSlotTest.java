package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Heartbeats go to the ring slots reserved for them, never over a synced
 * uberblock: the reader takes the newest heartbeat as the best uberblock of
 * its txg, and a torn one costs only itself.
 */
class HeartbeatSlotTest {
    private static final long DEVICE_BYTES = LabelFixtures.DEVICE_BYTES;

    @Test
    void heartbeat_writes_touch_only_the_heartbeat_unit_of_each_ring_pos() {
        Uberblock hb = LabelFixtures.uberblock(7).withHeartbeat(99, LabelFixtures.BASE_MILLIS + 60_000);
        for (long n = 0; n < 8; n++) {
            List<DeviceWrite> writes = LabelWriter.heartbeatWrites(DEVICE_BYTES, hb, n);
            assertThat(writes).hasSize(LabelLayout.LABEL_COUNT);
            for (int label = 0; label < LabelLayout.LABEL_COUNT; label++) {
                long unitStart = LabelLayout.slotOffset(DEVICE_BYTES, label, LabelLayout.TXG_SLOTS);
                DeviceWrite w = writes.get(label);
                assertThat(w.offset()).isBetween(unitStart, unitStart + 4096 - LabelLayout.UBERBLOCK_SLOT_BYTES);
                assertThat(w.offset()).isEqualTo(LabelLayout.slotOffset(DEVICE_BYTES, label,
                        LabelLayout.heartbeatSlot(n)));
            }
        }
    }

    @Test
    void reader_takes_the_newest_heartbeat_as_best_and_keeps_the_synced_one_pos() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(7);
        Uberblock synced = LabelFixtures.uberblock(7);
        Uberblock.Mmp timing = new Uberblock.Mmp(500, 4, 120);
        for (long n = 1; n <= 3; n++) {
            Uberblock hb = synced.withHeartbeat(n, LabelFixtures.BASE_MILLIS + 100_000 + n).withMmp(timing);
            for (DeviceWrite w : LabelWriter.heartbeatWrites(DEVICE_BYTES, hb, n)) {
                w.applyTo(dev);
            }
        }
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.rejectedSlots()).isEmpty();
        Uberblock best = read.bestUberblock().orElseThrow().uberblock();
        assertThat(best.txg()).isEqualTo(7);
        assertThat(best.mmpSequence()).isEqualTo(3);
        assertThat(best.mmp()).isEqualTo(timing);
        assertThat(read.uberblocks()).filteredOn(f -> f.uberblock().equals(synced)).hasSize(4);
    }

    /** A 512-byte-sector disk can tear a 1 KiB heartbeat: that heartbeat is lost, txg 7 is not. */
    @Test
    void torn_heartbeat_never_costs_the_last_synced_uberblock_neg() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(7);
        Uberblock hb = LabelFixtures.uberblock(7).withHeartbeat(5, LabelFixtures.BASE_MILLIS + 100_000);
        for (DeviceWrite w : LabelWriter.heartbeatWrites(DEVICE_BYTES, hb, 0)) {
            ByteBuffer half = w.data().limit(512); // only the first sector landed
            dev.write(w.offset(), half);
        }
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.rejectedSlots()).hasSize(4).allSatisfy(r -> assertThat(LabelLayout.isHeartbeatSlot(r.slot()))
                .isTrue());
        assertThat(read.bestUberblock().orElseThrow().uberblock()).isEqualTo(LabelFixtures.uberblock(7));
    }

    @Test
    void mmp_timing_round_trips_and_old_uberblocks_have_none_pos() throws Exception {
        Uberblock ub = LabelFixtures.uberblock(9).withMmp(new Uberblock.Mmp(250, 10, 31));
        assertThat(Uberblock.decode(ub.encode())).isEqualTo(ub);
        assertThat(Uberblock.decode(LabelFixtures.uberblock(9).encode()).mmp()).isEqualTo(Uberblock.Mmp.NONE);
        assertThat(Uberblock.Mmp.NONE.valid()).isFalse();
    }
}
