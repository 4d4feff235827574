package org.tarn.vdev.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Opening a file for direct I/O ({@code O_DIRECT}), for a device's uncached
 * transfers; where that is refused, the reason.
 *
 * <p>The option is {@code com.sun.nio.file.ExtendedOpenOption.DIRECT} of
 * module {@code jdk.unsupported}, looked up at run time through the platform
 * class loader, so the bundle imports no {@code com.sun} package and runs on a
 * JDK without it (every transfer then falls back). A file system may refuse
 * the option when the file is opened (tmpfs before Linux 6.6) or only at the
 * first transfer, so an open is followed by one aligned read of the first
 * unit; either refusal gives the reason instead of a channel.
 *
 * <p>The unit is the file store's block size (at least 512 bytes, a power of
 * two): the JDK requires direct transfers to start and end on multiples of
 * it, and to use memory aligned to it; {@link FileBlockDevice} gives it only
 * such buffers of its own.
 */
final class DirectIo {

    /** The smallest unit a direct transfer can have: a disk sector. */
    static final int MIN_UNIT_BYTES = 512;

    /** {@code ExtendedOpenOption.DIRECT}, or null where this JDK has none. */
    static final OpenOption DIRECT = lookUpDirect();

    /** A channel open for direct I/O and its unit; or, when {@code channel} is null, why there is none. */
    record Opened(FileChannel channel, int unitBytes, Set<OpenOption> options, String refusal) {
    }

    private DirectIo() {
    }

    /**
     * Opens {@code file} with {@code options} plus DIRECT and checks it with
     * one aligned read; never throws for a refusal.
     *
     * @param sizeBytes the device size, to skip the check read on a device smaller than one unit
     */
    static Opened open(Path file, Set<OpenOption> options, long sizeBytes) {
        if (DIRECT == null) {
            return refused("this Java runtime has no direct I/O (com.sun.nio.file.ExtendedOpenOption.DIRECT)");
        }
        int unit;
        try {
            unit = unitBytes(Files.getFileStore(file));
        } catch (IOException | RuntimeException e) {
            return refused("cannot find the block size of its file system: " + message(e));
        }
        Set<OpenOption> direct = new HashSet<>(options);
        direct.add(DIRECT);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, direct);
        } catch (IOException | UnsupportedOperationException e) {
            return refused("the file system refuses to open it for direct I/O: " + message(e));
        }
        if (sizeBytes >= unit) {
            try {
                ByteBuffer probe = alignedBuffer(unit, unit);
                channel.read(probe, 0);
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                return refused("the file system refuses direct I/O on it: " + message(e));
            }
        }
        return new Opened(channel, unit, Set.copyOf(direct), null);
    }

    /** A direct buffer of {@code bytes} whose address is a multiple of {@code alignment} (a power of two). */
    static ByteBuffer alignedBuffer(int bytes, int alignment) {
        return ByteBuffer.allocateDirect(bytes + alignment).alignedSlice(alignment).limit(bytes);
    }

    private static int unitBytes(FileStore store) throws IOException {
        long block = Math.max(MIN_UNIT_BYTES, store.getBlockSize());
        long unit = Long.highestOneBit(block);
        if (unit < block) {
            unit <<= 1;
        }
        if (unit > (1 << 20)) {
            throw new IOException("block size " + block + " is implausibly large");
        }
        return (int) unit;
    }

    static Opened refused(String why) {
        return new Opened(null, 1, Set.of(), why);
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // the refusal is what the caller reports; this channel was never used
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static OpenOption lookUpDirect() {
        try {
            Class<?> type = Class.forName("com.sun.nio.file.ExtendedOpenOption", true,
                    ClassLoader.getPlatformClassLoader());
            return (OpenOption) Enum.valueOf((Class) type, "DIRECT");
        } catch (ClassNotFoundException | IllegalArgumentException | ClassCastException | LinkageError e) {
            return null;
        }
    }
}
