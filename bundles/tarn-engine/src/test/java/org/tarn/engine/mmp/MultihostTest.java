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
        assertThat(MultihostWriter.FAIL_INTERVALS * MultihostWriter.INTERVAL_MILLIS)
                .as("the holder stops before an importer gives up on it")
                .isLessThan(ActivityCheck.durationMillis(null, 1));
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

    /**
     * A heartbeat that hangs (not one that fails) must suspend the pool as
     * soon as fail_intervals x interval passed without one landing: not after
     * the I/O deadline, which here is a minute.
     */
    @Test
    void hung_heartbeats_suspend_the_pool_by_time_not_by_io_deadline_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        try (Engine a = TarnEngine.start(EngineSettings.persistent(dir.resolve("a")).withIoTimeoutMillis(60_000),
                drivers.list())) {
            Pool pool = a.createPool("ost1", VdevLayout.parse(dev), Map.of("multihost", "on", "failmode", "continue"),
                    false);
            pool.sync();
            await().atMost(Duration.ofSeconds(10)).until(() -> drivers.fault.injector(dev).ioCount(FaultRule.Op.WRITE)
                    > 0);
            drivers.fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            long t0 = System.nanoTime();
            await().atMost(Duration.ofSeconds(20)).until(() -> pool.state() == PoolState.SUSPENDED);
            long millis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            long giveUp = MultihostWriter.FAIL_INTERVALS * MultihostWriter.INTERVAL_MILLIS;
            assertThat(millis).as("suspended after %d ms; gives up after %d ms", millis, giveUp)
                    .isLessThan(giveUp + 2 * MultihostWriter.INTERVAL_MILLIS)
                    .isLessThan(ActivityCheck.durationMillis(null, 1));
            assertThat(pool.events()).extracting(e -> e.type()).contains("multihost-failed");
            drivers.fault.injector(dev).clear();
            a.forceExport("ost1");
        }
    }

    /**
     * After its heartbeat stopped landing, host a suspended ost1; host b then
     * found it silent and imported it. A {@code clear} on host a must refuse:
     * resuming would make two writers.
     */
    @Test
    void clear_of_a_multihost_suspended_pool_refuses_once_another_host_imported_it_neg() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 1);
        String dev = "fault:" + d.get(0);
        try (Engine a = engine("a"); Engine b = engine("b")) {
            Pool pool = a.createPool("ost1", VdevLayout.parse(dev), Map.of("multihost", "on", "failmode", "continue"),
                    false);
            pool.sync();
            drivers.fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            await().atMost(Duration.ofSeconds(20)).until(() -> pool.state() == PoolState.SUSPENDED);

            Pool taken = b.importPool("ost1", ImportOptions.defaults().withDirs(List.of(devs.toString()))
                    .withForce(true));
            assertThat(taken.syncedTxg()).isGreaterThan(pool.syncedTxg());

            assertThatThrownBy(pool::clear).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE))
                    .hasMessageContaining(b.settings().host().hex()).hasMessageContaining("force-export");
            assertThat(pool.state()).isEqualTo(PoolState.SUSPENDED);
            a.forceExport("ost1");
            drivers.fault.injector(dev).clear();
            assertThat(taken.state()).isEqualTo(PoolState.ACTIVE);
        }
    }

    /** The heartbeat never writes the slot of the last synced uberblock. */
    @Test
    void heartbeats_go_to_their_own_slots_and_leave_the_synced_uberblock_alone_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine a = engine("a")) {
            Pool pool = a.createPool("ost1", VdevLayout.parse(d.get(0)), Map.of("multihost", "on"), false);
            pool.sync();
            long txg = pool.syncedTxg();
            java.util.function.Supplier<org.tarn.engine.label.DeviceLabels> read = () -> {
                try (var dev = drivers.file.open(d.get(0), true)) {
                    return org.tarn.engine.label.LabelReader.read(dev);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            await().atMost(Duration.ofSeconds(10)).until(() -> read.get().uberblocks().stream()
                    .anyMatch(f -> org.tarn.engine.label.LabelLayout.isHeartbeatSlot(f.slot())));
            org.tarn.engine.label.DeviceLabels labels = read.get();
            int slot = org.tarn.engine.label.LabelLayout.uberblockSlot(txg);
            assertThat(labels.uberblocks()).filteredOn(f -> f.slot() == slot).hasSize(4)
                    .allSatisfy(f -> assertThat(f.uberblock().txg()).isEqualTo(txg));
            org.tarn.engine.label.Uberblock syncedCopy = labels.uberblocks().stream().filter(f -> f.slot() == slot)
                    .findFirst().orElseThrow().uberblock();
            org.tarn.engine.label.Uberblock best = labels.bestUberblock().orElseThrow().uberblock();
            assertThat(org.tarn.engine.label.LabelLayout.isHeartbeatSlot(labels.bestUberblock().orElseThrow().slot()))
                    .isTrue();
            assertThat(best.txg()).isEqualTo(txg);
            assertThat(best.mmpSequence()).isGreaterThan(syncedCopy.mmpSequence());
            assertThat(best.mmp().valid()).as("the heartbeat carries the holder's timing").isTrue();
            assertThat(best.mmp().failIntervals()).isEqualTo(MultihostWriter.FAIL_INTERVALS);
        }
    }
}
