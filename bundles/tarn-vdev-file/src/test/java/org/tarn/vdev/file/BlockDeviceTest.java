package org.tarn.vdev.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Runs against a real block device, only when one is named with
 * {@code -Dtarn.test.blockDevice=/dev/loopN}. <b>Destructive</b>: it
 * overwrites the first and last blocks. For example, as root:
 *
 * <pre>
 * truncate -s 10M /tmp/loop.img &amp;&amp; losetup -f --show /tmp/loop.img
 * mvn verify -pl bundles/tarn-vdev-file -Dtarn.test.blockDevice=/dev/loop0
 * </pre>
 */
class BlockDeviceTest {

    private static final String DEVICE_PROPERTY = "tarn.test.blockDevice";
    private static final int BLOCK_BYTES = 4096;
    private static final long SEED = 7;

    @Test
    void blockDevice_pos_sizeAndRoundTripAtBothEnds() throws Exception {
        String path = System.getProperty(DEVICE_PROPERTY);
        assumeTrue(path != null && !path.isBlank(), "set -D" + DEVICE_PROPERTY + " to a scratch block device");
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
}
