package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tarn.engine.label.LabelFixtures.DEVICE_BYTES;
import static org.tarn.engine.label.LabelFixtures.LEAF_A;
import static org.tarn.engine.label.LabelFixtures.LEAF_B;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/**
 * Crashes in the middle of a config-changing sync: whatever prefix of the
 * ordered writes reached the disk (and whichever write was torn), the reader
 * finds a config and an uberblock of the same txg, either both old or both new.
 */
class TornUpdateTest {
    private static final long OLD_TXG = 10;
    private static final long NEW_TXG = 11;

    private static LabelConfig oldConfig() {
        return LabelFixtures.config(OLD_TXG);
    }

    /** A config that differs from the old one in more than its txg. */
    private static LabelConfig newConfig() {
        LabelConfig c = oldConfig();
        Map<String, String> props = new TreeMap<>(c.properties());
        props.put("comment", "changed at txg 11");
        return new LabelConfig(c.poolName(), c.poolGuid(), c.vdevGuid(), c.topGuid(), PoolLabelState.EXPORTED,
                c.hostid(), c.hostname(), NEW_TXG, c.formatVersion(), props, c.vdevTree());
    }

    private static List<DeviceWrite> orderedWrites(LabelConfig config) {
        List<DeviceWrite> writes = new ArrayList<>();
        LabelWriter.phases(DEVICE_BYTES, config, LabelFixtures.uberblock(NEW_TXG), false).forEach(writes::addAll);
        return writes;
    }

    @Test
    void everyPrefixOfTheOrderedWritesLeavesAConsistentPair_pos() throws Exception {
        MemoryBlockDevice base = LabelFixtures.labelledDevice(OLD_TXG);
        List<DeviceWrite> writes = orderedWrites(newConfig());
        assertThat(writes).hasSize(8);
        for (int prefix = 0; prefix <= writes.size(); prefix++) {
            MemoryBlockDevice dev = base.copy("/dev/tarn/a");
            for (DeviceWrite w : writes.subList(0, prefix)) {
                w.applyTo(dev);
            }
            boolean committed = prefix > 2; // an uberblock of the new txg landed
            assertConsistent(LabelReader.read(dev), "prefix " + prefix, committed);
        }
    }

    @Test
    void aTornWriteAfterEveryPrefixLeavesAConsistentPair_pos() throws Exception {
        MemoryBlockDevice base = LabelFixtures.labelledDevice(OLD_TXG);
        List<DeviceWrite> writes = orderedWrites(newConfig());
        for (int prefix = 0; prefix < writes.size(); prefix++) {
            DeviceWrite torn = writes.get(prefix);
            for (int keep : new int[] {1, torn.length() / 2, torn.length() - 1}) {
                MemoryBlockDevice dev = base.copy("/dev/tarn/a");
                for (DeviceWrite w : writes.subList(0, prefix)) {
                    w.applyTo(dev);
                }
                ByteBuffer part = torn.data();
                part.limit(part.position() + keep);
                dev.write(torn.offset(), part);
                boolean committed = prefix > 2;
                assertConsistent(LabelReader.read(dev), "prefix " + prefix + " + " + keep + " torn bytes", committed);
            }
        }
    }

    @Test
    void anySubsetOfAnUnflushedPhaseLeavesAConsistentPair_pos() throws Exception {
        MemoryBlockDevice base = LabelFixtures.labelledDevice(OLD_TXG);
        List<List<DeviceWrite>> phases =
                LabelWriter.phases(DEVICE_BYTES, newConfig(), LabelFixtures.uberblock(NEW_TXG), false);
        for (int p = 0; p < phases.size(); p++) {
            List<DeviceWrite> phase = phases.get(p);
            for (int mask = 0; mask < 1 << phase.size(); mask++) {
                MemoryBlockDevice dev = base.copy("/dev/tarn/a");
                for (List<DeviceWrite> done : phases.subList(0, p)) {
                    for (DeviceWrite w : done) {
                        w.applyTo(dev);
                    }
                }
                for (int i = 0; i < phase.size(); i++) {
                    if ((mask & 1 << i) != 0) {
                        phase.get(i).applyTo(dev);
                    }
                }
                boolean committed = p > 1 || (p == 1 && mask != 0);
                assertConsistent(LabelReader.read(dev), "phase " + p + " subset " + mask, committed);
            }
        }
    }

    @Test
    void aWrappedRingStillLeavesAConsistentPair_pos() throws Exception {
        // txgs 10..137 fill the ring; the update of txg 138 overwrites the slot of txg 10
        MemoryBlockDevice base = LabelFixtures.labelledDevice(OLD_TXG);
        for (long txg = OLD_TXG + 1; txg < OLD_TXG + LabelLayout.UBERBLOCK_SLOTS; txg++) {
            for (DeviceWrite w : LabelWriter.uberblockWrites(DEVICE_BYTES, LabelFixtures.uberblock(txg))) {
                w.applyTo(base);
            }
        }
        long newTxg = OLD_TXG + LabelLayout.UBERBLOCK_SLOTS;
        LabelConfig newer = oldConfig().withTxg(newTxg).withState(PoolLabelState.EXPORTED);
        List<DeviceWrite> writes = new ArrayList<>();
        LabelWriter.phases(DEVICE_BYTES, newer, LabelFixtures.uberblock(newTxg), false).forEach(writes::addAll);
        for (int prefix = 0; prefix <= writes.size(); prefix++) {
            MemoryBlockDevice dev = base.copy("/dev/tarn/a");
            for (DeviceWrite w : writes.subList(0, prefix)) {
                w.applyTo(dev);
            }
            DeviceLabels read = LabelReader.read(dev);
            LabelConfig cfg = read.bestConfig().orElseThrow();
            long ubTxg = read.bestUberblock().orElseThrow().uberblock().txg();
            assertThat(ubTxg).isEqualTo(prefix > 2 ? newTxg : newTxg - 1);
            assertThat(cfg).as("prefix %d", prefix).isEqualTo(prefix > 2 ? newer : oldConfig());
            assertThat(cfg.txg()).isLessThanOrEqualTo(ubTxg);
        }
    }

    @Test
    void acrossTheLeavesOfAMirrorThePoolsNewestUberblockHasItsConfig_pos() throws Exception {
        LabelConfig oldA = oldConfig();
        LabelConfig oldB = oldA.forLeaf(LEAF_B);
        MemoryBlockDevice a = LabelFixtures.labelledDevice(OLD_TXG);
        MemoryBlockDevice b = new MemoryBlockDevice("/dev/tarn/b", DEVICE_BYTES + 4L * LabelLayout.LABEL_BYTES);
        LabelWriter.writeAll(b, oldB, LabelFixtures.uberblock(OLD_TXG));

        LabelConfig newA = newConfig();
        LabelConfig newB = newA.forLeaf(LEAF_B);
        Uberblock ub = LabelFixtures.uberblock(NEW_TXG);
        List<List<DeviceWrite>> phasesA = LabelWriter.phases(a.sizeBytes(), newA, ub, false);
        List<List<DeviceWrite>> phasesB = LabelWriter.phases(b.sizeBytes(), newB, ub, false);

        // crash after each phase on all leaves, and in the uberblock phase after only one leaf got it
        for (int crashAfter = 0; crashAfter <= 4; crashAfter++) {
            MemoryBlockDevice da = a.copy("/dev/tarn/a");
            MemoryBlockDevice db = b.copy("/dev/tarn/b");
            int fullPhases = crashAfter == 4 ? 1 : Math.min(crashAfter, 3);
            apply(da, phasesA, fullPhases);
            apply(db, phasesB, fullPhases);
            if (crashAfter == 4) {
                for (DeviceWrite w : phasesA.get(1)) {
                    w.applyTo(da); // only leaf A got the new uberblocks
                }
            }
            DeviceLabels ra = LabelReader.read(da);
            DeviceLabels rb = LabelReader.read(db);
            DeviceLabels newest = ra.bestUberblock().orElseThrow().uberblock().txg()
                    >= rb.bestUberblock().orElseThrow().uberblock().txg() ? ra : rb;
            long poolTxg = newest.bestUberblock().orElseThrow().uberblock().txg();
            assertThat(newest.bestConfig().orElseThrow().txg()).as("crash point %d", crashAfter).isEqualTo(poolTxg);
            assertConsistent(ra, "leaf A, crash point " + crashAfter, ra.bestUberblock().get().uberblock().txg() == NEW_TXG);
            assertThat(ra.bestConfig().orElseThrow().vdevGuid()).isEqualTo(LEAF_A);
            assertThat(rb.bestConfig().orElseThrow().txg())
                    .isEqualTo(rb.bestUberblock().orElseThrow().uberblock().txg());
        }
    }

    private static void apply(MemoryBlockDevice dev, List<List<DeviceWrite>> phases, int count) throws IOException {
        for (List<DeviceWrite> phase : phases.subList(0, count)) {
            for (DeviceWrite w : phase) {
                w.applyTo(dev);
            }
            dev.flush();
        }
    }

    private static void assertConsistent(DeviceLabels read, String when, boolean committed) {
        assertThat(read.hasValidLabel()).as(when).isTrue();
        LabelConfig config = read.bestConfig().orElseThrow(() -> new AssertionError(when + ": no config"));
        Uberblock ub = read.bestUberblock().orElseThrow(() -> new AssertionError(when + ": no uberblock"))
                .uberblock();
        if (committed) {
            assertThat(ub).as(when).isEqualTo(LabelFixtures.uberblock(NEW_TXG));
            assertThat(config).as(when).isEqualTo(newConfig());
        } else {
            assertThat(ub).as(when).isEqualTo(LabelFixtures.uberblock(OLD_TXG));
            assertThat(config).as(when).isEqualTo(oldConfig());
        }
    }
}
