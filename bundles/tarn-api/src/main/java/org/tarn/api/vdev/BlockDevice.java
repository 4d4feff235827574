package org.tarn.api.vdev;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An open leaf device: a fixed-size array of bytes. Calls are synchronous and
 * may be made from several threads at once; the engine runs them on its own
 * per-vdev executors, enforces deadlines and abandons calls that never return,
 * so an implementation need not (and cannot usefully) add timeouts.
 *
 * <p>Errors are reported as {@link IOException}; {@link DeviceFullException}
 * for ENOSPC. An implementation must never report success for I/O it did not do.
 */
public interface BlockDevice extends Closeable {

    /** The path this device was opened from. */
    String path();

    /** Size in bytes, fixed while open. */
    long sizeBytes();

    /** Whether the device was opened read-only. */
    boolean readOnly();

    /** Reads exactly {@code dst.remaining()} bytes at {@code offset}, or throws. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all of {@code src} at {@code offset}, or throws. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every completed write durable. */
    void flush() throws IOException;

    /** Releases the device. Must not block on outstanding I/O. */
    @Override
    void close() throws IOException;
}
