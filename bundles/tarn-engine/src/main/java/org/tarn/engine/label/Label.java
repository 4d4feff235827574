package org.tarn.engine.label;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The config area of a label: a header and the {@link LabelConfig} as an
 * {@link NvList}, in the first {@link LabelLayout#CONFIG_BYTES} of the label.
 *
 * <pre>
 *   0   8  magic "TARNLABL"
 *   8   4  format version
 *  12   4  payload length
 *  16   4  CRC32C of the payload
 *  20  12  reserved (zero)
 *  32   .  payload: the encoded NvList
 * </pre>
 * The magic and version come first and keep their places in every future
 * format, so an older engine can always tell "not ours" from "too new for
 * me". The checksum covers the payload, so a torn label write is detected.
 *
 * <p>A config write covers the header and payload zero-padded to whole
 * {@value #WRITE_UNIT_BYTES}-byte units, not the whole area: a small pool's
 * config is a few KiB, and writing 128 KiB per label four times per leaf made
 * label updates (export, import) cost far more device time than their
 * content. Bytes past the write are left from older configs; the length
 * field bounds what is read, and the checksum what is trusted.
 */
public final class Label {
    public static final byte[] MAGIC = "TARNLABL".getBytes(StandardCharsets.US_ASCII);
    public static final int HEADER_BYTES = 32;
    /** The largest encoded config a label holds. */
    public static final int MAX_PAYLOAD_BYTES = LabelLayout.CONFIG_BYTES - HEADER_BYTES;
    /** Config writes cover whole units of this size (a page, and a multiple of any sector size). */
    public static final int WRITE_UNIT_BYTES = 4096;

    private static final int OFF_VERSION = 8;
    static final int OFF_LENGTH = 12;
    private static final int OFF_CHECKSUM = 16;

    private Label() {
    }

    /**
     * The config area for {@code config}: header and payload, zero padded to a
     * multiple of {@link #WRITE_UNIT_BYTES}, at position 0.
     *
     * @throws IllegalArgumentException if the encoded config does not fit in a label
     */
    public static ByteBuffer encodeConfig(LabelConfig config) {
        byte[] payload = config.toNvList().encode();
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("the label config of pool '" + config.poolName() + "' is "
                    + payload.length + " bytes encoded, more than the " + MAX_PAYLOAD_BYTES
                    + " a label holds: too many devices or properties");
        }
        int used = HEADER_BYTES + payload.length;
        ByteBuffer buf = ByteBuffer.allocate(Math.min(LabelLayout.CONFIG_BYTES,
                (used + WRITE_UNIT_BYTES - 1) / WRITE_UNIT_BYTES * WRITE_UNIT_BYTES));
        buf.put(MAGIC).putInt(LabelLayout.FORMAT_VERSION).putInt(payload.length).putInt(crc(ByteBuffer.wrap(payload)))
                .position(HEADER_BYTES);
        buf.put(payload);
        return buf.clear();
    }

    /**
     * Decodes the config area at the position of {@code area} (its remaining
     * bytes), without moving it.
     *
     * @throws LabelException with the reason the area holds no valid config:
     *         {@code NOT_A_LABEL}, {@code UNSUPPORTED_VERSION}, {@code BAD_LENGTH},
     *         {@code BAD_CHECKSUM} or {@code CORRUPT}
     */
    public static LabelConfig decodeConfig(ByteBuffer area) throws LabelException {
        ByteBuffer buf = area.slice();
        if (buf.remaining() < HEADER_BYTES) {
            throw new LabelException(LabelException.Kind.BAD_LENGTH, "label area is " + buf.remaining()
                    + " bytes, shorter than its " + HEADER_BYTES + "-byte header");
        }
        byte[] magic = new byte[MAGIC.length];
        buf.get(0, magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new LabelException(LabelException.Kind.NOT_A_LABEL,
                    isZero(buf) ? "not a Tarn label (blank)" : "not a Tarn label");
        }
        int version = buf.getInt(OFF_VERSION);
        if (version > LabelLayout.FORMAT_VERSION) {
            throw newerVersion(version);
        }
        if (version < 1) {
            throw new LabelException(LabelException.Kind.CORRUPT, "format version " + version + " is not valid");
        }
        int length = buf.getInt(OFF_LENGTH);
        int room = Math.min(MAX_PAYLOAD_BYTES, buf.remaining() - HEADER_BYTES);
        if (length <= 0 || length > room) {
            throw new LabelException(LabelException.Kind.BAD_LENGTH,
                    "bad label length " + length + " (expected 1.." + room + ")");
        }
        ByteBuffer payload = buf.slice(HEADER_BYTES, length);
        int stored = buf.getInt(OFF_CHECKSUM);
        int computed = crc(payload);
        if (stored != computed) {
            throw new LabelException(LabelException.Kind.BAD_CHECKSUM,
                    String.format("bad label checksum (stored 0x%08x, computed 0x%08x)", stored, computed));
        }
        LabelConfig config;
        try {
            NvList nv = NvList.decode(payload);
            if (payload.hasRemaining()) {
                throw new NvListException(payload.remaining() + " unexpected bytes after the config");
            }
            config = LabelConfig.fromNvList(nv);
        } catch (IllegalArgumentException e) {
            throw new LabelException(LabelException.Kind.CORRUPT, "undecodable label config: " + e.getMessage(), e);
        }
        if (config.formatVersion() > LabelLayout.FORMAT_VERSION) {
            throw newerVersion(config.formatVersion());
        }
        return config;
    }

    private static LabelException newerVersion(int version) {
        return new LabelException(LabelException.Kind.UNSUPPORTED_VERSION, "format version " + version
                + " is newer than supported " + LabelLayout.FORMAT_VERSION);
    }

    static boolean isZero(ByteBuffer buf) {
        for (int i = buf.position(); i < buf.limit(); i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static int crc(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return (int) crc.getValue();
    }
}
