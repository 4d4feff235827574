package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;
import org.tarn.engine.label.LabelReader;
import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A create on a device that never answers fails within the I/O timeout and
 * leaves nothing behind: no pool, no reserved name, no label written late.
 */
class CreateDeadlineTest {
    /** Far above the engine's 2 s I/O timeout: only a create that waits for the hung device would take it. */
    private static final Duration BOUND = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private static ErrorCode code(Throwable t) {
        return ((TarnException) t).code();
    }

    private static boolean hasLabel(String file) {
        try (BlockDevice dev = new FileVdevDriver().open(file, true)) {
            return LabelReader.read(dev).hasValidLabel();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void createFailsWithinTheDeadline(Engine engine, String layout, String hungDevice) {
        assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() ->
                engine.createPool("hung", VdevLayout.parse(layout), Map.of(), false))
                .hasMessageContaining(hungDevice)
                .extracting(CreateDeadlineTest::code).isIn(ErrorCode.TIMED_OUT, ErrorCode.POOL_SUSPENDED,
                        ErrorCode.IO_ERROR));
    }

    @Test
    void create_on_a_device_whose_reads_hang_fails_and_leaves_nothing_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        try (Engine engine = TestPools.engine(drivers)) {
            drivers.fault.injector(d.get(1)).add(FaultRule.hang().on(FaultRule.Op.READ));
            createFailsWithinTheDeadline(engine, "mirror " + d.get(0) + " fault:" + d.get(1), d.get(1));
            assertThat(engine.pools()).isEmpty();
            // the name is free again at once
            engine.createPool("hung", VdevLayout.parse(d.get(2)), Map.of(), false);
            engine.exportPool("hung", false);

            // the hung read returns late: nothing comes of it
            drivers.fault.injector(d.get(1)).clear();
            await().atMost(BOUND).until(() -> drivers.fault.injector(d.get(1)).hungCount() == 0);
            assertThat(engine.pools()).isEmpty();
        }
        assertThat(hasLabel(d.get(0))).as("the healthy mirror side was never labelled").isFalse();
        assertThat(hasLabel(d.get(1))).isFalse();
    }

    @Test
    void create_on_a_device_whose_writes_hang_fails_and_leaves_nothing_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            drivers.fault.injector(d.get(0)).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            createFailsWithinTheDeadline(engine, "fault:" + d.get(0), d.get(0));
            assertThat(engine.pools()).isEmpty();
            engine.createPool("hung", VdevLayout.parse(d.get(1)), Map.of(), false);
            assertThat(engine.pools()).containsExactly("hung");
            engine.exportPool("hung", false);
            drivers.fault.injector(d.get(0)).clear();
            await().atMost(BOUND).until(() -> drivers.fault.injector(d.get(0)).hungCount() == 0);
            assertThat(engine.pools()).isEmpty();
        }
    }
}
