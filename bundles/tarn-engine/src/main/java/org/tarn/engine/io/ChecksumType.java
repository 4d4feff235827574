package org.tarn.engine.io;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32C;

/**
 * Block checksum algorithms. The ordinal-free {@link #id} is what a block
 * pointer stores on disk: never renumber.
 */
public enum ChecksumType {
    CRC32C(1, "crc32c"),
    SHA256(2, "sha256");

    /** Bytes a block pointer reserves for a checksum (fits SHA-256). */
    public static final int MAX_BYTES = 32;

    private final int id;
    private final String propertyValue;

    ChecksumType(int id, String propertyValue) {
        this.id = id;
        this.propertyValue = propertyValue;
    }

    public int id() {
        return id;
    }

    /** The value of the pool's {@code checksum} property that selects this type. */
    public String propertyValue() {
        return propertyValue;
    }

    public static ChecksumType byId(int id) {
        for (ChecksumType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown checksum type " + id);
    }

    public static ChecksumType byPropertyValue(String value) {
        for (ChecksumType t : values()) {
            if (t.propertyValue.equals(value)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown checksum '" + value + "': use crc32c or sha256");
    }

    /**
     * Checksums the remaining bytes of {@code data} (without moving its
     * position) into a {@link #MAX_BYTES}-long array, zero-padded.
     */
    public byte[] compute(ByteBuffer data) {
        ByteBuffer view = data.duplicate();
        byte[] out = new byte[MAX_BYTES];
        switch (this) {
            case CRC32C -> {
                CRC32C crc = new CRC32C();
                crc.update(view);
                int v = (int) crc.getValue();
                out[0] = (byte) (v >>> 24);
                out[1] = (byte) (v >>> 16);
                out[2] = (byte) (v >>> 8);
                out[3] = (byte) v;
            }
            case SHA256 -> {
                try {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    md.update(view);
                    System.arraycopy(md.digest(), 0, out, 0, 32);
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException("SHA-256 is required of every JDK", e);
                }
            }
            default -> throw new AssertionError(this);
        }
        return out;
    }
}
