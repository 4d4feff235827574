package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tarn.engine.label.LabelFixtures.DEVICE_BYTES;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class LabelDumpTest {

    @Test
    void dump_pos_showsLabelsConfigTreeAndUberblocksNewestFirst() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(7);
        for (long txg = 8; txg <= 9; txg++) {
            for (DeviceWrite w : LabelWriter.uberblockWrites(DEVICE_BYTES, LabelFixtures.uberblock(txg))) {
                w.applyTo(dev);
            }
        }
        String dump = LabelDump.dump(dev);

        assertThat(dump).contains(
                "device: /dev/tarn/a",
                "size:   " + DEVICE_BYTES + " bytes",
                "LABEL 0   offset 0 (0x0)",
                "LABEL 1   offset 262144 (0x40000)",
                "LABEL 3   offset " + LabelLayout.labelOffset(DEVICE_BYTES, 3),
                "status: valid",
                "name: 'tank'",
                "pool_guid: " + Long.toUnsignedString(LabelFixtures.POOL_GUID),
                "state: ACTIVE",
                "txg: 7",
                "version: 1",
                "hostid: 305441741 (0x1234abcd)",
                "hostname: 'host-a'",
                "guid: 3001",
                "top_guid: 2001",
                "comment: 'label tests'",
                "failmode: 'wait'",
                "type: 'root'",
                "type: 'mirror'  id: 0  guid: 2001",
                "type: 'file'  id: 1  guid: 3002  path: '/dev/tarn/b'",
                "type: 'fault'  id: 1  guid: 3003  path: '/dev/tarn/c'",
                "UBERBLOCKS   12 valid copies, 0 rejected slots",
                "timestamp " + Instant.ofEpochMilli(LabelFixtures.BASE_MILLIS + 9000),
                "guid_sum " + LabelFixtures.tree(DEVICE_BYTES).guidSum(),
                "mmp_seq 0",
                "root_bp objset vdev=0",
                "best config: label 0 (pool 'tank', txg 7)",
                "best uberblock: txg 9 (label 0 slot 9)");
        assertThat(dump.split("\n")).filteredOn(l -> l.startsWith("LABEL ")).hasSize(4);
        assertThat(dump.split("\n")).filteredOn(l -> l.endsWith("(best)")).singleElement().satisfies(best -> {
            assertThat(best).startsWith("  * label 0 slot   9  txg 9 ");
        });
        assertThat(dump.indexOf("txg 9 ")).isLessThan(dump.indexOf("txg 8 "));
        assertThat(dump.indexOf("txg 8 ")).isLessThan(dump.indexOf("slot   7  txg 7 "));
        assertThat(dump.indexOf("type: 'mirror'")).isLessThan(dump.indexOf("path: '/dev/tarn/a'"));
    }

    @Test
    void dump_neg_showsRejectionReasons() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(7);
        dev.flip(Label.HEADER_BYTES + 1);
        dev.flip(LabelLayout.uberblockOffset(DEVICE_BYTES, 1, 7) + 30);
        dev.resize(10L * 1024 * 1024);
        String dump = LabelDump.dump(dev);
        assertThat(dump).contains(
                "status: bad label checksum",
                "status: truncated: label 2 lies beyond the device end",
                "label 1 slot   7  rejected: uberblock checksum mismatch",
                "best config: label 1 (pool 'tank', txg 7)");
    }

    @Test
    void dump_neg_blankDevice() {
        String dump = LabelDump.dump(LabelFixtures.device());
        assertThat(dump).contains("status: not a Tarn label (blank)", "(no valid uberblock)",
                "best config: none (no valid label on /dev/tarn/a: label 0: not a Tarn label (blank)",
                "best uberblock: none");
    }
}
