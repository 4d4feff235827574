package org.tarn.engine.label;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

import org.tarn.api.vdev.BlockDevice;

/**
 * One write a label update needs: {@code data} at byte {@code offset} of a
 * leaf. Holds a read-only view; {@link #data()} returns a fresh duplicate each
 * time, so a write can be retried or run on another thread safely.
 *
 * @param offset byte offset on the device
 * @param data   the bytes to write (its remaining bytes)
 */
public record DeviceWrite(long offset, ByteBuffer data) {

    public DeviceWrite {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " is negative");
        }
        data = Objects.requireNonNull(data, "data").slice().asReadOnlyBuffer();
    }

    @Override
    public ByteBuffer data() {
        return data.duplicate();
    }

    public int length() {
        return data.remaining();
    }

    /** Issues this write on {@code dev}, synchronously and uncached: labels are for other hosts to read. */
    public void applyTo(BlockDevice dev) throws IOException {
        dev.writeUncached(offset, data());
    }

    @Override
    public String toString() {
        return "write of " + length() + " bytes at " + offset;
    }
}
