package org.tarn.vdev.file;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.DeviceFullException;
import org.tarn.api.vdev.UncachedMode;

/**
 * A regular file or block device opened by {@link FileVdevDriver}.
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>Concurrency.</b> Every transfer is positional ({@code pread} /
 * {@code pwrite}), so threads share no file position and need no lock. A
 * transfer may be short; each call loops until its buffer is done, and a read
 * that meets the end of the file fails with {@link EOFException} rather than
 * returning fewer bytes. Transfers beyond {@link #sizeBytes()} are refused, so
 * a write can never grow a file and the size stays fixed while open.
 *
 * <p><b>Interrupts.</b> A {@link FileChannel} closes itself when a thread
 * blocked in it is interrupted. One interrupted caller must not take the device
 * away from the others, so that caller gets its
 * {@link ClosedByInterruptException}, and any other call that finds the channel
 * closed under it (while this device is still open) reopens the file and
 * retries. Positional transfers are idempotent, so a retry is safe, and
 * {@code fsync} on the new descriptor covers writes made through the old one:
 * the page cache belongs to the file, not to the descriptor.
 *
 * <p><b>Closing.</b> {@link FileChannel#close()} waits for every thread inside
 * the channel to leave it, which for I/O stuck in the kernel on a failing disk
 * is forever. So {@link #close()} closes inline only when no call is in flight,
 * and otherwise hands the channel to a daemon thread to close. Calls count
 * themselves in before they check {@code closed}, and {@code close()} sets
 * {@code closed} before it reads the count, so a call that races a close
 * either sees it and fails with {@link ClosedChannelException}, or is counted.
 *
 * <p><b>Uncached transfers.</b> Where the file system allows it, the file
 * is opened a second time with {@code O_DIRECT} ({@link DirectIo}), and
 * {@link #readUncached} / {@link #writeUncached} go through that channel:
 * {@link UncachedMode#DIRECT}. Direct transfers must cover whole units (the
 * file system's block size) from and to memory aligned to them, so each goes
 * through this device's own aligned scratch buffer, widened to whole units; a
 * write of part of a unit reads the unit first (read-modify-write). One lock
 * serializes the uncached transfers of a device, so two of them never
 * read-modify-write the same unit at once; it is never held by buffered I/O or
 * {@link #close()}. Heap buffers are never handed to the direct channel: the
 * JDK would copy through a cached aligned temporary that it later fails to
 * free (a {@code NullPointerException} in a later, unrelated transfer on the
 * same thread). The last bytes of a device whose size is not a multiple of the
 * unit cannot be reached directly; transfers there are buffered, with a flush
 * after a write. Where direct I/O is refused, uncached transfers are buffered
 * reads and writes followed by a flush: {@link UncachedMode#WRITE_THROUGH},
 * and the driver says so once per file system.
 *
 * <p><b>Errors.</b> {@code ENOSPC} (which the JDK reports only as an
 * {@link IOException} message) becomes {@link DeviceFullException}.
 */
public final class FileBlockDevice implements BlockDevice {

    /** The message of {@code ENOSPC} (strerror), which the JDK passes on as is. */
    private static final String NO_SPACE_MESSAGE = "No space left on device";

    /** The most an uncached transfer moves per direct call (and the size of the scratch buffer). */
    static final int UNCACHED_CHUNK_BYTES = 256 * 1024;

    private final String path;
    private final Path file;
    private final long sizeBytes;
    private final boolean readOnly;

    /** Guards replacing a channel and setting {@link #closed}. */
    private final Object channelLock = new Object();
    private final Reopenable buffered;
    /** The {@code O_DIRECT} channel, or null when uncached transfers are write-through. */
    private final Reopenable direct;
    private final int unitBytes;
    /** Why direct I/O was refused, or null. */
    private final String directRefusal;
    private volatile boolean closed;
    private final AtomicInteger callsInFlight = new AtomicInteger();

    /** Serializes uncached transfers; guards {@link #scratch}. */
    private final Object uncachedLock = new Object();
    private ByteBuffer scratch;

    /** A channel and the options to open it again with, after an interrupt closed it under another caller. */
    private static final class Reopenable {
        final Set<OpenOption> options;
        volatile FileChannel channel;

        Reopenable(Set<OpenOption> options, FileChannel channel) {
            this.options = Set.copyOf(options);
            this.channel = channel;
        }
    }

    FileBlockDevice(String path, Path file, Set<OpenOption> openOptions, FileChannel channel, long sizeBytes,
            boolean readOnly, DirectIo.Opened direct) {
        this.path = path;
        this.file = file;
        this.buffered = new Reopenable(openOptions, channel);
        this.direct = direct.channel() == null ? null : new Reopenable(direct.options(), direct.channel());
        this.unitBytes = direct.channel() == null ? 1 : direct.unitBytes();
        this.directRefusal = direct.refusal();
        this.sizeBytes = sizeBytes;
        this.readOnly = readOnly;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    /** {@link UncachedMode#DIRECT} where the file system allows {@code O_DIRECT}, else write-through. */
    @Override
    public UncachedMode uncachedMode() {
        return direct == null ? UncachedMode.WRITE_THROUGH : UncachedMode.DIRECT;
    }

    /** The file system's block size with direct I/O, else 1. */
    @Override
    public int uncachedUnitBytes() {
        return unitBytes;
    }

    /** Why direct I/O was refused for this device (empty with {@link UncachedMode#DIRECT}). */
    public java.util.Optional<String> directIoRefusal() {
        return java.util.Optional.ofNullable(directRefusal);
    }

    /** @throws EOFException when the range ends beyond the device, or the file was truncated under it */
    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange("read", offset, dst.remaining());
        readFully(buffered, offset, dst);
    }

    private void readFully(Reopenable which, long offset, ByteBuffer dst) throws IOException {
        int start = dst.position();
        perform(which, channel -> {
            while (dst.hasRemaining()) {
                long position = offset + (dst.position() - start);
                if (channel.read(dst, position) < 0) {
                    throw new EOFException("read past the end of " + path + " at offset " + position);
                }
            }
        });
    }

    private void writeFully(Reopenable which, long offset, ByteBuffer src) throws IOException {
        int start = src.position();
        try {
            perform(which, channel -> {
                while (src.hasRemaining()) {
                    channel.write(src, offset + (src.position() - start));
                }
            });
        } catch (IOException e) {
            throw noSpaceAsDeviceFull(e, "writing at offset " + offset);
        }
    }

    /**
     * Reads from the device itself with {@code O_DIRECT}, whatever this
     * host's page cache holds; buffered where direct I/O was refused, and in
     * the device's unaligned tail.
     *
     * @throws EOFException when the range ends beyond the device
     */
    @Override
    public void readUncached(long offset, ByteBuffer dst) throws IOException {
        checkRange("read", offset, dst.remaining());
        if (direct == null) {
            read(offset, dst);
            return;
        }
        int start = dst.position();
        synchronized (uncachedLock) {
            while (dst.hasRemaining()) {
                long position = offset + (dst.position() - start);
                long unitStart = position - position % unitBytes;
                int skip = (int) (position - unitStart);
                int span = directSpan(unitStart, skip + dst.remaining());
                if (span == 0) {
                    read(position, dst); // the unaligned tail
                    return;
                }
                ByteBuffer s = scratch(span);
                readFully(direct, unitStart, s);
                int n = Math.min(dst.remaining(), span - skip);
                dst.put(s.limit(skip + n).position(skip));
            }
        }
    }

    /**
     * Writes to the device itself with {@code O_DIRECT}, bypassing this
     * host's page cache; write-through (write, then flush) where direct I/O
     * was refused, and in the device's unaligned tail.
     *
     * @throws AccessDeniedException when the device is open read-only
     * @throws EOFException when the range ends beyond the device
     * @throws DeviceFullException on {@code ENOSPC}
     */
    @Override
    public void writeUncached(long offset, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new AccessDeniedException(path, null, "device is open read-only");
        }
        checkRange("write", offset, src.remaining());
        if (direct == null) {
            write(offset, src);
            flush();
            return;
        }
        int start = src.position();
        synchronized (uncachedLock) {
            while (src.hasRemaining()) {
                long position = offset + (src.position() - start);
                long unitStart = position - position % unitBytes;
                int skip = (int) (position - unitStart);
                int span = directSpan(unitStart, skip + src.remaining());
                if (span == 0) {
                    write(position, src); // the unaligned tail
                    flush();
                    return;
                }
                int n = Math.min(src.remaining(), span - skip);
                ByteBuffer s = scratch(span);
                if (skip > 0) {
                    readFully(direct, unitStart, s.duplicate().limit(unitBytes));
                }
                int end = skip + n;
                if (end % unitBytes != 0 && (skip == 0 || end > unitBytes)) {
                    int lastUnit = end - end % unitBytes;
                    readFully(direct, unitStart + lastUnit, s.duplicate().position(lastUnit).limit(lastUnit + unitBytes));
                }
                int roundedEnd = roundUp(end);
                s.limit(roundedEnd).position(skip);
                ByteBuffer part = src.duplicate();
                part.limit(part.position() + n);
                s.put(part);
                src.position(src.position() + n);
                writeFully(direct, unitStart, s.position(0).limit(roundedEnd));
            }
        }
    }

    /**
     * How many bytes from {@code unitStart} one direct call moves to cover
     * {@code wanted} bytes: whole units, at most a chunk, never past the last
     * whole unit of the device; 0 when not even one unit fits there.
     */
    private int directSpan(long unitStart, int wanted) {
        long room = (sizeBytes - unitStart) - (sizeBytes - unitStart) % unitBytes;
        long span = Math.min(Math.min(roundUp(wanted), UNCACHED_CHUNK_BYTES), room);
        return (int) Math.max(span, 0);
    }

    private int roundUp(long bytes) {
        return (int) ((bytes + unitBytes - 1) / unitBytes * unitBytes);
    }

    /** The scratch buffer, cleared and limited to {@code bytes}; only under {@link #uncachedLock}. */
    private ByteBuffer scratch(int bytes) {
        if (scratch == null) {
            scratch = DirectIo.alignedBuffer(Math.max(UNCACHED_CHUNK_BYTES, unitBytes), unitBytes);
        }
        return scratch.clear().limit(bytes);
    }

    /**
     * @throws AccessDeniedException when the device is open read-only
     * @throws EOFException when the range ends beyond the device
     * @throws DeviceFullException on {@code ENOSPC}
     */
    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new AccessDeniedException(path, null, "device is open read-only");
        }
        checkRange("write", offset, src.remaining());
        writeFully(buffered, offset, src);
    }

    /** Forces written data (and the metadata needed to read it back) to the device. */
    @Override
    public void flush() throws IOException {
        try {
            perform(buffered, channel -> channel.force(false));
        } catch (IOException e) {
            throw noSpaceAsDeviceFull(e, "flushing");
        }
    }

    /** Releases the device at once; I/O still in flight fails or completes on its own. Idempotent. */
    @Override
    public void close() throws IOException {
        List<FileChannel> last = new ArrayList<>(2);
        synchronized (channelLock) {
            if (closed) {
                return;
            }
            closed = true;
            last.add(buffered.channel);
            if (direct != null) {
                last.add(direct.channel);
            }
        }
        if (callsInFlight.get() == 0) {
            IOException failure = null;
            for (FileChannel c : last) {
                try {
                    c.close();
                } catch (IOException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        } else {
            Thread closer = new Thread(() -> last.forEach(FileBlockDevice::closeQuietly), "tarn-vdev-file-close " + path);
            closer.setDaemon(true);
            closer.start();
        }
    }

    @Override
    public String toString() {
        return "FileBlockDevice[" + path + ", " + sizeBytes + " bytes" + (readOnly ? ", read-only" : "")
                + (direct == null ? ", uncached: write-through]" : ", uncached: direct, " + unitBytes + "-byte units]");
    }

    /** One transfer against the current channel; must be safe to repeat from where it stopped. */
    @FunctionalInterface
    private interface ChannelCall {
        void run(FileChannel channel) throws IOException;
    }

    private void perform(Reopenable which, ChannelCall call) throws IOException {
        callsInFlight.incrementAndGet();
        try {
            while (true) {
                FileChannel current = currentChannel(which);
                try {
                    call.run(current);
                    return;
                } catch (ClosedByInterruptException e) {
                    throw e;
                } catch (ClosedChannelException e) {
                    if (closed) {
                        throw e;
                    }
                    // Another caller's interrupt closed the shared channel: reopen and retry.
                }
            }
        } finally {
            callsInFlight.decrementAndGet();
        }
    }

    private FileChannel currentChannel(Reopenable which) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        FileChannel current = which.channel;
        if (current.isOpen()) {
            return current;
        }
        synchronized (channelLock) {
            if (closed) {
                throw new ClosedChannelException();
            }
            if (!which.channel.isOpen()) {
                which.channel = FileChannel.open(file, which.options);
            }
            return which.channel;
        }
    }

    private void checkRange(String operation, long offset, int lengthBytes) throws EOFException {
        if (offset < 0) {
            throw new IllegalArgumentException(operation + " at negative offset " + offset + " on " + path);
        }
        if (offset > sizeBytes - lengthBytes) {
            throw new EOFException(operation + " of " + lengthBytes + " bytes at offset " + offset
                    + " runs past the end of " + path + " (" + sizeBytes + " bytes)");
        }
    }

    private IOException noSpaceAsDeviceFull(IOException e, String during) {
        if (e instanceof DeviceFullException || e.getMessage() == null || !e.getMessage().contains(NO_SPACE_MESSAGE)) {
            return e;
        }
        DeviceFullException full = new DeviceFullException("no space left on " + path + " " + during);
        full.initCause(e);
        return full;
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Nobody is left to tell: the device was already reported closed.
        }
    }
}
