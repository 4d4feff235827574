package org.tarn.vdev.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.vdev.UncachedMode;
import org.tarn.testkit.HostFs;

/**
 * The file driver on two "hosts" over one disk: two hostfs mounts of one
 * directory, each with a page cache of its own. What one host writes uncached
 * the other reads uncached at once; buffered writes and reads do not cross.
 */
class SeparateHostsTest {
    private static final long DEVICE_BYTES = 4L << 20;

    @TempDir
    Path dir;

    private Path disk;
    private final List<HostFs> mounts = new ArrayList<>();
    private final List<FileBlockDevice> devices = new ArrayList<>();
    private final FileVdevDriver driver = new FileVdevDriver();

    @BeforeAll
    static void fuseIsThere() {
        assertThat(HostFs.unavailableReason()).as("hostfs prerequisites (CI installs them in .ci/run)").isEmpty();
    }

    @BeforeEach
    void disk() throws IOException {
        disk = Files.createDirectories(dir.resolve("disk"));
        FileVdevDriver.createSparseFile(disk.resolve("dev"), DEVICE_BYTES);
    }

    @AfterEach
    void unmount() throws IOException {
        for (FileBlockDevice d : devices) {
            d.close();
        }
        mounts.forEach(HostFs::close);
    }

    private HostFs host(HostFs.Options options) throws IOException {
        HostFs fs = HostFs.mount(disk, dir.resolve("mnt-" + options.name()), options);
        mounts.add(fs);
        return fs;
    }

    private FileBlockDevice open(HostFs host) throws IOException {
        FileBlockDevice d = driver.open(host.resolve("dev").toString(), false);
        devices.add(d);
        return d;
    }

    @Test
    void uncached_write_on_one_host_is_read_uncached_on_the_other_and_a_buffered_read_can_miss_it_pos()
            throws IOException {
        HostFs a = host(HostFs.Options.defaults("a"));
        HostFs b = host(HostFs.Options.defaults("b"));
        FileBlockDevice onA = open(a);
        FileBlockDevice onB = open(b);
        assertThat(onA.uncachedMode()).isEqualTo(UncachedMode.DIRECT);
        assertThat(onB.uncachedUnitBytes()).isEqualTo(4096);

        assertThat(text(read(onB, 8192 + 100, 9, false))).as("host b caches the page, blank").isEmpty();
        onA.writeUncached(8192 + 100, ascii("heartbeat"));
        assertThat(a.stat("dirty_bytes")).as("nothing of it waits in host a's cache").isZero();
        assertThat(text(read(onB, 8192 + 100, 9, true))).as("host b, uncached").isEqualTo("heartbeat");
        assertThat(text(read(onB, 8192 + 100, 9, false))).as("host b, buffered: its stale cache").isEmpty();
    }

    @Test
    void buffered_write_reaches_the_other_host_only_after_flush_pos() throws IOException {
        HostFs a = host(HostFs.Options.defaults("a"));
        HostFs b = host(HostFs.Options.defaults("b"));
        FileBlockDevice onA = open(a);
        FileBlockDevice onB = open(b);
        onA.write(20_000, ascii("buffered"));
        assertThat(text(read(onB, 20_000, 8, true))).as("before host a flushes").isEmpty();
        onA.flush();
        assertThat(text(read(onB, 20_000, 8, true))).as("after host a flushes").isEqualTo("buffered");
    }

    @Test
    void partial_unit_write_keeps_the_neighbours_another_host_wrote_pos() throws IOException {
        HostFs a = host(HostFs.Options.defaults("a"));
        HostFs b = host(HostFs.Options.defaults("b"));
        FileBlockDevice onA = open(a);
        FileBlockDevice onB = open(b);
        byte[] unit = new byte[4096];
        Arrays.fill(unit, (byte) 'n');
        onB.writeUncached(65_536, ByteBuffer.wrap(unit));
        onA.writeUncached(65_536 + 1024, ascii("slot 1"));
        ByteBuffer back = ByteBuffer.allocate(4096);
        onB.readUncached(65_536, back);
        byte[] want = unit.clone();
        System.arraycopy("slot 1".getBytes(StandardCharsets.US_ASCII), 0, want, 1024, 6);
        assertThat(back.array()).isEqualTo(want);
        assertThat(a.stat("direct_writes")).as("one read-modify-write of one unit").isEqualTo(1);
        assertThat(a.stat("direct_reads")).as("the open's probe and the unit read").isEqualTo(2);
    }

    @Test
    void unit_follows_the_file_system_block_size_pos() throws IOException {
        HostFs small = host(HostFs.Options.defaults("small").withBlockBytes(512));
        FileBlockDevice dev = open(small);
        assertThat(dev.uncachedMode()).isEqualTo(UncachedMode.DIRECT);
        assertThat(dev.uncachedUnitBytes()).isEqualTo(512);
        dev.writeUncached(512 * 7 + 10, ascii("sector"));
        assertThat(text(read(dev, 512 * 7 + 10, 6, true))).isEqualTo("sector");
        assertThat(small.stat("direct_misaligned")).isZero();
    }

    @Test
    void file_system_without_direct_io_falls_back_to_write_through_and_warns_once_neg() throws IOException {
        FileVdevDriver.createSparseFile(disk.resolve("dev2"), DEVICE_BYTES);
        HostFs refusing = host(HostFs.Options.defaults("no-direct").refusingDirect());
        FileBlockDevice dev = open(refusing);
        FileBlockDevice second = driver.open(refusing.resolve("dev2").toString(), false);
        devices.add(second);

        assertThat(dev.uncachedMode()).isEqualTo(UncachedMode.WRITE_THROUGH);
        assertThat(dev.uncachedUnitBytes()).isEqualTo(1);
        assertThat(dev.directIoRefusal()).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("Invalid argument");
        assertThat(driver.directIoWarnings()).as("one warning for the file system, not one per device")
                .isEqualTo(1);

        dev.writeUncached(12_345, ascii("through"));
        assertThat(refusing.stat("dirty_bytes")).as("written through: flushed").isZero();
        assertThat(onDisk(12_345, 7)).isEqualTo("through");
        assertThat(text(read(dev, 12_345, 7, true))).isEqualTo("through");
    }

    // ---- helpers ---------------------------------------------------------------

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] read(FileBlockDevice dev, long offset, int length, boolean uncached) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        if (uncached) {
            dev.readUncached(offset, b);
        } else {
            dev.read(offset, b);
        }
        return b.array();
    }

    private String onDisk(long offset, int length) throws IOException {
        try (FileChannel c = FileChannel.open(disk.resolve("dev"), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            c.read(b, offset);
            return text(b.array());
        }
    }

    private static String text(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.US_ASCII);
    }
}
