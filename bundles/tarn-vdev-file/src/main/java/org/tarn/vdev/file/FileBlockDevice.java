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
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.DeviceFullException;

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
 * <p><b>Errors.</b> {@code ENOSPC} (which the JDK reports only as an
 * {@link IOException} message) becomes {@link DeviceFullException}.
 */
public final class FileBlockDevice implements BlockDevice {

    /** The message of {@code ENOSPC} (strerror), which the JDK passes on as is. */
    private static final String NO_SPACE_MESSAGE = "No space left on device";

    private final String path;
    private final Path file;
    private final Set<OpenOption> openOptions;
    private final long sizeBytes;
    private final boolean readOnly;

    /** Guards replacing {@link #channel} and setting {@link #closed}. */
    private final Object channelLock = new Object();
    private volatile FileChannel channel;
    private volatile boolean closed;
    private final AtomicInteger callsInFlight = new AtomicInteger();

    FileBlockDevice(String path, Path file, Set<OpenOption> openOptions, FileChannel channel, long sizeBytes,
            boolean readOnly) {
        this.path = path;
        this.file = file;
        this.openOptions = Set.copyOf(openOptions);
        this.channel = channel;
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

    /** @throws EOFException when the range ends beyond the device, or the file was truncated under it */
    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange("read", offset, dst.remaining());
        int start = dst.position();
        perform(channel -> {
            while (dst.hasRemaining()) {
                long position = offset + (dst.position() - start);
                if (channel.read(dst, position) < 0) {
                    throw new EOFException("read past the end of " + path + " at offset " + position);
                }
            }
        });
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
        int start = src.position();
        try {
            perform(channel -> {
                while (src.hasRemaining()) {
                    channel.write(src, offset + (src.position() - start));
                }
            });
        } catch (IOException e) {
            throw noSpaceAsDeviceFull(e, "writing at offset " + offset);
        }
    }

    /** Forces written data (and the metadata needed to read it back) to the device. */
    @Override
    public void flush() throws IOException {
        try {
            perform(channel -> channel.force(false));
        } catch (IOException e) {
            throw noSpaceAsDeviceFull(e, "flushing");
        }
    }

    /** Releases the device at once; I/O still in flight fails or completes on its own. Idempotent. */
    @Override
    public void close() throws IOException {
        FileChannel last;
        synchronized (channelLock) {
            if (closed) {
                return;
            }
            closed = true;
            last = channel;
        }
        if (callsInFlight.get() == 0) {
            last.close();
        } else {
            Thread closer = new Thread(() -> closeQuietly(last), "tarn-vdev-file-close " + path);
            closer.setDaemon(true);
            closer.start();
        }
    }

    @Override
    public String toString() {
        return "FileBlockDevice[" + path + ", " + sizeBytes + " bytes" + (readOnly ? ", read-only]" : "]");
    }

    /** One transfer against the current channel; must be safe to repeat from where it stopped. */
    @FunctionalInterface
    private interface ChannelCall {
        void run(FileChannel channel) throws IOException;
    }

    private void perform(ChannelCall call) throws IOException {
        callsInFlight.incrementAndGet();
        try {
            while (true) {
                FileChannel current = currentChannel();
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

    private FileChannel currentChannel() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        FileChannel current = channel;
        if (current.isOpen()) {
            return current;
        }
        synchronized (channelLock) {
            if (closed) {
                throw new ClosedChannelException();
            }
            if (!channel.isOpen()) {
                channel = FileChannel.open(file, openOptions);
            }
            return channel;
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
