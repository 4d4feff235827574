package org.tarn.engine.mmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.engine.Engine;
import org.tarn.vdev.fault.FaultRule;

class MultihostTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private Engine engine(String state) {
        return TarnEngine.start(EngineSettings.persistent(dir.resolve(state)).withIoTimeoutMillis(2000),
                drivers.list());
    }

    @Test
    void import_is_refused_even_with_force_while_the_other_host_beats_neg() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 1);
        ImportOptions forced = ImportOptions.defaults().withDirs(List.of(devs.toString())).withForce(true);
        try (Engine a = engine("a"); Engine b = engine("b")) {
            a.createPool("ost1", VdevLayout.parse(d.get(0)), Map.of("multihost", "on"), false);
            assertThatThrownBy(() -> b.importPool("ost1", forced))
                    .hasMessageContaining("heartbeat moved")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE);
            assertThat(b.pools()).isEmpty();
            // host a dies (its heartbeat stops): now a forced import goes through
            a.forceExport("ost1");
            Pool taken = b.importPool("ost1", forced);
            assertThat(taken.state()).isEqualTo(PoolState.ACTIVE);
        }
    }

    @Test
    void failing_heartbeats_with_failmode_export_force_export_the_pool_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        try (Engine a = engine("a")) {
            Pool pool = a.createPool("ost1", VdevLayout.parse(dev), Map.of("multihost", "on", "failmode", "export"),
                    false);
            await().atMost(Duration.ofSeconds(10)).until(() -> drivers.fault.injector(dev).ioCount(FaultRule.Op.WRITE)
                    > 0);
            drivers.fault.injector(dev).add(FaultRule.error().on(FaultRule.Op.WRITE));
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.events().stream()
                    .anyMatch(e -> e.type().equals("force-exported")));
            assertThat(pool.state()).isEqualTo(PoolState.EXPORTED);
            assertThat(pool.events()).extracting(e -> e.type()).contains("multihost-failed");
            drivers.fault.injector(dev).clear();
        }
    }

    /**
     * DESIGN.md: a pool whose heartbeat writes keep failing suspends itself,
     * whatever its failmode, before an importer elsewhere would take its
     * silence for a dead host; clear resumes it once the device writes again.
     */
    @Test
    void failing_heartbeats_suspend_the_pool_until_cleared_pos() throws Exception {
        assertThat(MultihostWriter.FAIL_INTERVALS).as("the holder stops before an importer gives up on it")
                .isLessThan(MultihostWriter.IMPORT_INTERVALS);
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        try (Engine a = engine("a")) {
            Pool pool = a.createPool("ost1", VdevLayout.parse(dev), Map.of("multihost", "on", "failmode", "continue"),
                    false);
            pool.createDataset("data");
            pool.sync(); // nothing dirty from here on: no sync can be what suspends the pool
            long synced = pool.syncedTxg();
            await().atMost(Duration.ofSeconds(10)).until(() -> drivers.fault.injector(dev).ioCount(FaultRule.Op.WRITE)
                    > 0);
            drivers.fault.injector(dev).add(FaultRule.error().on(FaultRule.Op.WRITE));
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.state() == org.tarn.api.PoolState.SUSPENDED);
            assertThat(pool.events()).extracting(e -> e.type()).contains("multihost-failed", "suspended");
            // failmode=continue: writes fail at once; nothing more reached the device
            assertThatThrownBy(pool::begin).isInstanceOfSatisfying(org.tarn.api.TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(org.tarn.api.ErrorCode.POOL_SUSPENDED));
            assertThat(pool.syncedTxg()).isEqualTo(synced);

            drivers.fault.injector(dev).clear();
            pool.clear();
            assertThat(pool.state()).isEqualTo(org.tarn.api.PoolState.ACTIVE);
            try (org.tarn.api.Transaction tx = pool.begin(); org.tarn.api.Dataset ds = pool.openDataset("data")) {
                ds.createObject(tx);
            }
            pool.sync();
            assertThat(pool.syncedTxg()).isGreaterThan(synced);
            assertThat(pool.events()).extracting(e -> e.type()).contains("resumed");
        }
    }
}
