package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.Health;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.VdevStatus;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.fault.FaultRule;

/**
 * A device operation (attach, replace, add, online) whose new device never
 * answers fails within the I/O timeout with {@code TIMED_OUT} naming the
 * device, changes nothing, and the late answer of the hung device never
 * joins the pool; the pool keeps serving meanwhile.
 */
class DeviceOpenDeadlineTest {
    /** Far above the engine's 2 s I/O timeout: only an operation that waits for the hung device takes it. */
    private static final Duration BOUND = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private static List<String> leafPaths(VdevStatus v) {
        List<String> out = new ArrayList<>();
        collect(v, out);
        return out;
    }

    private static void collect(VdevStatus v, List<String> out) {
        if (v.children().isEmpty()) {
            out.add(v.path());
        }
        v.children().forEach(c -> collect(c, out));
    }

    /** Runs {@code op} with reads of {@code hung} hanging: it must fail in time and leave the tree as it was. */
    private void failsInTimeAndChangesNothing(Pool pool, String hung, Consumer<Pool> op) {
        List<String> before = leafPaths(pool.vdevTree());
        drivers.fault.injector(hung).add(FaultRule.hang().on(FaultRule.Op.READ));
        assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> op.accept(pool))
                .isInstanceOf(TarnException.class)
                .hasMessageContaining(hung)
                .extracting(t -> ((TarnException) t).code()).isEqualTo(ErrorCode.TIMED_OUT));
        assertThat(leafPaths(pool.vdevTree())).isEqualTo(before);
        // the pool still takes writes and syncs
        pool.sync();
        // the hung call returns late: nothing comes of it
        drivers.fault.injector(hung).clear();
        await().atMost(BOUND).until(() -> drivers.fault.injector(hung).hungCount() == 0);
        pool.sync();
        assertThat(leafPaths(pool.vdevTree())).isEqualTo(before);
        assertThat(pool.health()).isEqualTo(Health.ONLINE);
    }

    @Test
    void attach_of_a_hung_device_fails_in_time_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0) + " " + d.get(1)), Map.of(), false);
            String hung = "fault:" + d.get(2);
            failsInTimeAndChangesNothing(pool, d.get(2), p -> p.attach(d.get(0), hung, false));
            // and with the device answering again, the same attach works
            pool.attach(d.get(0), hung, false);
            assertThat(leafPaths(pool.vdevTree())).contains(hung);
        }
    }

    @Test
    void replace_by_a_hung_device_fails_in_time_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)), Map.of(),
                    false);
            failsInTimeAndChangesNothing(pool, d.get(2), p -> p.replace(d.get(1), "fault:" + d.get(2), false));
        }
    }

    @Test
    void add_of_a_hung_device_fails_in_time_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            failsInTimeAndChangesNothing(pool, d.get(2),
                    p -> p.add(VdevLayout.parse(d.get(1) + " fault:" + d.get(2)), false));
            // nothing half-added: the healthy device of the refused add is free for a new add
            pool.add(VdevLayout.parse(d.get(1)), false);
            assertThat(leafPaths(pool.vdevTree())).containsExactly(d.get(0), d.get(1));
        }
    }

    @Test
    void online_of_a_hung_device_fails_in_time_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            String side = "fault:" + d.get(1);
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + side), Map.of(),
                    false);
            pool.offline(side, false);
            List<String> before = leafPaths(pool.vdevTree());
            drivers.fault.injector(d.get(1)).add(FaultRule.hang().on(FaultRule.Op.READ));
            assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> pool.online(side))
                    .hasMessageContaining(d.get(1))
                    .extracting(t -> ((TarnException) t).code()).isEqualTo(ErrorCode.TIMED_OUT));
            assertThat(leafPaths(pool.vdevTree())).isEqualTo(before);
            pool.sync();
            drivers.fault.injector(d.get(1)).clear();
            await().atMost(BOUND).until(() -> drivers.fault.injector(d.get(1)).hungCount() == 0);
            assertThat(pool.health()).isEqualTo(Health.DEGRADED);
            // positive: answering again, online works and the pool heals
            pool.online(side);
            await().atMost(BOUND).until(() -> pool.health() == Health.ONLINE);
        }
    }
}
