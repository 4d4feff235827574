package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;

/**
 * Label and uberblock fuzzing at the reader: a device labelled and synced a
 * few times, then damaged at random (bit flips aimed at configs, uberblock
 * slots or anywhere in a label, zeroed rings and configs, truncation, a label
 * copied in from another pool's device), is read by {@link LabelReader}. It
 * never throws, whatever it reads; everything it accepts is something that
 * was written; untouched labels stay valid; a device without a valid label
 * says why.
 */
class LabelFuzzTest {
    private static final long FIRST_TXG = 5;
    private static final long LAST_TXG = 12;
    /** Txgs whose syncs rewrote the configs (the others wrote uberblocks only). */
    private static final Set<Long> CONFIG_TXGS = Set.of(FIRST_TXG, 8L, 11L);
    private static final long DEVICE_BYTES = LabelFixtures.DEVICE_BYTES;

    /** One way to damage a device. */
    sealed interface Damage permits Flip, ZeroRing, ZeroConfig, Truncate, Foreign {
        /** Whether it touches label {@code index} (its config or ring), on a device of {@code size} bytes. */
        boolean touches(int index, long size);
    }

    /** Flips bit {@code bit} of the byte at {@code offset} inside label {@code label}. */
    record Flip(int label, int offset, int bit) implements Damage {
        @Override
        public boolean touches(int index, long size) {
            return index == label;
        }
    }

    record ZeroRing(int label) implements Damage {
        @Override
        public boolean touches(int index, long size) {
            return index == label;
        }
    }

    record ZeroConfig(int label) implements Damage {
        @Override
        public boolean touches(int index, long size) {
            return index == label;
        }
    }

    /** Cuts the device to {@code newSize} bytes. */
    record Truncate(long newSize) implements Damage {
        @Override
        public boolean touches(int index, long size) {
            // the end labels move or vanish; a front label beyond the new end is gone
            return index >= 2 || (index + 1L) * LabelLayout.LABEL_BYTES > newSize;
        }
    }

    /** Replaces label {@code label} with the same label of another pool's device. */
    record Foreign(int label) implements Damage {
        @Override
        public boolean touches(int index, long size) {
            return index == label;
        }
    }

    @Property(tries = 200)
    void reader_never_throws_accepts_only_what_was_written_and_keeps_untouched_labels_pos(
            @ForAll("damages") @Size(max = 6) List<Damage> damages) throws Exception {
        MemoryBlockDevice dev = Base.SYNCED.copy("/dev/tarn/a");
        MemoryBlockDevice foreign = Base.FOREIGN;
        long size = DEVICE_BYTES;
        List<long[]> hit = new java.util.ArrayList<>(); // the byte ranges the damage wrote, [from, to)
        for (Damage d : damages) {
            size = apply(dev, foreign, d, size, hit);
        }

        DeviceLabels labels = LabelReader.read(dev);
        assertThat(LabelDump.dump(labels)).as("the dump of whatever was read").isNotBlank();

        Set<Uberblock> written = new HashSet<>();
        for (long t = FIRST_TXG; t <= LAST_TXG; t++) {
            written.add(LabelFixtures.uberblock(t));
        }
        Uberblock foreignUb = ForeignPool.uberblock();
        for (DeviceLabels.FoundUberblock f : labels.uberblocks()) {
            assertThat(written.contains(f.uberblock()) || f.uberblock().equals(foreignUb))
                    .as("accepted %s in label %d slot %d after %s", f.uberblock(), f.label(), f.slot(), damages)
                    .isTrue();
        }
        for (DeviceLabels.LabelCopy l : labels.validLabels()) {
            LabelConfig c = l.config();
            boolean ours = CONFIG_TXGS.contains(c.txg()) && c.equals(LabelFixtures.config(c.txg()));
            assertThat(ours || c.equals(ForeignPool.config()))
                    .as("accepted config of txg %d in label %d after %s", c.txg(), l.index(), damages).isTrue();
        }

        for (int index = 0; index < LabelLayout.LABEL_COUNT; index++) {
            int i = index;
            long s = size;
            long from = labelOffset(s, i);
            boolean overlapped = from < 0 || hit.stream().anyMatch(r -> r[0] < from + LabelLayout.LABEL_BYTES
                    && r[1] > from);
            // a truncated device's end labels moved: whatever is at their new place is not theirs
            boolean moved = i >= 2 && s < DEVICE_BYTES;
            if (!overlapped && !moved && damages.stream().noneMatch(d -> d.touches(i, s))) {
                DeviceLabels.LabelCopy l = labels.labels().get(i);
                assertThat(l.isValid()).as("untouched label %d after %s: %s", i, damages, l.status()).isTrue();
                assertThat(l.config()).isEqualTo(LabelFixtures.config(11));
                assertThat(labels.uberblocks().stream().filter(u -> u.label() == i).count())
                        .as("uberblocks of untouched label %d", i).isEqualTo(LAST_TXG - FIRST_TXG + 1);
            }
        }

        assertThat(labels.whyNoValidLabel().isPresent()).isEqualTo(!labels.hasValidLabel());
        labels.whyNoValidLabel().ifPresent(why -> assertThat(why.getMessage()).contains(dev.path()));
        Optional<DeviceLabels.FoundUberblock> best = labels.bestUberblock();
        Optional<LabelConfig> config = labels.bestConfig();
        if (best.isPresent() && config.isPresent() && !config.get().equals(ForeignPool.config())
                && best.get().uberblock().guidSum() == config.get().vdevTree().guidSum()) {
            boolean consistentExists = labels.validLabels().stream()
                    .anyMatch(l -> l.config().txg() <= best.get().uberblock().txg());
            if (consistentExists) {
                assertThat(config.get().txg()).as("the best config is no newer than the best uberblock")
                        .isLessThanOrEqualTo(best.get().uberblock().txg());
            }
        }
    }

    @Property(tries = 200)
    void reader_survives_any_garbage_in_any_size_pos(@ForAll("sizes") long size, @ForAll long seed) {
        MemoryBlockDevice dev = new MemoryBlockDevice("/dev/garbage", size);
        java.util.Random r = new java.util.Random(seed);
        byte[] junk = new byte[(int) Math.min(size, 1 << 20)];
        r.nextBytes(junk);
        try {
            dev.write(0, ByteBuffer.wrap(junk));
            if (r.nextBoolean() && size >= LabelLayout.MIN_DEVICE_BYTES) {
                // a real label header over garbage: magic and a plausible length, payload junk
                ByteBuffer header = ByteBuffer.allocate(Label.HEADER_BYTES).put(Label.MAGIC)
                        .putInt(LabelLayout.FORMAT_VERSION).putInt(r.nextInt(200_000)).putInt(r.nextInt());
                dev.write(0, header.clear());
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        DeviceLabels labels = LabelReader.read(dev);
        assertThat(labels.hasValidLabel()).isFalse();
        assertThat(labels.uberblocks()).isEmpty();
        assertThat(labels.whyNoValidLabel()).isPresent();
    }

    // ---- generators ----------------------------------------------------------------

    @Provide
    Arbitrary<List<Damage>> damages() {
        return damage().list();
    }

    private Arbitrary<Damage> damage() {
        Arbitrary<Integer> label = Arbitraries.integers().between(0, LabelLayout.LABEL_COUNT - 1);
        Arbitrary<Integer> bit = Arbitraries.integers().between(0, 7);
        // aim a third of the flips at config headers and payloads, a third at written uberblock slots
        Arbitrary<Integer> configOffset = Arbitraries.integers().between(0, 8191);
        Arbitrary<Integer> slotOffset = Combinators.combine(Arbitraries.longs().between(FIRST_TXG, LAST_TXG),
                Arbitraries.integers().between(0, LabelLayout.UBERBLOCK_SLOT_BYTES - 1))
                .as((txg, at) -> LabelLayout.UBERBLOCK_RING_OFFSET
                        + LabelLayout.uberblockSlot(txg) * LabelLayout.UBERBLOCK_SLOT_BYTES + at);
        Arbitrary<Integer> anyOffset = Arbitraries.integers().between(0, LabelLayout.LABEL_BYTES - 1);
        Arbitrary<Damage> flip = Combinators.combine(label, Arbitraries.oneOf(configOffset, slotOffset, anyOffset), bit)
                .as(Flip::new);
        Arbitrary<Damage> truncate = Arbitraries.longs().between(0, DEVICE_BYTES - 1).map(Truncate::new);
        return Arbitraries.frequencyOf(
                Tuple.of(10, flip),
                Tuple.of(2, label.map(ZeroRing::new)),
                Tuple.of(2, label.map(ZeroConfig::new)),
                Tuple.of(1, truncate),
                Tuple.of(2, label.map(Foreign::new)));
    }

    @Provide
    Arbitrary<Long> sizes() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 4096),
                Arbitraries.longs().between(LabelLayout.MIN_DEVICE_BYTES - 1, LabelLayout.MIN_DEVICE_BYTES + 300_000),
                Arbitraries.longs().between(4096, 2L * LabelLayout.LABEL_BYTES + 100));
    }

    // ---- fixtures --------------------------------------------------------------------

    /** Labelled at {@link #FIRST_TXG}, then one sync per txg to {@link #LAST_TXG}, configs rewritten in {@link #CONFIG_TXGS}. */
    private static MemoryBlockDevice syncedDevice() throws Exception {
        MemoryBlockDevice dev = LabelFixtures.labelledDevice(FIRST_TXG);
        LabelConfig config = LabelFixtures.config(FIRST_TXG);
        for (long t = FIRST_TXG + 1; t <= LAST_TXG; t++) {
            if (CONFIG_TXGS.contains(t)) {
                config = LabelFixtures.config(t);
                LabelWriter.update(dev, config, LabelFixtures.uberblock(t));
            } else {
                for (DeviceWrite w : LabelWriter.uberblockWrites(dev.sizeBytes(), LabelFixtures.uberblock(t))) {
                    w.applyTo(dev);
                }
            }
        }
        return dev;
    }

    private static MemoryBlockDevice foreignDevice() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice("/dev/other", DEVICE_BYTES);
        LabelWriter.writeAll(dev, ForeignPool.config(), ForeignPool.uberblock());
        return dev;
    }

    /** The undamaged devices, built once; each try damages a copy. */
    private static final class Base {
        static final MemoryBlockDevice SYNCED;
        static final MemoryBlockDevice FOREIGN;

        static {
            try {
                SYNCED = syncedDevice();
                FOREIGN = foreignDevice();
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** Another pool, whose labels end up on our device when devices get mixed up. */
    private static final class ForeignPool {
        static LabelConfig config() {
            VdevConfig leaf = VdevConfig.leaf("file", 9001, 0, "/dev/other", DEVICE_BYTES);
            return LabelConfig.of("other", 0x0DDBA11L, 9001, PoolLabelState.EXPORTED, 0x77L, "host-b", 40,
                    LabelFixtures.properties(), VdevConfig.root(9000, List.of(leaf)));
        }

        static Uberblock uberblock() {
            return Uberblock.of(40, LabelFixtures.BASE_MILLIS, config().vdevTree().guidSum(), LabelFixtures.bp(40));
        }
    }

    private static long apply(MemoryBlockDevice dev, MemoryBlockDevice foreign, Damage d, long size,
                              List<long[]> hit) throws Exception {
        if (d instanceof Flip f) {
            long at = labelOffset(size, f.label()) + f.offset();
            if (labelOffset(size, f.label()) >= 0 && at < size) {
                hit.add(new long[] {at, at + 1});
                ByteBuffer b = ByteBuffer.allocate(1);
                dev.read(at, b);
                dev.write(at, ByteBuffer.wrap(new byte[] {(byte) (b.get(0) ^ (1 << f.bit()))}));
            }
        } else if (d instanceof ZeroRing z && labelOffset(size, z.label()) >= 0) {
            zero(dev, size, labelOffset(size, z.label()) + LabelLayout.UBERBLOCK_RING_OFFSET,
                    LabelLayout.UBERBLOCK_RING_BYTES, hit);
        } else if (d instanceof ZeroConfig z) {
            zero(dev, size, labelOffset(size, z.label()), LabelLayout.CONFIG_BYTES, hit);
        } else if (d instanceof Truncate t) {
            long newSize = Math.min(size, t.newSize());
            dev.resize(newSize);
            return newSize;
        } else if (d instanceof Foreign f) {
            long from = LabelLayout.labelOffset(DEVICE_BYTES, f.label());
            long to = labelOffset(size, f.label());
            if (to >= 0 && to + LabelLayout.LABEL_BYTES <= size) {
                ByteBuffer b = ByteBuffer.allocate(LabelLayout.LABEL_BYTES);
                foreign.read(from, b);
                dev.write(to, b.flip());
                hit.add(new long[] {to, to + LabelLayout.LABEL_BYTES});
            }
        }
        return size;
    }

    private static void zero(MemoryBlockDevice dev, long size, long offset, int length, List<long[]> hit)
            throws Exception {
        if (offset >= 0 && offset + length <= size) {
            dev.write(offset, ByteBuffer.allocate(length));
            hit.add(new long[] {offset, offset + length});
        }
    }

    /** Where label {@code index} is on a device of {@code size} bytes, or -1 where it cannot be. */
    private static long labelOffset(long size, int index) {
        try {
            return LabelLayout.labelOffset(size, index);
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

}
