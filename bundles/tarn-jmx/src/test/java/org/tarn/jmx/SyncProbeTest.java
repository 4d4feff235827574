package org.tarn.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.vdev.fault.FaultRule;

/**
 * {@code syncWithin}, the probe an HA manager's deep monitor runs: it answers
 * within its deadline even when the devices hang, and hung probes of one pool
 * never pile up threads.
 */
class SyncProbeTest {
    @TempDir
    Path dir;

    private JmxFixture fx;
    private List<String> d;

    @BeforeEach
    void start() throws Exception {
        fx = new JmxFixture(dir);
        d = fx.devices(2).stream().map(p -> "fault:" + p).toList();
        fx.invokeManager("createPool", "tank", "mirror " + d.get(0) + " " + d.get(1), "failmode=wait");
    }

    @AfterEach
    void stop() {
        d.forEach(p -> fx.fault.injector(p).clear());
        fx.close();
    }

    private static long probeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("tarn-sync-probe-tank")).count();
    }

    @Test
    void sync_within_returns_the_synced_txg_of_a_healthy_pool_pos() throws Exception {
        long before = (Long) fx.attribute(ObjectNames.pool("tank"), "SyncedTxg");
        fx.invokePool("tank", "setProperty", "comment", "probe me");
        long synced = (Long) fx.invokePool("tank", "syncWithin", 5000L);
        assertThat(synced).isGreaterThan(before);
        assertThat((Long) fx.attribute(ObjectNames.pool("tank"), "SyncedTxg")).isGreaterThanOrEqualTo(synced);
    }

    @Test
    void sync_within_fails_in_time_when_devices_hang_and_keeps_one_thread_neg() throws Exception {
        d.forEach(p -> fx.fault.injector(p).add(FaultRule.hang().on(FaultRule.Op.WRITE)));
        fx.invokePool("tank", "setProperty", "comment", "never lands");

        long t0 = System.nanoTime();
        Throwable first = JmxFixture.failure(() -> fx.invokePool("tank", "syncWithin", 300L));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(first).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-19 ")
                .hasMessageContaining("'tank'").hasMessageContaining("300 ms");
        assertThat(tookMillis).isLessThan(5_000);

        // more probes while the first still waits: each answers in time, none adds a thread
        for (int i = 0; i < 3; i++) {
            assertThat(JmxFixture.failure(() -> fx.invokePool("tank", "syncWithin", 100L)))
                    .hasMessageStartingWith("TARN-19 ");
        }
        assertThat(probeThreads()).isEqualTo(1);

        // the management call that matters still answers, and a force export frees the probe's thread
        CompletableFuture<Object> forced = CompletableFuture.supplyAsync(() -> {
            try {
                fx.invokeManager("forceExport", "tank");
                return "done";
            } catch (Exception e) {
                return e;
            }
        });
        assertThat(forced.get(10, TimeUnit.SECONDS)).isEqualTo("done");
        await().atMost(Duration.ofSeconds(10)).until(() -> probeThreads() == 0);
    }

    @Test
    void sync_within_refuses_deadlines_out_of_range_neg() throws Exception {
        assertThat(JmxFixture.failure(() -> fx.invokePool("tank", "syncWithin", 0L)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("TARN-1 ")
                .hasMessageContaining("timeoutMillis");
        assertThat(JmxFixture.failure(() -> fx.invokePool("tank", "syncWithin", 600_001L)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("TARN-1 ");
        assertThat(probeThreads()).isZero();
    }

    @Test
    void a_sync_stuck_on_hung_devices_fails_as_force_exported_when_the_pool_is_force_exported_neg() throws Exception {
        d.forEach(p -> fx.fault.injector(p).add(FaultRule.hang().on(FaultRule.Op.WRITE)));
        fx.invokePool("tank", "setProperty", "comment", "never lands");
        CompletableFuture<Throwable> stuck = CompletableFuture.supplyAsync(
                () -> JmxFixture.failure(() -> fx.invokePool("tank", "sync")));
        await().atMost(Duration.ofSeconds(10)).until(() -> fx.fault.injector(d.get(0)).hungCount() > 0);
        assertThat(stuck).isNotDone();

        fx.invokeManager("forceExport", "tank");
        // the force export suspends the pool on its way: the sync still reports what ended it
        assertThat(stuck.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("TARN-11 ").hasMessageContaining("force-exported");
    }

    @Test
    void a_sync_of_a_suspended_pool_fails_at_once_whatever_its_failmode_neg() throws Exception {
        d.forEach(p -> fx.fault.injector(p).add(FaultRule.error().on(FaultRule.Op.WRITE)));
        fx.invokePool("tank", "setProperty", "comment", "cannot be written");
        // failmode=wait: the engine's own sync would wait for an operator; the management call does not
        Throwable first = JmxFixture.failure(() -> fx.invokePool("tank", "sync"));
        assertThat(first).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-10 ")
                .hasMessageContaining("'tank'");
        await().atMost(Duration.ofSeconds(10)).until(() -> "SUSPENDED".equals(fx.attribute(ObjectNames.pool("tank"),
                "State")));
        long t0 = System.nanoTime();
        Throwable again = JmxFixture.failure(() -> fx.invokePool("tank", "sync"));
        assertThat(again).hasMessageStartingWith("TARN-10 ").hasMessageContaining("force-export");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
    }
}
