package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A device that answered the import's scan but whose open for writing then
 * never returns (a hung FUSE or NFS mount does that) fails the import within
 * the I/O timeout, naming the device; nothing is imported, the name is free,
 * and once the device answers the same import works.
 */
class ImportOpenDeadlineTest {
    private static final Duration BOUND = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    /** The file driver behind the scheme {@code slow:}, whose opens for writing block while armed. */
    static final class SlowOpenDriver implements VdevDriver {
        private final FileVdevDriver file = new FileVdevDriver();
        volatile CountDownLatch gate = new CountDownLatch(0);
        final AtomicInteger blocked = new AtomicInteger();

        @Override
        public String type() {
            return "slow";
        }

        @Override
        public boolean accepts(String path) {
            return path.startsWith("slow:");
        }

        @Override
        public BlockDevice open(String path, boolean readOnly) throws IOException {
            if (!readOnly) {
                blocked.incrementAndGet();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                } finally {
                    blocked.decrementAndGet();
                }
            }
            return file.open(path.substring("slow:".length()), readOnly);
        }
    }

    @Test
    void import_whose_device_open_hangs_fails_in_time_and_imports_later_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        Path devices = Path.of(d.get(0)).getParent();
        SlowOpenDriver slow = new SlowOpenDriver();
        EngineSettings settings = EngineSettings.ephemeral().withIoTimeoutMillis(2000);
        try (Engine engine = TarnEngine.start(settings, List.of(slow, new FileVdevDriver()))) {
            engine.createPool("s", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)), Map.of(), false);
            engine.exportPool("s", false);

            slow.gate = new CountDownLatch(1);
            assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() ->
                    engine.importPool("s", ImportOptions.parse("dir=slow:" + devices)))
                    .isInstanceOf(TarnException.class)
                    .hasMessageContaining(devices.toString())
                    .extracting(t -> ((TarnException) t).code()).isEqualTo(ErrorCode.TIMED_OUT));
            assertThat(engine.pools()).isEmpty();
            assertThat(slow.blocked.get()).as("the opens are still hung").isPositive();

            // the device answers again: the late opens are closed, and a new import works
            slow.gate.countDown();
            assertThat(engine.importPool("s", ImportOptions.parse("dir=slow:" + devices)).state())
                    .isEqualTo(PoolState.ACTIVE);
        }
    }
}
