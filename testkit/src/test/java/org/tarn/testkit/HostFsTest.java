package org.tarn.testkit;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hostfs on its own: two mounts of one backing directory behave like two hosts
 * over one disk. Page-sized transfers at page offsets throughout, so a direct
 * channel (which the JDK requires to be block aligned) can do the same I/O.
 */
class HostFsTest {
    private static final int PAGE = 4096;
    private static final OpenOption DIRECT = directOption();

    @TempDir
    Path dir;

    private Path disk;
    private final List<HostFs> mounts = new ArrayList<>();

    @BeforeAll
    static void fuseIsThere() {
        assertThat(HostFs.unavailableReason()).as("hostfs prerequisites (CI installs them in .ci/run)").isEmpty();
    }

    @BeforeEach
    void disk() throws IOException {
        disk = Files.createDirectories(dir.resolve("disk"));
        try (FileChannel c = FileChannel.open(disk.resolve("dev"), java.nio.file.StandardOpenOption.CREATE, WRITE)) {
            c.write(ByteBuffer.wrap(new byte[16 * PAGE]), 0);
        }
    }

    @AfterEach
    void unmount() {
        mounts.forEach(HostFs::close);
        for (HostFs fs : mounts) {
            assertThat(HostFs.isMounted(fs.mountpoint())).as("%s unmounted", fs).isFalse();
        }
    }

    private HostFs host(String name) throws IOException {
        return host(HostFs.Options.defaults(name));
    }

    private HostFs host(HostFs.Options options) throws IOException {
        HostFs fs = HostFs.mount(disk, dir.resolve("mnt-" + options.name()), options);
        mounts.add(fs);
        return fs;
    }

    @Test
    void buffered_write_stays_in_its_mount_until_fsync_pos() throws IOException {
        HostFs a = host("a");
        HostFs b = host("b");
        try (FileChannel ca = FileChannel.open(a.resolve("dev"), READ, WRITE)) {
            write(ca, 2 * PAGE, "from host a");
            assertThat(read(ca, 2 * PAGE)).as("host a reads its own write").startsWith("from host a");
            assertThat(onDisk(2 * PAGE)).as("the disk before fsync").isBlank();
            assertThat(readFile(b, 2 * PAGE, false)).as("host b, buffered, before fsync").isBlank();
            assertThat(readFile(b, 2 * PAGE, true)).as("host b, direct, before fsync").isBlank();
            assertThat(a.stat("dirty_bytes")).isEqualTo(PAGE);

            ca.force(false);
            assertThat(a.stat("dirty_bytes")).isZero();
            assertThat(onDisk(2 * PAGE)).as("the disk after fsync").startsWith("from host a");
            assertThat(readFile(b, 2 * PAGE, true)).as("host b, direct, after fsync").startsWith("from host a");
        }
    }

    @Test
    void buffered_read_may_be_stale_against_another_mount_and_direct_read_is_not_pos() throws IOException {
        HostFs a = host("a");
        HostFs b = host("b");
        try (FileChannel cb = FileChannel.open(b.resolve("dev"), READ, WRITE)) {
            assertThat(read(cb, 0)).as("host b caches page 0").isBlank();
            try (FileChannel ca = FileChannel.open(a.resolve("dev"), READ, WRITE)) {
                write(ca, 0, "version 2");
                ca.force(false);
            }
            assertThat(onDisk(0)).startsWith("version 2");
            assertThat(read(cb, 0)).as("host b, buffered: its cache is stale").isBlank();
            assertThat(readFile(b, 0, true)).as("host b, direct: the disk").startsWith("version 2");
            b.dropCaches();
            assertThat(read(cb, 0)).as("host b, buffered, after dropping its cache").startsWith("version 2");
        }
    }

    @Test
    void direct_write_reaches_the_disk_at_once_and_replaces_the_writers_cached_page_pos() throws IOException {
        HostFs a = host("a");
        HostFs b = host("b");
        try (FileChannel buffered = FileChannel.open(a.resolve("dev"), READ, WRITE);
             FileChannel direct = FileChannel.open(a.resolve("dev"), READ, WRITE, DIRECT)) {
            write(buffered, 4 * PAGE, "dirty, buffered");
            assertThat(read(buffered, 4 * PAGE)).startsWith("dirty, buffered");
            write(direct, 4 * PAGE, "direct");
            assertThat(onDisk(4 * PAGE)).as("the disk after the direct write").startsWith("direct");
            assertThat(read(buffered, 4 * PAGE)).as("host a's own buffered view").startsWith("direct");
            assertThat(readFile(b, 4 * PAGE, true)).as("host b, direct").startsWith("direct");
            assertThat(a.stat("direct_writes")).isPositive();
            assertThat(a.stat("dirty_bytes")).as("the dirty page was written back before the direct write")
                    .isZero();
        }
    }

    @Test
    void direct_read_writes_back_the_readers_own_dirty_pages_first_pos() throws IOException {
        HostFs a = host("a");
        try (FileChannel buffered = FileChannel.open(a.resolve("dev"), READ, WRITE);
             FileChannel direct = FileChannel.open(a.resolve("dev"), READ, DIRECT)) {
            write(buffered, 5 * PAGE, "not yet on disk");
            assertThat(onDisk(5 * PAGE)).isBlank();
            assertThat(read(direct, 5 * PAGE)).startsWith("not yet on disk");
            assertThat(onDisk(5 * PAGE)).startsWith("not yet on disk");
        }
    }

    @Test
    void power_cut_loses_what_was_not_flushed_and_keeps_what_was_pos() throws IOException {
        HostFs a = host("a");
        FileChannel ca = FileChannel.open(a.resolve("dev"), READ, WRITE);
        write(ca, 0, "flushed");
        ca.force(false);
        write(ca, PAGE, "lost in the cut");
        write(ca, 0, "overwrite, lost");
        a.powerCut();
        assertThat(a.alive()).isFalse();
        assertThatThrownBy(() -> read(ca, PAGE)).as("I/O on the dead host's file").isInstanceOf(IOException.class);
        assertThatThrownBy(ca::close).as("closing it").hasMessageContaining("Transport endpoint is not connected");
        assertThat(HostFs.isMounted(a.mountpoint())).isFalse();
        assertThat(onDisk(0)).startsWith("flushed");
        assertThat(onDisk(PAGE)).isBlank();

        HostFs again = HostFs.mount(disk, a.mountpoint(), "a-rebooted");
        mounts.add(again);
        assertThat(readFile(again, 0, false)).startsWith("flushed");
    }

    @Test
    void clean_unmount_writes_back_dirty_pages_pos() throws IOException {
        HostFs a = host("a");
        try (FileChannel ca = FileChannel.open(a.resolve("dev"), READ, WRITE)) {
            write(ca, 3 * PAGE, "written back at unmount");
        }
        assertThat(onDisk(3 * PAGE)).as("close() of the file does not write back").isBlank();
        a.close();
        assertThat(onDisk(3 * PAGE)).startsWith("written back at unmount");
    }

    @Test
    void dirty_limit_writes_back_the_oldest_pages_pos() throws IOException {
        HostFs a = host(HostFs.Options.defaults("a").withDirtyBytes(2 * PAGE));
        try (FileChannel ca = FileChannel.open(a.resolve("dev"), READ, WRITE)) {
            for (int i = 0; i < 5; i++) {
                write(ca, (long) i * PAGE, "page " + i);
            }
            assertThat(a.stat("dirty_bytes")).isEqualTo(2 * PAGE);
            for (int i = 0; i < 3; i++) {
                assertThat(onDisk((long) i * PAGE)).as("page %d", i).startsWith("page " + i);
            }
            assertThat(onDisk(3 * PAGE)).isBlank();
            assertThat(onDisk(4 * PAGE)).isBlank();
        }
    }

    @Test
    void a_file_grown_by_buffered_writes_looks_grown_only_to_its_host_until_fsync_pos() throws IOException {
        HostFs a = host("a");
        HostFs b = host("b");
        Path grown = a.resolve("grown");
        try (FileChannel ca = FileChannel.open(grown, java.nio.file.StandardOpenOption.CREATE, READ, WRITE)) {
            write(ca, 0, "abc");
            assertThat(Files.size(grown)).isEqualTo(PAGE);
            assertThat(Files.size(b.resolve("grown"))).isZero();
            ca.force(false);
            assertThat(Files.size(b.resolve("grown"))).isEqualTo(PAGE);
        }
    }

    @Test
    void misaligned_direct_io_fails_with_einval_neg() throws Exception {
        HostFs a = host("a");
        // the JDK checks alignment itself before the call reaches the file system, so use dd
        Process dd = new ProcessBuilder("dd", "if=" + a.resolve("dev"), "of=/dev/null", "bs=512", "count=1",
                "iflag=direct").redirectErrorStream(true).start();
        String out = new String(dd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(dd.waitFor()).as("dd: %s", out).isNotZero();
        assertThat(out).contains("Invalid argument");
        assertThat(a.stat("direct_misaligned")).isEqualTo(1);

        HostFs small = host(HostFs.Options.defaults("small-blocks").withBlockBytes(512));
        try (FileChannel c = FileChannel.open(small.resolve("dev"), READ, DIRECT)) {
            ByteBuffer sector = ByteBuffer.allocateDirect(1024).alignedSlice(512).limit(512);
            assertThat(c.read(sector, 512)).as("a 512-byte direct read where blocks are 512 bytes").isEqualTo(512);
        }
    }

    @Test
    void refuse_direct_fails_direct_io_with_einval_neg() throws IOException {
        HostFs a = host(HostFs.Options.defaults("a").refusingDirect());
        assertThatThrownBy(() -> {
            try (FileChannel c = FileChannel.open(a.resolve("dev"), READ, DIRECT)) {
                c.read(alignedPage(), 0);
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("Invalid argument");
        assertThat(readFile(a, 0, false)).as("buffered I/O still works").isBlank();
    }

    // ---- helpers ---------------------------------------------------------------

    /**
     * A page-aligned direct buffer: a direct channel needs its transfers aligned, and JDK 17 must not be
     * given heap buffers for them (it caches the aligned temporary it copies through, and a later
     * transfer on the same thread then fails freeing it).
     */
    private static ByteBuffer alignedPage() {
        return ByteBuffer.allocateDirect(2 * PAGE).alignedSlice(PAGE).limit(PAGE);
    }

    private static void write(FileChannel c, long offset, String text) throws IOException {
        ByteBuffer page = alignedPage();
        page.put(text.getBytes(StandardCharsets.US_ASCII)).clear();
        while (page.hasRemaining()) {
            c.write(page, offset + page.position());
        }
    }

    private static String read(FileChannel c, long offset) throws IOException {
        ByteBuffer page = alignedPage();
        while (page.hasRemaining()) {
            if (c.read(page, offset + page.position()) < 0) {
                throw new IOException("end of file at " + (offset + page.position()));
            }
        }
        byte[] bytes = new byte[PAGE];
        page.flip().get(bytes);
        return text(bytes);
    }

    private static String readFile(HostFs host, long offset, boolean direct) throws IOException {
        try (FileChannel c = direct ? FileChannel.open(host.resolve("dev"), READ, DIRECT)
                : FileChannel.open(host.resolve("dev"), READ)) {
            return read(c, offset);
        }
    }

    private String onDisk(long offset) throws IOException {
        try (FileChannel c = FileChannel.open(disk.resolve("dev"), READ)) {
            return read(c, offset);
        }
    }

    private static String text(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.US_ASCII);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static OpenOption directOption() {
        try {
            Class<?> c = Class.forName("com.sun.nio.file.ExtendedOpenOption");
            return (OpenOption) Enum.valueOf((Class) c, "DIRECT");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("this JDK has no com.sun.nio.file.ExtendedOpenOption", e);
        }
    }
}
