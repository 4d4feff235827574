package org.tarn.vdev.fault;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.DeviceFullException;
import org.tarn.api.vdev.UncachedMode;
import org.tarn.vdev.fault.FaultRule.Effect;
import org.tarn.vdev.fault.FaultRule.Op;

/**
 * A device opened by {@link FaultVdevDriver}: the inner driver's device, with
 * the faults its {@link FaultInjector} chooses. Each call first lets the
 * injector count it and apply any latency or hang, then fails it, corrupts it
 * or passes it on. Thread-safe if the inner device is.
 *
 * <p>Uncached transfers are passed through as such, with the inner device's
 * {@link #uncachedMode()} and unit; the injector sees them as the reads and
 * writes they are, so every rule applies to them as to buffered ones.
 */
public final class FaultBlockDevice implements BlockDevice {

    private final String path;
    private final BlockDevice inner;
    private final FaultInjector injector;
    private final Runnable onClose;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    FaultBlockDevice(String path, BlockDevice inner, FaultInjector injector, Runnable onClose) {
        this.path = path;
        this.inner = inner;
        this.injector = injector;
        this.onClose = onClose;
    }

    /** The full {@code fault:} path. */
    @Override
    public String path() {
        return path;
    }

    @Override
    public long sizeBytes() {
        return inner.sizeBytes();
    }

    @Override
    public boolean readOnly() {
        return inner.readOnly();
    }

    /** The injector that controls this device's faults. */
    public FaultInjector injector() {
        return injector;
    }

    @Override
    public UncachedMode uncachedMode() {
        return inner.uncachedMode();
    }

    @Override
    public int uncachedUnitBytes() {
        return inner.uncachedUnitBytes();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        read(offset, dst, false);
    }

    @Override
    public void readUncached(long offset, ByteBuffer dst) throws IOException {
        read(offset, dst, true);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        write(offset, src, false);
    }

    @Override
    public void writeUncached(long offset, ByteBuffer src) throws IOException {
        write(offset, src, true);
    }

    private void read(long offset, ByteBuffer dst, boolean uncached) throws IOException {
        Injection injection = injector.inject(Op.READ, offset, dst.remaining());
        failIfInjected(injection, "at offset " + offset);
        int start = dst.position();
        if (uncached) {
            inner.readUncached(offset, dst);
        } else {
            inner.read(offset, dst);
        }
        if (injection.outcome() == Effect.CORRUPT) {
            flipBit(dst, start, injection);
        }
    }

    private void write(long offset, ByteBuffer src, boolean uncached) throws IOException {
        Injection injection = injector.inject(Op.WRITE, offset, src.remaining());
        failIfInjected(injection, "at offset " + offset);
        ByteBuffer data = src;
        if (injection.outcome() == Effect.CORRUPT) {
            data = ByteBuffer.allocate(src.remaining()).put(src.duplicate()).flip();
            flipBit(data, 0, injection);
        }
        if (uncached) {
            inner.writeUncached(offset, data);
        } else {
            inner.write(offset, data);
        }
        src.position(src.limit());
    }

    @Override
    public void flush() throws IOException {
        failIfInjected(injector.inject(Op.FLUSH, 0, 0), "during flush");
        inner.flush();
    }

    /** Closes the inner device. I/O hung by the injector stays hung until it is released. */
    @Override
    public void close() throws IOException {
        try {
            inner.close();
        } finally {
            if (closed.compareAndSet(false, true)) {
                onClose.run();
            }
        }
    }

    @Override
    public String toString() {
        return "FaultBlockDevice[" + path + "]";
    }

    private void failIfInjected(Injection injection, String where) throws IOException {
        if (injection.outcome() == Effect.ERROR) {
            throw new IOException("injected I/O error on " + path + " " + where);
        }
        if (injection.outcome() == Effect.NO_SPACE) {
            throw new DeviceFullException("injected no space left on " + path + " " + where);
        }
    }

    private static void flipBit(ByteBuffer buffer, int start, Injection injection) {
        int index = start + injection.corruptIndex();
        buffer.put(index, (byte) (buffer.get(index) ^ injection.corruptBitMask()));
    }
}
