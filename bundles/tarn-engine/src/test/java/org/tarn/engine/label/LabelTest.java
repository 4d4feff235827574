package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.tarn.api.ErrorCode;

/** The config area of a label: round trip and every rejection. */
class LabelTest {

    @Test
    void encodeDecode_pos_roundTrip() throws Exception {
        LabelConfig c = LabelFixtures.config(42);
        ByteBuffer area = Label.encodeConfig(c);
        // header and payload, padded to whole write units: a small config is one unit, not the whole area
        assertThat(area.remaining()).isEqualTo(Label.WRITE_UNIT_BYTES);
        assertThat(Label.decodeConfig(area)).isEqualTo(c);
        assertThat(area.position()).isZero();
    }

    @Test
    void decode_neg_blankAndWrongMagic() {
        assertRejected(ByteBuffer.allocate(LabelLayout.CONFIG_BYTES), LabelException.Kind.NOT_A_LABEL,
                "not a Tarn label (blank)");
        ByteBuffer foreign = ByteBuffer.allocate(LabelLayout.CONFIG_BYTES);
        foreign.put("EFI PART".getBytes(StandardCharsets.US_ASCII)).clear();
        assertRejected(foreign, LabelException.Kind.NOT_A_LABEL, "not a Tarn label");
    }

    @Test
    void decode_neg_badChecksum() {
        ByteBuffer area = Label.encodeConfig(LabelFixtures.config(3));
        area.put(Label.HEADER_BYTES + 10, (byte) (area.get(Label.HEADER_BYTES + 10) ^ 1));
        assertRejected(area, LabelException.Kind.BAD_CHECKSUM, "bad label checksum");
    }

    @Test
    void decode_neg_newerHeaderVersion() {
        ByteBuffer area = Label.encodeConfig(LabelFixtures.config(3));
        area.putInt(8, 2);
        LabelException e = assertRejected(area, LabelException.Kind.UNSUPPORTED_VERSION,
                "format version 2 is newer than supported 1");
        assertThat(e.kind().errorCode()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
    }

    @Test
    void decode_neg_newerPoolVersionInsideTheConfig() {
        LabelConfig c = LabelFixtures.config(3);
        LabelConfig newer = new LabelConfig(c.poolName(), c.poolGuid(), c.vdevGuid(), c.topGuid(), c.state(),
                c.hostid(), c.hostname(), c.txg(), 5, c.properties(), c.vdevTree());
        assertRejected(Label.encodeConfig(newer), LabelException.Kind.UNSUPPORTED_VERSION,
                "format version 5 is newer than supported 1");
    }

    @Test
    void decode_neg_badLength() {
        ByteBuffer area = Label.encodeConfig(LabelFixtures.config(3));
        area.putInt(12, -1);
        assertRejected(area, LabelException.Kind.BAD_LENGTH, "bad label length -1");
        area.putInt(12, LabelLayout.CONFIG_BYTES);
        assertRejected(area, LabelException.Kind.BAD_LENGTH, "bad label length");
        assertRejected(ByteBuffer.allocate(10), LabelException.Kind.BAD_LENGTH, "shorter than its");
    }

    @Test
    void decode_neg_checksummedButUndecodablePayload() {
        assertRejected(withPayload(new byte[] {1, 0, 0, 0, 9, 9}), LabelException.Kind.CORRUPT,
                "undecodable label config: nvlist");
        assertRejected(withPayload(new NvList().putString("name", "tank").encode()), LabelException.Kind.CORRUPT,
                "undecodable label config: no value named");
    }

    @Test
    void encode_neg_configTooLargeForALabel() {
        LabelConfig c = LabelFixtures.config(3);
        Map<String, String> huge = new TreeMap<>(c.properties());
        huge.put("comment", "x".repeat(LabelLayout.CONFIG_BYTES));
        LabelConfig big = new LabelConfig(c.poolName(), c.poolGuid(), c.vdevGuid(), c.topGuid(), c.state(),
                c.hostid(), c.hostname(), c.txg(), 1, huge, c.vdevTree());
        assertThatThrownBy(() -> Label.encodeConfig(big)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than the " + Label.MAX_PAYLOAD_BYTES);
    }

    private static ByteBuffer withPayload(byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer area = ByteBuffer.allocate(LabelLayout.CONFIG_BYTES);
        area.put(Label.MAGIC).putInt(1).putInt(payload.length).putInt((int) crc.getValue())
                .position(Label.HEADER_BYTES);
        area.put(payload);
        return area.clear();
    }

    private static LabelException assertRejected(ByteBuffer area, LabelException.Kind kind, String reason) {
        try {
            Label.decodeConfig(area);
        } catch (LabelException e) {
            assertThat(e.kind()).isEqualTo(kind);
            assertThat(e.reason()).contains(reason);
            return e;
        }
        throw new AssertionError("expected a rejection: " + reason);
    }
}
