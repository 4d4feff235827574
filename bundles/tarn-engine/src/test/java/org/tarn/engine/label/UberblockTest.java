package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.tarn.engine.io.BlockPointer;

class UberblockTest {

    @Test
    void encodeDecode_pos_roundTrip() throws Exception {
        Uberblock ub = LabelFixtures.uberblock(77).withHeartbeat(3, LabelFixtures.BASE_MILLIS + 99);
        ByteBuffer slot = ub.encode();
        assertThat(slot.remaining()).isEqualTo(LabelLayout.UBERBLOCK_SLOT_BYTES);
        assertThat(slot.getLong(0)).isEqualTo(Uberblock.MAGIC);
        Uberblock back = Uberblock.decode(slot);
        assertThat(back).isEqualTo(ub);
        assertThat(back.rootBp().blockType()).isEqualTo(ub.rootBp().blockType());
        assertThat(back.slot()).isEqualTo(77);
    }

    @Test
    void encodeDecode_pos_holeRootPointer() throws Exception {
        Uberblock ub = Uberblock.of(1, 2, 3, BlockPointer.HOLE);
        assertThat(Uberblock.decode(ub.encode()).rootBp().isHole()).isTrue();
    }

    @Test
    void isBlank_pos() {
        assertThat(Uberblock.isBlank(ByteBuffer.allocate(Uberblock.BYTES))).isTrue();
        assertThat(Uberblock.isBlank(LabelFixtures.uberblock(1).encode())).isFalse();
    }

    @Test
    void decode_neg_rejectionsHaveSpecificReasons() {
        ByteBuffer badMagic = LabelFixtures.uberblock(5).encode();
        badMagic.putLong(0, 0x1234);
        assertRejected(badMagic, LabelException.Kind.NOT_A_LABEL, "not a Tarn uberblock");

        ByteBuffer badSum = LabelFixtures.uberblock(5).encode();
        badSum.putLong(16, 6);
        assertRejected(badSum, LabelException.Kind.BAD_CHECKSUM, "uberblock checksum mismatch");

        ByteBuffer torn = LabelFixtures.uberblock(5).encode();
        torn.put(Uberblock.BYTES - 1, (byte) (torn.get(Uberblock.BYTES - 1) + 1));
        assertRejected(torn, LabelException.Kind.BAD_CHECKSUM, "checksum");

        ByteBuffer newer = LabelFixtures.uberblock(5).encode();
        newer.putInt(8, 2);
        assertRejected(newer, LabelException.Kind.UNSUPPORTED_VERSION, "format version 2 is newer than supported 1");

        assertRejected(ByteBuffer.allocate(Uberblock.BYTES), LabelException.Kind.NOT_A_LABEL, "empty");
        assertRejected(ByteBuffer.allocate(100), LabelException.Kind.BAD_LENGTH, "100 bytes");
    }

    @Test
    void order_pos_txgThenTimestampThenSequence() {
        Uberblock base = LabelFixtures.uberblock(10);
        Uberblock newerTxg = LabelFixtures.uberblock(11);
        Uberblock laterSameTxg = base.withHeartbeat(0, base.timestampMillis() + 1);
        Uberblock nextBeat = base.withHeartbeat(1, base.timestampMillis());

        assertThat(Uberblock.best(List.of(base, newerTxg, laterSameTxg, nextBeat))).contains(newerTxg);
        assertThat(Uberblock.best(List.of(base, laterSameTxg))).contains(laterSameTxg);
        assertThat(Uberblock.best(List.of(nextBeat, base))).contains(nextBeat);
        assertThat(Uberblock.best(List.of(laterSameTxg, nextBeat))).as("timestamp before sequence")
                .contains(laterSameTxg);
        assertThat(Uberblock.best(List.of())).isEmpty();
        assertThat(Uberblock.ORDER.compare(base, base)).isZero();
    }

    @Test
    void constructor_neg() {
        assertThatThrownBy(() -> Uberblock.of(-1, 0, 0, BlockPointer.HOLE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Uberblock(1, 0, 0, BlockPointer.HOLE, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Uberblock.of(1, 0, 0, null)).isInstanceOf(NullPointerException.class);
    }

    private static void assertRejected(ByteBuffer slot, LabelException.Kind kind, String reason) {
        try {
            Uberblock.decode(slot);
        } catch (LabelException e) {
            assertThat(e.kind()).isEqualTo(kind);
            assertThat(e.reason()).contains(reason);
            return;
        }
        throw new AssertionError("expected a rejection: " + reason);
    }
}
