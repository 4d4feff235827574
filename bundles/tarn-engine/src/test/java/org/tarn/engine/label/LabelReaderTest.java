package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tarn.engine.label.LabelFixtures.DEVICE_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.tarn.api.ErrorCode;
import org.tarn.api.vdev.BlockDevice;

class LabelReaderTest {

    // ---------------------------------------------------------------- positive

    @Test
    void read_pos_writeAllRoundTrip() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        DeviceLabels read = LabelReader.read(dev);

        assertThat(read.path()).isEqualTo("/dev/tarn/a");
        assertThat(read.sizeBytes()).isEqualTo(DEVICE_BYTES);
        assertThat(read.hasValidLabel()).isTrue();
        assertThat(read.labels()).hasSize(4).allSatisfy(l -> {
            assertThat(l.status()).isEqualTo("valid");
            assertThat(l.config()).isEqualTo(LabelFixtures.config(5));
            assertThat(l.ringRejection()).isNull();
        });
        assertThat(read.labels()).extracting(DeviceLabels.LabelCopy::offset)
                .containsExactly(0L, 262_144L, LabelLayout.labelOffset(DEVICE_BYTES, 2),
                        LabelLayout.labelOffset(DEVICE_BYTES, 3));
        assertThat(read.bestConfig()).contains(LabelFixtures.config(5));
        assertThat(read.uberblocks()).hasSize(4).allSatisfy(f -> {
            assertThat(f.slot()).isEqualTo(5);
            assertThat(f.uberblock()).isEqualTo(LabelFixtures.uberblock(5));
        });
        assertThat(read.uberblocks()).extracting(DeviceLabels.FoundUberblock::label).containsExactly(0, 1, 2, 3);
        assertThat(read.rejectedSlots()).isEmpty();
        assertThat(read.bestUberblock()).get().satisfies(f -> {
            assertThat(f.label()).isZero();
            assertThat(f.offset()).isEqualTo(LabelLayout.uberblockOffset(DEVICE_BYTES, 0, 5));
        });
        assertThat(read.whyNoValidLabel()).isEmpty();
    }

    @Test
    void read_pos_manyTxgsKeepTheRingAndPickTheNewest() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        for (long txg = 6; txg <= 140; txg++) {
            for (DeviceWrite w : LabelWriter.uberblockWrites(DEVICE_BYTES, LabelFixtures.uberblock(txg))) {
                w.applyTo(dev);
            }
        }
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.uberblocks()).hasSize(4 * LabelLayout.TXG_SLOTS);
        assertThat(read.bestUberblock()).get().extracting(f -> f.uberblock().txg()).isEqualTo(140L);
        assertThat(read.uberblocksNewestFirst().get(4).uberblock().txg()).isEqualTo(139);
        assertThat(read.uberblocksNewestFirst()).last().extracting(f -> f.uberblock().txg()).isEqualTo(17L);
        assertThat(read.bestConfig()).get().extracting(LabelConfig::txg).isEqualTo(5L);
    }

    @Test
    void read_pos_corruptNewestUberblockFallsBackToThePrevious() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        for (long txg = 6; txg <= 7; txg++) {
            for (DeviceWrite w : LabelWriter.uberblockWrites(DEVICE_BYTES, LabelFixtures.uberblock(txg))) {
                w.applyTo(dev);
            }
        }
        dev.flip(LabelLayout.uberblockOffset(DEVICE_BYTES, 0, 7) + 20);
        assertThat(LabelReader.read(dev).bestUberblock()).get()
                .satisfies(f -> {
                    assertThat(f.uberblock().txg()).as("another label's copy").isEqualTo(7);
                    assertThat(f.label()).isEqualTo(1);
                });

        for (int label = 1; label < 4; label++) {
            dev.flip(LabelLayout.uberblockOffset(DEVICE_BYTES, label, 7) + 20);
        }
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.bestUberblock()).get().extracting(f -> f.uberblock().txg()).isEqualTo(6L);
        assertThat(read.rejectedSlots()).hasSize(4).allSatisfy(r -> {
            assertThat(r.slot()).isEqualTo(7);
            assertThat(r.reason().kind()).isEqualTo(LabelException.Kind.BAD_CHECKSUM);
        });
    }

    @Test
    void read_pos_tiesBrokenByTimestampThenSequence() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        Uberblock early = LabelFixtures.uberblock(7);
        Uberblock late = early.withHeartbeat(0, early.timestampMillis() + 10);
        writeSlot(dev, 0, early);
        writeSlot(dev, 1, early);
        writeSlot(dev, 2, late);
        writeSlot(dev, 3, early);
        assertThat(LabelReader.read(dev).bestUberblock()).get().satisfies(f -> {
            assertThat(f.uberblock()).isEqualTo(late);
            assertThat(f.label()).isEqualTo(2);
        });

        Uberblock beat = early.withHeartbeat(4, early.timestampMillis());
        writeSlot(dev, 2, early);
        writeSlot(dev, 3, beat);
        assertThat(LabelReader.read(dev).bestUberblock()).get().satisfies(f -> {
            assertThat(f.uberblock().mmpSequence()).isEqualTo(4);
            assertThat(f.label()).isEqualTo(3);
        });
    }

    @Test
    void bestConfig_pos_ignoresAConfigNewerThanEveryUberblock() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        for (DeviceWrite w : LabelWriter.configWrites(DEVICE_BYTES, LabelFixtures.config(6), LabelSet.EVEN)) {
            w.applyTo(dev);
        }
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.bestLabel()).get().extracting(DeviceLabels.LabelCopy::index).isEqualTo(1);
        assertThat(read.bestConfig()).get().extracting(LabelConfig::txg).isEqualTo(5L);
    }

    @Test
    void read_pos_grownDeviceStillReadsItsFrontLabels() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        dev.resize(DEVICE_BYTES + 8L * LabelLayout.LABEL_BYTES);
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.labels()).extracting(DeviceLabels.LabelCopy::status)
                .containsExactly("valid", "valid", "not a Tarn label (blank)", "not a Tarn label (blank)");
        assertThat(read.bestConfig()).isPresent();
    }

    // ---------------------------------------------------------------- negative

    @Test
    void read_neg_blankDeviceHasNoLabelAndNoRejectedSlots() {
        DeviceLabels read = LabelReader.read(LabelFixtures.device());
        assertThat(read.hasValidLabel()).isFalse();
        assertThat(read.labels()).extracting(DeviceLabels.LabelCopy::status)
                .containsOnly("not a Tarn label (blank)");
        assertThat(read.uberblocks()).isEmpty();
        assertThat(read.rejectedSlots()).as("all-zero slots are empty, not errors").isEmpty();
        assertThat(read.bestConfig()).isEmpty();
        assertThat(read.bestUberblock()).isEmpty();
        assertThat(read.whyNoValidLabel()).get().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(LabelException.Kind.NOT_A_LABEL);
            assertThat(e.reason()).contains("label 0: not a Tarn label", "label 3: not a Tarn label");
        });
    }

    @Test
    void read_neg_garbageDeviceIsRejectedNotACrash() {
        MemoryBlockDevice dev = LabelFixtures.device();
        new Random(1).nextBytes(dev.bytes());
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.hasValidLabel()).isFalse();
        assertThat(read.rejectedSlots()).hasSize(4 * LabelLayout.UBERBLOCK_SLOTS)
                .allSatisfy(r -> assertThat(r.reason().kind()).isEqualTo(LabelException.Kind.NOT_A_LABEL));
    }

    @Test
    void read_neg_badChecksumInOneLabelLeavesTheOthers() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        dev.flip(Label.HEADER_BYTES + 3);
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.labels().get(0).rejection().kind()).isEqualTo(LabelException.Kind.BAD_CHECKSUM);
        assertThat(read.labels().get(0).status()).startsWith("bad label checksum");
        assertThat(read.validLabels()).extracting(DeviceLabels.LabelCopy::index).containsExactly(1, 2, 3);
        assertThat(read.bestLabel()).get().extracting(DeviceLabels.LabelCopy::index).isEqualTo(1);
    }

    @Test
    void read_neg_allLabelsCorrupt() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        for (int i = 0; i < 4; i++) {
            dev.flip(LabelLayout.labelOffset(DEVICE_BYTES, i) + Label.HEADER_BYTES + 100);
        }
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.hasValidLabel()).isFalse();
        assertThat(read.bestConfig()).isEmpty();
        assertThat(read.uberblocks()).as("the rings are intact").hasSize(4);
        assertThat(read.whyNoValidLabel()).get().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(LabelException.Kind.BAD_CHECKSUM);
            assertThat(e.reason()).startsWith("no valid label on /dev/tarn/a: label 0: bad label checksum");
        });
    }

    @Test
    void read_neg_newerFormatVersionIsDistinguishable() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        for (int i = 0; i < 4; i++) {
            ByteBuffer.wrap(dev.bytes()).putInt((int) LabelLayout.labelOffset(DEVICE_BYTES, i) + 8, 3);
        }
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.labels()).extracting(DeviceLabels.LabelCopy::status)
                .containsOnly("format version 3 is newer than supported 1");
        assertThat(read.whyNoValidLabel()).get().extracting(e -> e.kind().errorCode())
                .isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
    }

    @Test
    void read_neg_truncatedDeviceReportsItsEndLabels() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        dev.resize(10L * 1024 * 1024);
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.validLabels()).extracting(DeviceLabels.LabelCopy::index).containsExactly(0, 1);
        assertThat(read.labels().get(2).status()).startsWith("truncated: label 2 lies beyond the device end");
        assertThat(read.labels().get(3).status()).startsWith("truncated: label 3 lies beyond the device end");
        assertThat(read.labels().get(3).rejection().kind()).isEqualTo(LabelException.Kind.TRUNCATED);
        assertThat(read.uberblocks()).extracting(DeviceLabels.FoundUberblock::label).containsExactly(0, 1);
        assertThat(read.bestConfig()).contains(LabelFixtures.config(5));
    }

    @Test
    void read_neg_deviceShrunkButAboveTheMinimumIsCaughtByItsLabels() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        new Random(3).nextBytes(dev.bytes()); // old data everywhere...
        LabelWriter.writeAll(dev, LabelFixtures.config(5), LabelFixtures.uberblock(5)); // ...but the labels
        dev.resize(DEVICE_BYTES - 2L * LabelLayout.LABEL_BYTES);
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.labels().get(2).status())
                .startsWith("truncated: label 2 lies beyond the device end (its labels say the device had at least");
        assertThat(read.labels().get(3).rejection().kind()).isEqualTo(LabelException.Kind.TRUNCATED);
        assertThat(read.rejectedSlots()).as("data read in place of the end rings is not reported").isEmpty();
        assertThat(read.hasValidLabel()).isTrue();
    }

    @Test
    void read_neg_deviceShorterThanOneLabelPair() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        dev.resize(300 * 1024);
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.labels().get(0).isValid()).isTrue();
        assertThat(read.labels().subList(1, 4)).allSatisfy(l -> {
            assertThat(l.rejection().kind()).isEqualTo(LabelException.Kind.TRUNCATED);
            assertThat(l.status()).contains("lies beyond the device end", "less than the minimum");
        });

        dev.resize(1000);
        DeviceLabels tiny = LabelReader.read(dev);
        assertThat(tiny.hasValidLabel()).isFalse();
        assertThat(tiny.whyNoValidLabel()).get().extracting(LabelException::kind)
                .isEqualTo(LabelException.Kind.TRUNCATED);

        dev.resize(0);
        assertThat(LabelReader.read(dev).labels()).allSatisfy(l -> assertThat(l.isValid()).isFalse());
    }

    @Test
    void read_neg_ioErrorsBecomeReasons() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        long label1 = LabelLayout.labelOffset(DEVICE_BYTES, 1);
        dev.failReads(label1, label1 + 10);
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.labels().get(1).rejection().kind()).isEqualTo(LabelException.Kind.IO_ERROR);
        assertThat(read.labels().get(1).status()).contains("I/O error reading label 1", "injected read error");
        assertThat(read.labels().get(1).ringRejection()).as("the ring is read separately").isNull();
        assertThat(read.validLabels()).hasSize(3);

        dev.failReads(0, DEVICE_BYTES);
        DeviceLabels none = LabelReader.read(dev);
        assertThat(none.hasValidLabel()).isFalse();
        assertThat(none.labels()).allSatisfy(l -> assertThat(l.ringRejection()).isNotNull());
        assertThat(none.whyNoValidLabel()).get().extracting(e -> e.kind().errorCode()).isEqualTo(ErrorCode.IO_ERROR);
    }

    @Test
    void read_neg_aDeviceThatThrowsRuntimeExceptionsDoesNotCrashTheReader() {
        BlockDevice broken = new BlockDevice() {
            @Override
            public String path() {
                return "/dev/broken";
            }

            @Override
            public long sizeBytes() {
                return DEVICE_BYTES;
            }

            @Override
            public boolean readOnly() {
                return true;
            }

            @Override
            public void read(long offset, ByteBuffer dst) {
                throw new IllegalStateException("driver bug");
            }

            @Override
            public void write(long offset, ByteBuffer src) throws IOException {
                throw new IOException("read-only");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        DeviceLabels read = LabelReader.read(broken);
        assertThat(read.labels()).allSatisfy(l -> assertThat(l.status()).contains("driver bug"));
        assertThat(read.whyNoValidLabel()).get().extracting(LabelException::kind)
                .isEqualTo(LabelException.Kind.IO_ERROR);
    }

    @Test
    void read_neg_uberblockInTheWrongSlotIsRejected() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(5);
        long wrong = LabelLayout.slotOffset(DEVICE_BYTES, 2, 9);
        new DeviceWrite(wrong, LabelFixtures.uberblock(6).encode()).applyTo(dev);
        DeviceLabels read = LabelReader.read(dev);
        assertThat(read.rejectedSlots()).singleElement().satisfies(r -> {
            assertThat(r.label()).isEqualTo(2);
            assertThat(r.slot()).isEqualTo(9);
            assertThat(r.offset()).isEqualTo(wrong);
            assertThat(r.reason().reason()).contains("txg 6 is in slot 9, it belongs in slot 6");
        });
    }

    private static void writeSlot(MemoryBlockDevice dev, int label, Uberblock ub) throws IOException {
        new DeviceWrite(LabelLayout.uberblockOffset(DEVICE_BYTES, label, ub.txg()), ub.encode()).applyTo(dev);
    }
}
