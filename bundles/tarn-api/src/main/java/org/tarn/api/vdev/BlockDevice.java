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
 *
 * <p><b>Cached and uncached transfers.</b> {@link #read} and {@link #write} may
 * go through a cache of this host (the page cache of a file), which another
 * host sharing the device does not see: a write there reaches the device only
 * at {@link #flush}, and a read may return what this host cached before
 * another host changed the device. {@link #readUncached} and
 * {@link #writeUncached} are for what hosts tell each other through the device
 * (labels, uberblocks, multihost heartbeats): with {@link UncachedMode#DIRECT}
 * they bypass every cache of this host both ways. Neither kind is durable
 * against a power cut of the device before a {@code flush}: a device may hold
 * writes in a volatile cache of its own, which every host sees.
 *
 * <p>Implementations written before uncached transfers existed inherit the
 * defaults, which give {@link UncachedMode#WRITE_THROUGH}.
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

    /**
     * How {@link #readUncached} and {@link #writeUncached} reach the medium,
     * fixed while the device is open. The default is
     * {@link UncachedMode#WRITE_THROUGH}.
     */
    default UncachedMode uncachedMode() {
        return UncachedMode.WRITE_THROUGH;
    }

    /**
     * The unit, in bytes, of the device's uncached transfers: a transfer whose
     * offset and length are multiples of it goes to the device as it is; any
     * other is widened to whole units, and a write of part of a unit becomes a
     * read-modify-write of that unit (serialized against the device's other
     * uncached transfers, not against {@link #write}). A power of two; 1 when
     * there is no such unit, which is the default.
     */
    default int uncachedUnitBytes() {
        return 1;
    }

    /**
     * Reads exactly {@code dst.remaining()} bytes at {@code offset}, or throws,
     * from the device itself when {@link #uncachedMode()} is
     * {@link UncachedMode#DIRECT}: never from a cache of this host. Any offset
     * and length. The default is {@link #read}.
     */
    default void readUncached(long offset, ByteBuffer dst) throws IOException {
        read(offset, dst);
    }

    /**
     * Writes all of {@code src} at {@code offset}, or throws, so that the bytes
     * have left this host when the call returns: another host that reads them
     * uncached sees them. Any offset and length (see {@link #uncachedUnitBytes()}).
     * It does not by itself make them durable against a power cut of the
     * device; {@link #flush} does. The default is {@link #write} followed by
     * {@link #flush}.
     */
    default void writeUncached(long offset, ByteBuffer src) throws IOException {
        write(offset, src);
        flush();
    }

    /** Releases the device. Must not block on outstanding I/O. */
    @Override
    void close() throws IOException;
}
