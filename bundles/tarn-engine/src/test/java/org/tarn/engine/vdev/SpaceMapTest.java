package org.tarn.engine.vdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class SpaceMapTest {
    private static final long START = 512 * 1024;
    private static final long END = START + 64L * 1024 * 1024;

    @Test
    void never_hands_out_an_allocated_unit_pos() {
        SpaceMap sm = new SpaceMap(START, END);
        Random rnd = new Random(42);
        TreeMap<Long, Integer> live = new TreeMap<>();
        for (int i = 0; i < 20_000; i++) {
            if (!live.isEmpty() && rnd.nextInt(3) == 0) {
                Long off = live.keySet().stream().skip(rnd.nextInt(live.size())).findFirst().orElseThrow();
                sm.free(off, live.remove(off));
                continue;
            }
            int size = (1 + rnd.nextInt(64)) * SpaceMap.UNIT_BYTES;
            long off = sm.allocate(size);
            if (off < 0) {
                continue;
            }
            assertThat(off).isBetween(START, END - size);
            var below = live.floorEntry(off);
            assertThat(below == null || below.getKey() + below.getValue() <= off)
                    .as("allocation at %d overlaps %s", off, below).isTrue();
            var above = live.ceilingEntry(off);
            assertThat(above == null || off + size <= above.getKey()).isTrue();
            live.put(off, size);
        }
        long sum = live.values().stream().mapToLong(Integer::longValue).sum();
        assertThat(sm.allocatedBytes()).isEqualTo(sum);
    }

    @Test
    void full_map_refuses_allocation_pos() {
        SpaceMap sm = new SpaceMap(START, START + 16 * SpaceMap.UNIT_BYTES);
        assertThat(sm.allocate(16 * SpaceMap.UNIT_BYTES)).isEqualTo(START);
        assertThat(sm.allocate(1)).isEqualTo(-1);
        sm.free(START + SpaceMap.UNIT_BYTES, SpaceMap.UNIT_BYTES);
        assertThat(sm.allocate(2 * SpaceMap.UNIT_BYTES)).isEqualTo(-1);
        assertThat(sm.allocate(SpaceMap.UNIT_BYTES)).isEqualTo(START + SpaceMap.UNIT_BYTES);
    }

    @Test
    void double_free_is_refused_neg() {
        SpaceMap sm = new SpaceMap(START, END);
        long off = sm.allocate(8192);
        sm.free(off, 8192);
        assertThatThrownBy(() -> sm.free(off, 8192)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already free");
        assertThatThrownBy(() -> sm.free(START - 4096, 4096)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void chunks_round_trip_and_track_dirtiness_pos() {
        SpaceMap sm = new SpaceMap(START, START + 3L * 32768 * SpaceMap.UNIT_BYTES);
        assertThat(sm.chunkCount()).isEqualTo(3);
        List<long[]> runs = new ArrayList<>();
        Random rnd = new Random(1);
        for (int i = 0; i < 500; i++) {
            int size = (1 + rnd.nextInt(100)) * SpaceMap.UNIT_BYTES;
            long off = sm.allocate(size);
            runs.add(new long[] {off, size});
        }
        assertThat(sm.dirtyChunks().cardinality()).isPositive();
        SpaceMap copy = new SpaceMap(START, START + 3L * 32768 * SpaceMap.UNIT_BYTES);
        for (int c = 0; c < sm.chunkCount(); c++) {
            copy.loadChunk(c, sm.chunk(c));
        }
        assertThat(copy.allocatedBytes()).isEqualTo(sm.allocatedBytes());
        for (long[] r : runs) {
            assertThat(copy.isAllocated(r[0], (int) r[1])).isTrue();
        }
        sm.clearDirty();
        sm.free(runs.get(0)[0], (int) runs.get(0)[1]);
        assertThat(sm.dirtyChunks().cardinality()).isEqualTo(1);
    }
}
