package org.tarn.vdev.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.vdev.DeviceFullException;

class FileBlockDeviceTest {

    /** Not a power of two, so the last block is short. */
    private static final long DEVICE_BYTES = (1L << 20) + 517;
    private static final long SEED = 42;

    private final FileVdevDriver driver = new FileVdevDriver();
    private final Random random = new Random(SEED);

    @TempDir
    Path dir;

    private Path file;
    private FileBlockDevice device;

    @BeforeEach
    void openDevice() throws Exception {
        file = FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);
        device = driver.open(file.toString(), false);
    }

    @AfterEach
    void closeDevice() throws Exception {
        device.close();
    }

    @Test
    void roundTrip_pos_oddOffsetsAndSizes() throws Exception {
        long[][] extents = {{0, 1}, {1, 3}, {4095, 2}, {4097, 511}, {12_345, 8193}, {65_537, 100_003},
                {DEVICE_BYTES - 3, 3}, {DEVICE_BYTES - 1, 1}};
        for (long[] extent : extents) {
            long offset = extent[0];
            byte[] data = randomBytes((int) extent[1]);

            device.write(offset, ByteBuffer.wrap(data));
            ByteBuffer back = ByteBuffer.allocateDirect(data.length);
            device.read(offset, back);

            assertThat(back.hasRemaining()).isFalse();
            assertThat(bytes(back.flip())).as("extent at %d", offset).isEqualTo(data);
        }
        device.flush();
        assertThat(Files.size(file)).isEqualTo(DEVICE_BYTES);
    }

    @Test
    void roundTrip_pos_honoursBufferPositionAndLimit() throws Exception {
        byte[] data = randomBytes(100);
        ByteBuffer src = ByteBuffer.wrap(data, 10, 50);

        device.write(777, src);

        assertThat(src.position()).isEqualTo(60);
        ByteBuffer dst = ByteBuffer.allocate(80).position(20).limit(70);
        device.read(777, dst);
        assertThat(dst.position()).isEqualTo(70);
        assertThat(java.util.Arrays.copyOfRange(dst.array(), 20, 70))
                .isEqualTo(java.util.Arrays.copyOfRange(data, 10, 60));
    }

    @Test
    void roundTrip_pos_survivesReopen() throws Exception {
        byte[] data = randomBytes(4096);
        device.write(8192, ByteBuffer.wrap(data));
        device.flush();
        device.close();

        device = driver.open("file:" + file, true);
        ByteBuffer back = ByteBuffer.allocate(data.length);
        device.read(8192, back);

        assertThat(back.array()).isEqualTo(data);
    }

    @Test
    void read_neg_pastTheEnd() {
        assertThatThrownBy(() -> device.read(DEVICE_BYTES - 2, ByteBuffer.allocate(4)))
                .isInstanceOf(EOFException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("offset " + (DEVICE_BYTES - 2));
        assertThatThrownBy(() -> device.read(Long.MAX_VALUE, ByteBuffer.allocate(1)))
                .isInstanceOf(EOFException.class);
    }

    @Test
    void read_neg_fileTruncatedUnderTheDevice() throws Exception {
        try (FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE)) {
            other.truncate(4096);
        }

        assertThatThrownBy(() -> device.read(4000, ByteBuffer.allocate(200)))
                .isInstanceOf(EOFException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("offset 4096");
    }

    @Test
    void read_neg_negativeOffset() {
        assertThatThrownBy(() -> device.read(-1, ByteBuffer.allocate(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void write_neg_pastTheEndNeverGrowsTheFile() throws Exception {
        assertThatThrownBy(() -> device.write(DEVICE_BYTES - 1, ByteBuffer.allocate(2)))
                .isInstanceOf(EOFException.class)
                .hasMessageContaining(file.toString());

        assertThat(Files.size(file)).isEqualTo(DEVICE_BYTES);
    }

    @Test
    void write_neg_readOnlyDevice() throws Exception {
        try (FileBlockDevice readOnly = driver.open(file.toString(), true)) {
            assertThatThrownBy(() -> readOnly.write(0, ByteBuffer.wrap(new byte[] {1})))
                    .isInstanceOf(AccessDeniedException.class)
                    .hasMessageContaining(file.toString());
        }
        assertThat(Files.readAllBytes(file)).containsOnly(0);
    }

    @Test
    void write_neg_enospcIsDeviceFull() throws Exception {
        Path devFull = Path.of("/dev/full");
        assumeTrue(Files.isWritable(devFull), "needs Linux /dev/full, which fails every write with ENOSPC");
        Set<java.nio.file.OpenOption> options = Set.of(StandardOpenOption.WRITE);
        try (FileBlockDevice full = new FileBlockDevice(devFull.toString(), devFull, options,
                FileChannel.open(devFull, options), DEVICE_BYTES, false, DirectIo.refused("a character device"))) {

            assertThatThrownBy(() -> full.write(4096, ByteBuffer.allocate(512)))
                    .isInstanceOf(DeviceFullException.class)
                    .hasMessageContaining("/dev/full")
                    .hasMessageContaining("offset 4096");
            assertThatThrownBy(() -> full.writeUncached(4096, ByteBuffer.allocate(512)))
                    .isInstanceOf(DeviceFullException.class)
                    .hasMessageContaining("/dev/full");
        }
    }

    @Test
    void close_pos_idempotentAndFailsLaterIo() throws Exception {
        device.close();
        device.close();

        assertThatThrownBy(() -> device.read(0, ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> device.write(0, ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(device::flush).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void interrupt_pos_failsOnlyTheInterruptedCaller() throws Exception {
        byte[] data = randomBytes(512);
        device.write(0, ByteBuffer.wrap(data));

        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> device.read(0, ByteBuffer.allocate(1)))
                    .isInstanceOf(ClosedByInterruptException.class);
        } finally {
            Thread.interrupted();
        }

        ByteBuffer back = ByteBuffer.allocate(data.length);
        device.read(0, back);
        assertThat(back.array()).isEqualTo(data);
    }

    @Test
    void concurrent_pos_disjointWritersFromManyThreads() throws Exception {
        int threads = 8;
        int extentBytes = 8191;
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            expected.add(randomBytes(extentBytes));
        }
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int index = i;
                writes.add(executor.submit(() -> {
                    device.write((long) index * extentBytes, ByteBuffer.wrap(expected.get(index)));
                    return null;
                }));
            }
            for (Future<?> write : writes) {
                write.get();
            }
        } finally {
            executor.shutdownNow();
        }

        for (int i = 0; i < threads; i++) {
            ByteBuffer back = ByteBuffer.allocate(extentBytes);
            device.read((long) i * extentBytes, back);
            assertThat(back.array()).isEqualTo(expected.get(i));
        }
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
