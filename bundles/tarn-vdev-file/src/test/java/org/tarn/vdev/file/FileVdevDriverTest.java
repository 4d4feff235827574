package org.tarn.vdev.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class FileVdevDriverTest {

    private static final long DEVICE_BYTES = 1L << 20;

    private final FileVdevDriver driver = new FileVdevDriver();

    @TempDir
    Path dir;

    @Test
    void type_pos_isFile() {
        assertThat(driver.type()).isEqualTo("file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/dev/sdb", "disk0.img", "./a:b", "/tmp/a:b", "file:/tmp/d0", "file:d0", "file:///tmp/d0",
            "C:\\tarn\\d0"})
    void accepts_pos(String path) {
        assertThat(driver.accepts(path)).isTrue();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"fault:/tmp/d0", "fault:file:/tmp/d0", "http://host/d0", "file:"})
    void accepts_neg(String path) {
        assertThat(driver.accepts(path)).isFalse();
    }

    @Test
    void open_neg_otherScheme() {
        assertThatThrownBy(() -> driver.open("fault:" + dir.resolve("d0"), false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void open_pos_plainAndFilePrefixedPaths() throws Exception {
        Path file = FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);

        for (String path : new String[] {file.toString(), "file:" + file, file.toUri().toString()}) {
            try (FileBlockDevice device = driver.open(path, false)) {
                assertThat(device.path()).isEqualTo(path);
                assertThat(device.sizeBytes()).isEqualTo(DEVICE_BYTES);
                assertThat(device.readOnly()).isFalse();
            }
        }
    }

    @Test
    void open_neg_missingFile() {
        Path missing = dir.resolve("missing");

        assertThatThrownBy(() -> driver.open(missing.toString(), true))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void open_neg_directory() {
        assertThatThrownBy(() -> driver.open(dir.toString(), true))
                .isInstanceOf(FileSystemException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("not a regular file or block device");
    }

    @Test
    void open_neg_characterDevice() {
        Path devNull = Path.of("/dev/null");
        assumeTrue(Files.exists(devNull), "needs /dev/null");

        assertThatThrownBy(() -> driver.open(devNull.toString(), true))
                .isInstanceOf(FileSystemException.class)
                .hasMessageContaining("not a regular file or block device");
    }

    @Test
    void open_neg_notWritable() throws Exception {
        Path file = FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);
        assumeTrue(Files.getFileAttributeView(file, java.nio.file.attribute.PosixFileAttributeView.class) != null,
                "needs POSIX permissions");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
        // permissions do not bind root; the immutable attribute does (where the file system has it)
        boolean immutable = Files.isWritable(file) && BlockDeviceTest.run("chattr", "+i", file.toString()) != null;
        try {
            assumeTrue(!Files.isWritable(file) || immutable, "neither permissions nor chattr +i bind this user");

            assertThatThrownBy(() -> driver.open(file.toString(), false))
                    .isInstanceOf(java.nio.file.FileSystemException.class)
                    .hasMessageContaining(file.toString());
        } finally {
            if (immutable) {
                BlockDeviceTest.run("chattr", "-i", file.toString());
            }
        }
    }

    @Test
    void open_pos_notWritableOpensReadOnly() throws Exception {
        Path file = FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);
        assumeTrue(Files.getFileAttributeView(file, java.nio.file.attribute.PosixFileAttributeView.class) != null,
                "needs POSIX permissions");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));

        try (FileBlockDevice device = driver.open(file.toString(), true)) {
            assertThat(device.readOnly()).isTrue();
            assertThat(device.sizeBytes()).isEqualTo(DEVICE_BYTES);
        }
    }

    @Test
    void createSparseFile_pos_createsParentsAndSizesAndReadsZeros() throws Exception {
        Path file = dir.resolve("a/b/d0");

        assertThat(FileVdevDriver.createSparseFile(file, DEVICE_BYTES)).isEqualTo(file);

        assertThat(Files.size(file)).isEqualTo(DEVICE_BYTES);
        assertThat(Files.readAllBytes(file)).containsOnly(0);
    }

    @Test
    void createSparseFile_pos_extendsKeepingContents() throws Exception {
        Path file = dir.resolve("d0");
        Files.write(file, new byte[] {1, 2, 3});

        FileVdevDriver.createSparseFile(file, DEVICE_BYTES);

        byte[] contents = Files.readAllBytes(file);
        assertThat(contents).hasSize((int) DEVICE_BYTES);
        assertThat(contents).startsWith(1, 2, 3, 0);
    }

    @Test
    void createSparseFile_pos_neverShrinks() throws Exception {
        Path file = FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);

        FileVdevDriver.createSparseFile(file, DEVICE_BYTES / 2);

        assertThat(Files.size(file)).isEqualTo(DEVICE_BYTES);
    }

    @Test
    void createSparseFile_neg_negativeSize() {
        assertThatThrownBy(() -> FileVdevDriver.createSparseFile(dir.resolve("d0"), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void probeSizeBytes_pos_findsTheEnd() throws Exception {
        for (long sizeBytes : new long[] {0, 1, 2, 3, 4096, 12_345, DEVICE_BYTES + 1}) {
            Path file = dir.resolve("probe" + sizeBytes);
            Files.write(file, new byte[(int) sizeBytes]);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                assertThat(FileVdevDriver.probeSizeBytes(channel)).as("size %d", sizeBytes).isEqualTo(sizeBytes);
            }
        }
    }

    @Test
    void sysfsSizeBytes_pos_readsSectors() throws Exception {
        Path device = Files.createDirectories(dir.resolve("sdz1"));
        Files.writeString(device.resolve("size"), "2048\n");

        assertThat(FileVdevDriver.sysfsSizeBytes(dir, "sdz1")).hasValue(2048 * FileVdevDriver.SYSFS_SECTOR_BYTES);
    }

    @Test
    void sysfsSizeBytes_neg_missingOrGarbage() throws Exception {
        Path device = Files.createDirectories(dir.resolve("sdz2"));
        Files.writeString(device.resolve("size"), "lots");

        assertThat(FileVdevDriver.sysfsSizeBytes(dir, "sdz2")).isEmpty();
        assertThat(FileVdevDriver.sysfsSizeBytes(dir, "sdz9")).isEmpty();
    }

    @Test
    void open_pos_regularFileOfOddSize() throws Exception {
        Path file = dir.resolve("odd");
        Files.write(file, new byte[12_345]);

        try (FileBlockDevice device = driver.open(file.toString(), true)) {
            assertThat(device.sizeBytes()).isEqualTo(12_345);
            ByteBuffer last = ByteBuffer.allocate(1);
            device.read(12_344, last);
            assertThat(last.hasRemaining()).isFalse();
        }
    }
}
