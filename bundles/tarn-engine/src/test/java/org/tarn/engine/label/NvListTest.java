package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class NvListTest {

    private static NvList everyType() {
        NvList child0 = new NvList().putString("type", "file").putLong("guid", 7);
        NvList child1 = new NvList().putString("type", "file").putLong("guid", 8).putBoolean("offline", true);
        return new NvList()
                .putLong("long", Long.MIN_VALUE)
                .putLong("zero", 0)
                .putString("string", "tank ✓ ünïcode")
                .putString("empty", "")
                .putBoolean("yes", true)
                .putBoolean("no", false)
                .putBytes("bytes", new byte[] {0, 1, -1, 127, -128})
                .putBytes("noBytes", new byte[0])
                .putNvList("nested", new NvList().putLong("a", 1)
                        .putNvList("deeper", new NvList().putString("b", "c")))
                .putNvList("emptyList", new NvList())
                .putNvLists("children", List.of(child0, child1))
                .putNvLists("noChildren", List.of())
                .putLongs("longs", 1, -2, Long.MAX_VALUE)
                .putLongList("longList", List.of(4L, 5L));
    }

    // ---------------------------------------------------------------- positive

    @Test
    void roundTrip_pos_everyTypeAndNesting() {
        NvList nv = everyType();
        NvList back = NvList.decode(nv.encode());

        assertThat(back).isEqualTo(nv).hasSameHashCodeAs(nv);
        assertThat(back.names()).containsExactlyElementsOf(nv.names());
        assertThat(back.getLong("long")).isEqualTo(Long.MIN_VALUE);
        assertThat(back.getString("string")).isEqualTo("tank ✓ ünïcode");
        assertThat(back.getString("empty")).isEmpty();
        assertThat(back.getBoolean("yes")).isTrue();
        assertThat(back.getBoolean("no")).isFalse();
        assertThat(back.getBytes("bytes")).containsExactly(0, 1, -1, 127, -128);
        assertThat(back.getBytes("noBytes")).isEmpty();
        assertThat(back.getNvList("nested").getNvList("deeper").getString("b")).isEqualTo("c");
        assertThat(back.getNvList("emptyList").isEmpty()).isTrue();
        assertThat(back.getNvLists("children")).hasSize(2);
        assertThat(back.getNvLists("children").get(1).getBoolean("offline")).isTrue();
        assertThat(back.getNvLists("noChildren")).isEmpty();
        assertThat(back.getLongs("longs")).containsExactly(1, -2, Long.MAX_VALUE);
        assertThat(back.getLongList("longList")).containsExactly(4L, 5L);
        assertThat(back.getLongs("longList")).containsExactly(4, 5);
        assertThat(back.typeOf("children")).contains(NvList.Type.NVLIST_ARRAY);
        assertThat(back.typeOf("absent")).isEmpty();
    }

    @Test
    void roundTrip_pos_emptyList() {
        NvList empty = new NvList();
        assertThat(empty.encode()).hasSize(5);
        assertThat(NvList.decode(empty.encode())).isEqualTo(empty);
    }

    @Test
    void decode_pos_leavesTrailingBytesToTheCaller() {
        byte[] enc = everyType().encode();
        ByteBuffer padded = ByteBuffer.allocate(enc.length + 100).put(enc).clear();
        padded.position(0);
        NvList nv = NvList.decode(padded);
        assertThat(nv).isEqualTo(everyType());
        assertThat(padded.position()).isEqualTo(enc.length);
    }

    @Test
    void put_pos_replacesInPlaceAndKeepsOrder() {
        NvList nv = new NvList().putLong("a", 1).putString("b", "x").putLong("c", 3);
        nv.putString("a", "now a string");
        assertThat(nv.names()).containsExactly("a", "b", "c");
        assertThat(nv.getString("a")).isEqualTo("now a string");
        assertThat(nv.remove("b")).isTrue();
        assertThat(nv.remove("b")).isFalse();
        assertThat(nv.names()).containsExactly("a", "c");
        assertThat(nv.size()).isEqualTo(2);
    }

    @Test
    void values_pos_areCopiedInAndOut() {
        byte[] bytes = {1, 2, 3};
        long[] longs = {1, 2};
        NvList nested = new NvList().putLong("x", 1);
        NvList nv = new NvList().putBytes("b", bytes).putLongs("l", longs).putNvList("n", nested);
        bytes[0] = 9;
        longs[0] = 9;
        nested.putLong("x", 9);
        nv.getBytes("b")[1] = 9;
        nv.getNvList("n").putLong("x", 9);
        assertThat(nv.getBytes("b")).containsExactly(1, 2, 3);
        assertThat(nv.getLongs("l")).containsExactly(1, 2);
        assertThat(nv.getNvList("n").getLong("x")).isEqualTo(1);

        NvList self = new NvList().putLong("x", 1);
        self.putNvList("me", self);
        assertThat(NvList.decode(self.encode())).isEqualTo(self);
    }

    @Test
    void equals_pos_byValueIndependentOfOrder() {
        NvList a = new NvList().putLong("x", 1).putBytes("b", new byte[] {1}).putLongs("l", 2, 3);
        NvList b = new NvList().putLongs("l", 2, 3).putBytes("b", new byte[] {1}).putLong("x", 1);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(b.copy().putLong("x", 2));
        assertThat(a).isNotEqualTo(b.copy().putString("extra", ""));
        assertThat(a.copy()).isEqualTo(a);
        assertThat(a.toString()).contains("x=1", "b=0x01", "l=[2, 3]");
    }

    @Test
    void getters_pos_defaultsForMissingNames() {
        NvList nv = new NvList().putLong("n", 5);
        assertThat(nv.getLong("n", 9)).isEqualTo(5);
        assertThat(nv.getLong("missing", 9)).isEqualTo(9);
        assertThat(nv.getString("missing", "d")).isEqualTo("d");
        assertThat(nv.getBoolean("missing", true)).isTrue();
        assertThat(nv.getNvListOrEmpty("missing").isEmpty()).isTrue();
    }

    @Test
    void nesting_pos_upToMaxDepth() {
        NvList nv = new NvList().putLong("leaf", 1);
        for (int d = 1; d < NvList.MAX_DEPTH; d++) {
            nv = new NvList().putNvList("n", nv);
        }
        assertThat(NvList.decode(nv.encode())).isEqualTo(nv);
    }

    // ---------------------------------------------------------------- negative

    @Test
    void getters_neg_missingOrWrongTypeNamesTheValue() {
        NvList nv = new NvList().putString("s", "x").putLong("n", 1);
        assertThatThrownBy(() -> nv.getLong("absent")).isInstanceOf(NvListException.class)
                .hasMessage("no value named 'absent'");
        assertThatThrownBy(() -> nv.getLong("s")).isInstanceOf(NvListException.class)
                .hasMessage("value 's' is a STRING, not a LONG");
        assertThatThrownBy(() -> nv.getString("n", "default")).isInstanceOf(NvListException.class)
                .hasMessageContaining("is a LONG, not a STRING");
        assertThatThrownBy(() -> nv.getNvLists("n")).isInstanceOf(NvListException.class);
        assertThatThrownBy(() -> nv.getBytes("s")).isInstanceOf(NvListException.class);
    }

    @Test
    void put_neg_badNamesAndValues() {
        NvList nv = new NvList();
        assertThatThrownBy(() -> nv.putLong("", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> nv.putLong(null, 1)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> nv.putString("s", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> nv.putLong("x".repeat(NvList.MAX_NAME_BYTES + 1), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than");
        assertThatThrownBy(() -> nv.putString("s", "bad \uD800 surrogate"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> nv.putLongList("l", Arrays.asList(1L, null)))
                .isInstanceOf(NullPointerException.class);

        NvList deep = new NvList();
        for (int d = 1; d < NvList.MAX_DEPTH; d++) {
            deep = new NvList().putNvList("n", deep);
        }
        NvList tooDeep = deep;
        assertThatThrownBy(() -> new NvList().putNvList("n", tooDeep))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deeper than");
        assertThatThrownBy(() -> new NvList().putNvLists("n", List.of(tooDeep)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deeper than");
    }

    @Test
    void decode_neg_handCraftedCorruption() throws IOException {
        assertRejects(new byte[0], "truncated");
        assertRejects(new byte[] {2, 0, 0, 0, 0}, "encoding version 2");
        assertRejects(enc(out -> out.writeInt(-1)), "pair count -1");
        assertRejects(enc(out -> out.writeInt(Integer.MAX_VALUE)), "does not fit");
        assertRejects(enc(out -> {
            out.writeInt(1);
            pair(out, 99, "x");
            out.writeLong(0);
        }), "unknown value type 99");
        assertRejects(enc(out -> {
            out.writeInt(1);
            out.writeByte(1);
            out.writeShort(0);
            out.writeLong(1);
        }), "name length 0");
        assertRejects(enc(out -> {
            out.writeInt(2);
            pair(out, 1, "x");
            out.writeLong(1);
            pair(out, 1, "x");
            out.writeLong(2);
        }), "duplicate name 'x'");
        assertRejects(enc(out -> {
            out.writeInt(1);
            pair(out, 3, "b");
            out.writeByte(2);
        }), "not a boolean");
        assertRejects(enc(out -> {
            out.writeInt(1);
            pair(out, 4, "bytes");
            out.writeInt(Integer.MAX_VALUE);
        }), "does not fit");
        assertRejects(enc(out -> {
            out.writeInt(1);
            pair(out, 4, "bytes");
            out.writeInt(-5);
        }), "-5");
        assertRejects(enc(out -> {
            out.writeInt(1);
            pair(out, 7, "longs");
            out.writeInt(1 << 29);
        }), "does not fit");
        assertRejects(enc(out -> {
            out.writeInt(1);
            pair(out, 6, "lists");
            out.writeInt(Integer.MAX_VALUE);
        }), "does not fit");
        assertRejects(enc(out -> {
            out.writeInt(1);
            pair(out, 2, "s");
            out.writeInt(2);
            out.write(new byte[] {(byte) 0xC3, (byte) 0x28});
        }), "not valid UTF-8");
        assertRejects(enc(out -> {
            out.writeInt(1);
            pair(out, 1, "x");
            out.writeInt(1);
        }), "truncated");
    }

    @Test
    void decode_neg_deepNestingIsBoundedNotAStackOverflow() throws IOException {
        byte[] bomb = enc(out -> {
            for (int i = 0; i < 100_000; i++) {
                out.writeInt(1);
                pair(out, 5, "n");
            }
            out.writeInt(0);
        });
        assertRejects(bomb, "nested deeper than " + NvList.MAX_DEPTH);
    }

    @Test
    void decode_neg_trailingBytesInAWholeArray() {
        byte[] enc = Arrays.copyOf(new NvList().putLong("x", 1).encode(), 30);
        assertThatThrownBy(() -> NvList.decode(enc)).isInstanceOf(NvListException.class)
                .hasMessageContaining("unexpected bytes");
    }

    @Test
    void decode_neg_fuzzFlipsAndTruncationsOnlyEverThrowNvListException() {
        Random random = new Random(20240601);
        List<byte[]> samples = List.of(everyType().encode(), LabelFixtures.config(7).toNvList().encode(),
                new NvList().putLongs("l", 1, 2, 3).encode());
        int decoded = 0;
        int rejected = 0;
        for (byte[] sample : samples) {
            for (int i = 0; i < 3000; i++) {
                byte[] mutated = sample.clone();
                switch (i % 3) {
                    case 0 -> mutated[random.nextInt(mutated.length)] ^= (byte) (1 + random.nextInt(255));
                    case 1 -> {
                        for (int k = 0; k < 1 + random.nextInt(8); k++) {
                            mutated[random.nextInt(mutated.length)] = (byte) random.nextInt();
                        }
                    }
                    default -> mutated = Arrays.copyOf(mutated, random.nextInt(mutated.length));
                }
                try {
                    NvList nv = NvList.decode(ByteBuffer.wrap(mutated));
                    assertThat(nv).isNotNull();
                    NvList.decode(nv.encode()); // whatever decoded must re-encode
                    decoded++;
                } catch (NvListException e) {
                    assertThat(e.getMessage()).startsWith("nvlist ");
                    rejected++;
                } catch (Throwable t) {
                    fail("mutation %d of a sample escaped as %s", i, t.toString());
                }
            }
        }
        assertThat(rejected).isPositive();
        assertThat(decoded + rejected).isEqualTo(9000);
    }

    @Test
    void decode_neg_randomGarbageOnlyEverThrowsNvListException() {
        Random random = new Random(7);
        for (int i = 0; i < 5000; i++) {
            byte[] garbage = new byte[random.nextInt(200)];
            random.nextBytes(garbage);
            if (garbage.length > 0) {
                garbage[0] = 1;
            }
            try {
                NvList.decode(ByteBuffer.wrap(garbage));
            } catch (NvListException e) {
                // expected
            } catch (Throwable t) {
                fail("garbage %d escaped as %s", i, t.toString());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] enc(Body body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(NvList.ENCODING_VERSION);
        body.write(out);
        return bytes.toByteArray();
    }

    /** Writes a pair's header; the caller writes its value. */
    private static void pair(DataOutputStream out, int type, String name) throws IOException {
        out.writeByte(type);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        out.writeShort(n.length);
        out.write(n);
    }

    private static void assertRejects(byte[] encoding, String messagePart) {
        assertThatThrownBy(() -> NvList.decode(ByteBuffer.wrap(encoding)))
                .isInstanceOf(NvListException.class)
                .hasMessageContaining(messagePart);
    }
}
