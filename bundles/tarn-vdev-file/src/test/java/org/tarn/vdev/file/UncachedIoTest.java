package org.tarn.vdev.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.vdev.UncachedMode;

/**
 * Uncached transfers of the file driver on the local file system: any offset
 * and length, neighbours kept by the read-modify-write of partial units, the
 * unaligned tail, chunks larger than the scratch buffer, read-only devices,
 * and serialized read-modify-writes of one unit.
 */
class UncachedIoTest {

    /** Not a multiple of any block size, so the device has an unaligned tail. */
    private static final long DEVICE_BYTES = (1L << 20) + 517;

    private final FileVdevDriver driver = new FileVdevDriver();
    private final Random random = new Random(7);

    @TempDir
    Path dir;

    private Path device() throws Exception {
        return FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);
    }

    @Test
    void round_trip_at_any_offset_and_length_keeps_the_neighbours_pos() throws Exception {
        Path file = device();
        byte[] expected = new byte[(int) DEVICE_BYTES];
        random.nextBytes(expected);
        Files.write(file, expected);
        try (FileBlockDevice dev = driver.open(file.toString(), false)) {
            long[][] extents = {{0, 1}, {1, 3}, {1024, 1024}, {4095, 2}, {4097, 511}, {12_345, 8193},
                    {65_537, 600_001}, {DEVICE_BYTES - 4096 - 700, 4096}, {DEVICE_BYTES - 3, 3},
                    {DEVICE_BYTES - 1, 1}};
            for (long[] extent : extents) {
                int offset = (int) extent[0];
                byte[] data = randomBytes((int) extent[1]);
                dev.writeUncached(offset, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, expected, offset, data.length);

                ByteBuffer back = ByteBuffer.allocate(data.length);
                dev.readUncached(offset, back);
                assertThat(back.hasRemaining()).isFalse();
                assertThat(back.array()).as("uncached read of the extent at %d", offset).isEqualTo(data);
            }
            ByteBuffer all = ByteBuffer.allocate((int) DEVICE_BYTES);
            dev.readUncached(0, all);
            int at = Arrays.mismatch(expected, all.array());
            assertThat(at).as("first byte that differs from what was written").isEqualTo(-1);
            ByteBuffer buffered = ByteBuffer.allocate((int) DEVICE_BYTES);
            dev.read(0, buffered);
            assertThat(Arrays.mismatch(expected, buffered.array())).as("the buffered view agrees").isEqualTo(-1);
        }
        assertThat(Files.size(file)).isEqualTo(DEVICE_BYTES);
    }

    @Test
    void uncached_read_honours_buffer_position_and_limit_pos() throws Exception {
        try (FileBlockDevice dev = driver.open(device().toString(), false)) {
            byte[] data = randomBytes(100);
            dev.writeUncached(4000, ByteBuffer.wrap(data));
            ByteBuffer dst = ByteBuffer.allocate(300).position(50).limit(150);
            dev.readUncached(4000, dst);
            assertThat(dst.position()).isEqualTo(150);
            assertThat(Arrays.copyOfRange(dst.array(), 50, 150)).isEqualTo(data);
            assertThat(Arrays.copyOfRange(dst.array(), 0, 50)).containsOnly(0);
        }
    }

    @Test
    void local_file_system_gives_direct_io_or_says_why_not_pos() throws Exception {
        try (FileBlockDevice dev = driver.open(device().toString(), false)) {
            if (dev.uncachedMode() == UncachedMode.DIRECT) {
                assertThat(dev.uncachedUnitBytes()).isGreaterThanOrEqualTo(512);
                assertThat(Integer.bitCount(dev.uncachedUnitBytes())).isEqualTo(1);
                assertThat(dev.directIoRefusal()).isEmpty();
                assertThat(driver.directIoWarnings()).isZero();
            } else {
                assertThat(dev.directIoRefusal()).isPresent();
                assertThat(driver.directIoWarnings()).isEqualTo(1);
            }
            assertThat(dev.toString()).contains("uncached: ");
        }
    }

    /** tmpfs refused O_DIRECT before Linux 6.6 and allows it since: either way the bytes must round-trip. */
    @Test
    void tmpfs_device_round_trips_in_whichever_mode_it_allows_pos() throws Exception {
        Path shm = Files.createTempFile(Path.of("/dev/shm"), "tarn-uncached-", ".img");
        try {
            FileVdevDriver.createSparseFile(shm, DEVICE_BYTES);
            try (FileBlockDevice dev = driver.open(shm.toString(), false)) {
                byte[] data = randomBytes(3000);
                dev.writeUncached(1000, ByteBuffer.wrap(data));
                ByteBuffer back = ByteBuffer.allocate(data.length);
                dev.readUncached(1000, back);
                assertThat(back.array()).as("on tmpfs, mode %s", dev.uncachedMode()).isEqualTo(data);
                assertThat(dev.directIoRefusal().isPresent()).isEqualTo(dev.uncachedMode() == UncachedMode.WRITE_THROUGH);
            }
        } finally {
            Files.deleteIfExists(shm);
        }
    }

    @Test
    void read_only_device_reads_uncached_and_refuses_uncached_writes_neg() throws Exception {
        Path file = device();
        byte[] data = randomBytes(5000);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(data), 3000);
        }
        try (FileBlockDevice dev = driver.open(file.toString(), true)) {
            ByteBuffer back = ByteBuffer.allocate(data.length);
            dev.readUncached(3000, back);
            assertThat(back.array()).isEqualTo(data);
            assertThatThrownBy(() -> dev.writeUncached(0, ByteBuffer.allocate(10)))
                    .isInstanceOf(AccessDeniedException.class).hasMessageContaining("read-only");
        }
    }

    @Test
    void uncached_transfers_outside_the_device_are_refused_neg() throws Exception {
        try (FileBlockDevice dev = driver.open(device().toString(), false)) {
            assertThatThrownBy(() -> dev.readUncached(DEVICE_BYTES - 10, ByteBuffer.allocate(11)))
                    .isInstanceOf(EOFException.class);
            assertThatThrownBy(() -> dev.writeUncached(DEVICE_BYTES, ByteBuffer.allocate(1)))
                    .isInstanceOf(EOFException.class);
            assertThatThrownBy(() -> dev.writeUncached(-1, ByteBuffer.allocate(1)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Files.size(dir.resolve("d0"))).as("nothing grew the file").isEqualTo(DEVICE_BYTES);
    }

    @Test
    void closed_device_refuses_uncached_transfers_neg() throws Exception {
        FileBlockDevice dev = driver.open(device().toString(), false);
        dev.close();
        assertThatThrownBy(() -> dev.readUncached(0, ByteBuffer.allocate(10)))
                .isInstanceOf(java.nio.channels.ClosedChannelException.class);
        assertThatThrownBy(() -> dev.writeUncached(0, ByteBuffer.allocate(10)))
                .isInstanceOf(java.nio.channels.ClosedChannelException.class);
    }

    /** Two writers of adjacent 1 KiB slots of one unit must never undo each other's read-modify-write. */
    @Test
    void concurrent_uncached_writes_into_one_unit_lose_nothing_pos() throws Exception {
        try (FileBlockDevice dev = driver.open(device().toString(), false)) {
            int rounds = 300;
            CyclicBarrier start = new CyclicBarrier(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<?> a = pool.submit(() -> writeRounds(dev, start, 8192, (byte) 'a', rounds));
                Future<?> b = pool.submit(() -> writeRounds(dev, start, 8192 + 1024, (byte) 'b', rounds));
                a.get();
                b.get();
            } finally {
                pool.shutdownNow();
            }
            ByteBuffer unit = ByteBuffer.allocate(2048);
            dev.readUncached(8192, unit);
            byte[] want = new byte[2048];
            Arrays.fill(want, 0, 1024, (byte) ('a' + rounds % 20));
            Arrays.fill(want, 1024, 2048, (byte) ('b' + rounds % 20));
            assertThat(Arrays.mismatch(unit.array(), want)).as("first byte lost to the other writer").isEqualTo(-1);
        }
    }

    private static Void writeRounds(FileBlockDevice dev, CyclicBarrier start, long offset, byte base, int rounds)
            throws Exception {
        start.await();
        byte[] slot = new byte[1024];
        for (int i = 1; i <= rounds; i++) {
            Arrays.fill(slot, (byte) (base + i % 20));
            dev.writeUncached(offset, ByteBuffer.wrap(slot));
        }
        return null;
    }

    /**
     * JDK 17 copies a heap buffer given to a direct channel through an aligned
     * temporary that it then fails to free, breaking the next transfer on the
     * thread. The device must never let that happen, whatever buffers it gets.
     */
    @Test
    void heap_buffers_given_to_uncached_transfers_leave_the_thread_healthy_pos() throws Exception {
        Path file = device();
        try (FileBlockDevice dev = driver.open(file.toString(), false)) {
            for (int i = 0; i < 20; i++) {
                dev.writeUncached(i * 4096L, ByteBuffer.wrap(randomBytes(4096)));
                dev.readUncached(i * 4096L, ByteBuffer.allocate(4096));
            }
        }
        try (FileChannel plain = FileChannel.open(file, StandardOpenOption.READ)) {
            for (int size : new int[] {100, 5000, 70_000}) {
                assertThat(plain.read(ByteBuffer.allocate(size), 0)).isEqualTo(size);
            }
        }
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
