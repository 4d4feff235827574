package org.tarn.vdev.file;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.vdev.UncachedMode;
import org.tarn.api.vdev.VdevDriver;

/**
 * The {@code file} driver: leaf devices on regular files and Linux block
 * devices.
 *
 * <p>It accepts plain paths ({@code /dev/sdb}, {@code pool/disk0.img}) and
 * {@code file:} paths ({@code file:/tmp/d0}, {@code file:///tmp/d0}), and
 * leaves every other {@code scheme:} prefix (such as {@code fault:}) to other
 * drivers. A scheme has at least two characters, so a Windows drive letter is
 * not one; a relative path whose first name looks like a scheme must be written
 * {@code ./name:x} or {@code file:name:x}.
 *
 * <p>Sizing: a regular file's size is its length. A block device's size comes
 * from {@link FileChannel#size()} (JDK 17 on Linux asks the kernel with
 * {@code BLKGETSIZE64}); where a runtime reports 0 instead, it is read from
 * {@code /sys/class/block/<name>/size}, and failing that found by probing
 * one-byte reads. Other file types (directories, character devices, FIFOs) are
 * refused.
 *
 * <p>Uncached transfers: every device is also opened with {@code O_DIRECT}
 * where its file system allows it ({@link UncachedMode#DIRECT}). Where it does
 * not (tmpfs before Linux 6.6, some FUSE and network file systems), the device
 * falls back to {@link UncachedMode#WRITE_THROUGH} and the driver logs one
 * warning per file system, naming the device, the reason and what it means
 * for a device shared between hosts.
 */
public final class FileVdevDriver implements VdevDriver {
    private static final Logger LOG = LoggerFactory.getLogger(FileVdevDriver.class);

    /** The driver's type. */
    public static final String TYPE = "file";

    /** The optional prefix of the paths this driver accepts. */
    public static final String PREFIX = "file:";

    /** A URI-style scheme of two or more characters, followed by a colon. */
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:");

    /** Where Linux lists block devices and partitions, each with a {@code size} file. */
    private static final Path SYS_CLASS_BLOCK = Path.of("/sys/class/block");

    /** The unit of {@code /sys/class/block/<name>/size}, whatever the device's sector size. */
    static final long SYSFS_SECTOR_BYTES = 512;

    /** The file-type bits of {@code st_mode}. */
    private static final int MODE_TYPE_MASK = 0170000;

    /** The {@code st_mode} file type of a block device. */
    private static final int MODE_BLOCK_DEVICE = 0060000;

    /** The reason the JDK gives for {@code EROFS}. */
    private static final String READ_ONLY_FILE_SYSTEM = "Read-only file system";

    /** The file systems this driver has warned about refusing direct I/O. */
    private final Set<String> warnedFileSystems = ConcurrentHashMap.newKeySet();

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public boolean accepts(String path) {
        return isFilePath(path);
    }

    private static boolean isFilePath(String path) {
        if (path == null || path.isEmpty()) {
            return false;
        }
        if (path.startsWith(PREFIX)) {
            return path.length() > PREFIX.length();
        }
        return !SCHEME.matcher(path).find();
    }

    /**
     * Opens a regular file or block device for positional I/O: read-only, or
     * for reading and writing.
     *
     * @throws IllegalArgumentException when this driver does not {@linkplain #accepts accept} the path
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws AccessDeniedException when it cannot be opened for writing (permissions, read-only file system)
     * @throws FileSystemException when it is neither a regular file nor a block device
     */
    @Override
    public FileBlockDevice open(String path, boolean readOnly) throws IOException {
        Path file = toFile(path);
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        boolean blockDevice = !attributes.isRegularFile() && isBlockDevice(file, attributes);
        if (!attributes.isRegularFile() && !blockDevice) {
            throw new FileSystemException(file.toString(), null, "not a regular file or block device");
        }
        Set<OpenOption> options = readOnly
                ? Set.of(StandardOpenOption.READ)
                : Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel channel = openChannel(file, options);
        try {
            long sizeBytes = blockDevice ? blockDeviceSizeBytes(file, channel) : channel.size();
            DirectIo.Opened direct = DirectIo.open(file, options, sizeBytes);
            if (direct.channel() == null) {
                warnOnce(file, path, direct.refusal());
            }
            return new FileBlockDevice(path, file, options, channel, sizeBytes, readOnly, direct);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** How many file systems this driver has warned about refusing direct I/O. */
    int directIoWarnings() {
        return warnedFileSystems.size();
    }

    private void warnOnce(Path file, String path, String refusal) {
        String fileSystem;
        try {
            fileSystem = Files.getFileStore(file).toString();
        } catch (IOException | RuntimeException e) {
            fileSystem = "the file system of " + file;
        }
        if (warnedFileSystems.add(fileSystem)) {
            LOG.warn("device {}: no direct I/O ({}); its labels, uberblocks and multihost heartbeats are written "
                    + "through with a flush and read through this host's page cache, which is safe only while no "
                    + "other host writes the device. Put devices shared between hosts on a block device or a file "
                    + "system with O_DIRECT. (Said once for {}.)", path, refusal, fileSystem);
        }
    }

    /**
     * Creates a file of {@code sizeBytes} bytes, or extends a shorter one,
     * without writing its contents: on file systems that support it the file is
     * sparse and reads as zeros. A file already at least that long is left as it
     * is. Missing parent directories are created.
     *
     * @return {@code file}
     */
    public static Path createSparseFile(Path file, long sizeBytes) throws IOException {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("negative size " + sizeBytes + " for " + file);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (FileChannel channel = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
            if (channel.size() < sizeBytes) {
                // Writing the last byte sets the length; everything before it stays a hole.
                ByteBuffer lastByte = ByteBuffer.allocate(1);
                while (lastByte.hasRemaining()) {
                    channel.write(lastByte, sizeBytes - 1);
                }
            }
        }
        return file;
    }

    /** The file a path names, without its {@code file:} prefix. */
    static Path toFile(String path) {
        if (!isFilePath(path)) {
            throw new IllegalArgumentException("not a file device path: " + path);
        }
        if (!path.startsWith(PREFIX)) {
            return Path.of(path);
        }
        String rest = path.substring(PREFIX.length());
        return rest.startsWith("//") ? Path.of(URI.create(path)) : Path.of(rest);
    }

    private static FileChannel openChannel(Path file, Set<OpenOption> options) throws IOException {
        try {
            return FileChannel.open(file, options);
        } catch (FileSystemException e) {
            if (e instanceof AccessDeniedException || !READ_ONLY_FILE_SYSTEM.equals(e.getReason())) {
                throw e;
            }
            AccessDeniedException denied = new AccessDeniedException(file.toString(), null, e.getReason());
            denied.initCause(e);
            throw denied;
        }
    }

    private static boolean isBlockDevice(Path file, BasicFileAttributes attributes) throws IOException {
        try {
            int mode = (Integer) Files.getAttribute(file, "unix:mode");
            return (mode & MODE_TYPE_MASK) == MODE_BLOCK_DEVICE;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // No "unix" attribute view on this platform: the best we can tell.
            return attributes.isOther();
        }
    }

    private static long blockDeviceSizeBytes(Path file, FileChannel channel) throws IOException {
        long sizeBytes = channel.size();
        if (sizeBytes > 0) {
            return sizeBytes;
        }
        String name = file.toRealPath().getFileName().toString();
        OptionalLong sysfsSizeBytes = sysfsSizeBytes(SYS_CLASS_BLOCK, name);
        return sysfsSizeBytes.isPresent() ? sysfsSizeBytes.getAsLong() : probeSizeBytes(channel);
    }

    /** A block device's size from {@code <sysClassBlock>/<name>/size}, if that file can be read. */
    static OptionalLong sysfsSizeBytes(Path sysClassBlock, String name) {
        try {
            String sectors = Files.readString(sysClassBlock.resolve(name).resolve("size")).trim();
            return OptionalLong.of(Math.multiplyExact(Long.parseLong(sectors), SYSFS_SECTOR_BYTES));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Finds the size of whatever the channel reads from by binary search for
     * the first offset at which a one-byte read finds the end.
     */
    static long probeSizeBytes(FileChannel channel) throws IOException {
        ByteBuffer oneByte = ByteBuffer.allocate(1);
        if (!readsByteAt(channel, 0, oneByte)) {
            return 0;
        }
        long readable = 0;
        long unreadable = 1;
        while (readsByteAt(channel, unreadable, oneByte)) {
            readable = unreadable;
            if (unreadable > Long.MAX_VALUE / 2) {
                throw new IOException("cannot find the end of the device: it reads past offset " + unreadable);
            }
            unreadable *= 2;
        }
        while (unreadable - readable > 1) {
            long middle = readable + (unreadable - readable) / 2;
            if (readsByteAt(channel, middle, oneByte)) {
                readable = middle;
            } else {
                unreadable = middle;
            }
        }
        return unreadable;
    }

    private static boolean readsByteAt(FileChannel channel, long offset, ByteBuffer oneByte) throws IOException {
        oneByte.clear();
        return channel.read(oneByte, offset) > 0;
    }
}
