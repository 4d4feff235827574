package org.tarn.vdev.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs against a real block device. By default the test makes one: a loop
 * device over a 10 MiB file ({@code losetup}, which needs root), detached
 * afterwards. {@code -Dtarn.test.blockDevice=/dev/sdX} names another instead —
 * <b>destructive</b>: it overwrites the first and last blocks. Only where no
 * loop device can be made (not root, no {@code losetup}, a container without
 * {@code /dev/loop-control}) and none is named is the test skipped.
 */
class BlockDeviceTest {

    private static final String DEVICE_PROPERTY = "tarn.test.blockDevice";
    private static final int BLOCK_BYTES = 4096;
    private static final long SEED = 7;
    private static final long LOOP_FILE_BYTES = 10L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void blockDevice_pos_sizeAndRoundTripAtBothEnds() throws Exception {
        String named = System.getProperty(DEVICE_PROPERTY);
        if (named != null && !named.isBlank()) {
            roundTrip(named);
            return;
        }
        Path backing = FileVdevDriver.createSparseFile(dir.resolve("loop.img"), LOOP_FILE_BYTES);
        String loop = run("losetup", "-f", "--show", backing.toString());
        assumeTrue(loop != null && loop.startsWith("/dev/"), "cannot make a loop device here (needs root and "
                + "losetup); set -D" + DEVICE_PROPERTY + " to a scratch block device");
        try {
            roundTrip(loop);
        } finally {
            run("losetup", "-d", loop);
        }
    }

    private static void roundTrip(String path) throws Exception {
        Path real = Path.of(path).toRealPath();
        long sysfsSizeBytes = FileVdevDriver.sysfsSizeBytes(Path.of("/sys/class/block"), real.getFileName().toString())
                .orElseThrow();

        try (FileBlockDevice device = new FileVdevDriver().open(path, false)) {
            assertThat(device.sizeBytes()).isEqualTo(sysfsSizeBytes).isPositive();
            assertThat(Files.size(real)).as("what the JDK reports without help").isIn(0L, sysfsSizeBytes);

            Random random = new Random(SEED);
            for (long offset : new long[] {0, device.sizeBytes() - BLOCK_BYTES}) {
                byte[] data = new byte[BLOCK_BYTES];
                random.nextBytes(data);
                device.write(offset, ByteBuffer.wrap(data));
                device.flush();
                ByteBuffer back = ByteBuffer.allocate(BLOCK_BYTES);
                device.read(offset, back);
                assertThat(back.array()).isEqualTo(data);
            }
            assertThatThrownBy(() -> device.read(device.sizeBytes(), ByteBuffer.allocate(1)))
                    .isInstanceOf(EOFException.class);
        }
    }

    /** The first line a command prints, or null when it cannot run or fails. */
    static String run(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out.lines().findFirst().orElse("") : null;
        } catch (IOException e) {
            return null;
        }
    }
}
