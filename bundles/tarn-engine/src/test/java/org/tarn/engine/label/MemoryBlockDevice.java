package org.tarn.engine.label;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.tarn.api.vdev.BlockDevice;

/**
 * A {@link BlockDevice} in memory for label tests: resizable (to simulate a
 * truncated device), with injectable read errors and a log of every write and
 * flush in order.
 */
final class MemoryBlockDevice implements BlockDevice {

    /** One operation the device saw: a write (offset, length) or a flush (length -1). */
    record Op(long offset, int length) {
        static final Op FLUSH = new Op(-1, -1);

        boolean isFlush() {
            return length < 0;
        }
    }

    private final String path;
    private byte[] bytes;
    private boolean readOnly;
    private long failReadsFrom = -1;
    private long failReadsTo = -1;
    private final List<Op> ops = new ArrayList<>();

    MemoryBlockDevice(String path, long sizeBytes) {
        this.path = path;
        this.bytes = new byte[Math.toIntExact(sizeBytes)];
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public synchronized long sizeBytes() {
        return bytes.length;
    }

    @Override
    public synchronized boolean readOnly() {
        return readOnly;
    }

    synchronized void setReadOnly(boolean readOnly) {
        this.readOnly = readOnly;
    }

    /** Truncates or extends the device, keeping what remains of its content. */
    synchronized void resize(long newSize) {
        bytes = Arrays.copyOf(bytes, Math.toIntExact(newSize));
    }

    /** Reads overlapping [from, to) fail with an IOException. */
    synchronized void failReads(long from, long to) {
        failReadsFrom = from;
        failReadsTo = to;
    }

    synchronized byte[] bytes() {
        return bytes;
    }

    synchronized List<Op> ops() {
        return List.copyOf(ops);
    }

    synchronized void clearOps() {
        ops.clear();
    }

    /** Flips every bit of the byte at {@code offset}. */
    synchronized void flip(long offset) {
        bytes[Math.toIntExact(offset)] ^= (byte) 0xFF;
    }

    synchronized MemoryBlockDevice copy(String newPath) {
        MemoryBlockDevice c = new MemoryBlockDevice(newPath, bytes.length);
        System.arraycopy(bytes, 0, c.bytes, 0, bytes.length);
        return c;
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        check(offset, length);
        if (failReadsFrom >= 0 && offset < failReadsTo && offset + length > failReadsFrom) {
            throw new IOException("injected read error at " + offset);
        }
        dst.put(bytes, (int) offset, length);
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new IOException(path + " is read-only");
        }
        int length = src.remaining();
        check(offset, length);
        src.get(bytes, (int) offset, length);
        ops.add(new Op(offset, length));
    }

    /** Memory has no cache to bypass: uncached transfers are the plain ones, logged the same way. */
    @Override
    public org.tarn.api.vdev.UncachedMode uncachedMode() {
        return org.tarn.api.vdev.UncachedMode.DIRECT;
    }

    @Override
    public void readUncached(long offset, ByteBuffer dst) throws IOException {
        read(offset, dst);
    }

    @Override
    public void writeUncached(long offset, ByteBuffer src) throws IOException {
        write(offset, src);
    }

    @Override
    public synchronized void flush() {
        ops.add(Op.FLUSH);
    }

    @Override
    public void close() {
    }

    private void check(long offset, int length) throws EOFException {
        if (offset < 0 || offset + length > bytes.length) {
            throw new EOFException("range " + offset + "+" + length + " is beyond the end of " + path
                    + " (" + bytes.length + " bytes)");
        }
    }
}
