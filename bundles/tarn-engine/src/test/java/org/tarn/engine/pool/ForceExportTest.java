package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.CommitStatus;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.fault.FaultRule;

/** Force export never waits on a device, and never touches another pool. */
class ForceExportTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private Engine engine() {
        // a long I/O deadline, so the hung I/O is still hung when we force-export
        return TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(60_000), drivers.list());
    }

    @Test
    void force_export_while_device_hangs_mid_write_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        try (Engine engine = engine()) {
            Pool pool = engine.createPool("ost1", VdevLayout.parse(dev), Map.of(), false);
            pool.createDataset("a");
            long obj;
            byte[] synced = new byte[50_000];
            java.util.Arrays.fill(synced, (byte) 7);
            try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
                ds.write(tx, obj, 0, ByteBuffer.wrap(synced));
            }
            pool.sync();
            long lastSynced = pool.syncedTxg();

            drivers.fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            List<String> outcomes = new CopyOnWriteArrayList<>();
            Dataset ds = pool.openDataset("a");
            try (Transaction tx = pool.begin()) {
                ds.write(tx, obj, 0, ByteBuffer.wrap(new byte[50_000]));
                tx.onCommit((txg, status) -> outcomes.add(txg + " " + status));
            }
            CompletableFuture<Throwable> syncer = CompletableFuture.supplyAsync(() -> {
                try {
                    pool.sync();
                    return null;
                } catch (TarnException e) {
                    return e;
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> drivers.fault.injector(dev).hungCount() > 0);

            long t0 = System.nanoTime();
            engine.forceExport("ost1");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(millis).as("force export returned in %d ms", millis).isLessThan(1000);

            assertThat(pool.state()).isEqualTo(PoolState.EXPORTED);
            assertThat(engine.pools()).doesNotContain("ost1");
            assertThat(syncer.get(5, TimeUnit.SECONDS)).isInstanceOf(TarnException.class)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_EXPORTED);
            assertThat(outcomes).hasSize(1).allMatch(s -> s.endsWith(CommitStatus.ABORTED.name()));
            assertThatThrownBy(() -> ds.read(obj, 0, ByteBuffer.allocate(10)))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_EXPORTED);
            assertThatThrownBy(pool::begin).hasMessageContaining("force-exported");

            // the device comes back: the pool opens at its last synced txg with that txg's data
            drivers.fault.injector(dev).clear();
            Pool again = engine.openPool(List.of(d.get(0)), true);
            assertThat(again.syncedTxg()).isEqualTo(lastSynced);
            try (Dataset back = again.openDataset("a")) {
                ByteBuffer b = ByteBuffer.allocate(synced.length);
                back.read(obj, 0, b);
                assertThat(b.array()).isEqualTo(synced);
            }
        }
    }

    @Test
    void force_export_wakes_writers_blocked_in_failmode_wait_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(500),
                drivers.list())) {
            Pool pool = engine.createPool("ost1", VdevLayout.parse(dev),
                    Map.of("failmode", "wait", "dirtyMaxBytes", "1048576", "txg.dirtyLimitBytes", "262144"), false);
            pool.createDataset("a");
            drivers.fault.injector(dev).add(FaultRule.error().on(FaultRule.Op.WRITE));
            AtomicLong blockedWrites = new AtomicLong();
            CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
                try (Dataset ds = pool.openDataset("a")) {
                    long obj;
                    try (Transaction tx = pool.begin()) {
                        obj = ds.createObject(tx);
                    }
                    while (true) {
                        try (Transaction tx = pool.begin()) {
                            ds.write(tx, obj, 0, ByteBuffer.wrap(new byte[256 * 1024]));
                            blockedWrites.incrementAndGet();
                        }
                    }
                } catch (TarnException e) {
                    return e;
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> pool.state() == PoolState.SUSPENDED);
            long t0 = System.nanoTime();
            engine.forceExport("ost1");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1000);
            assertThat(writer.get(5, TimeUnit.SECONDS)).isInstanceOf(TarnException.class)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_EXPORTED);
        }
    }

    @Test
    void hung_pool_never_slows_another_pool_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        String hung = "fault:" + d.get(0);
        try (Engine engine = engine()) {
            Pool sick = engine.createPool("ost1", VdevLayout.parse(hung), Map.of(), false);
            Pool healthy = engine.createPool("ost0", VdevLayout.parse(d.get(1)), Map.of(), false);
            sick.createDataset("a");
            healthy.createDataset("a");
            drivers.fault.injector(hung).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            try (Dataset ds = sick.openDataset("a"); Transaction tx = sick.begin()) {
                ds.write(tx, ds.createObject(tx), 0, ByteBuffer.wrap(new byte[100_000]));
            }
            CompletableFuture.runAsync(() -> {
                try {
                    sick.sync();
                } catch (TarnException expected) {
                    // ends with the force export
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> drivers.fault.injector(hung).hungCount() > 0);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong syncs = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (Dataset ds = healthy.openDataset("a")) {
                    long obj;
                    try (Transaction tx = healthy.begin()) {
                        obj = ds.createObject(tx);
                    }
                    while (!stop.get()) {
                        try (Transaction tx = healthy.begin()) {
                            ds.write(tx, obj, 0, ByteBuffer.wrap(new byte[64 * 1024]));
                        }
                        healthy.sync();
                        syncs.incrementAndGet();
                    }
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> syncs.get() >= 5);
            long before = syncs.get();
            // management calls on both pools stay fast while one is hung
            long t0 = System.nanoTime();
            assertThat(engine.pools()).containsExactly("ost0", "ost1");
            assertThat(sick.state()).isEqualTo(PoolState.ACTIVE);
            assertThat(healthy.vdevTree().state()).isEqualTo(org.tarn.api.VdevState.ONLINE);
            engine.forceExport("ost1");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1000);
            await().atMost(Duration.ofSeconds(10)).until(() -> syncs.get() >= before + 5);
            stop.set(true);
            writer.get(10, TimeUnit.SECONDS);
            assertThat(engine.pools()).containsExactly("ost0");
            assertThat(healthy.state()).isEqualTo(PoolState.ACTIVE);
            drivers.fault.injector(hung).clear();
        }
    }

    @Test
    void closing_the_engine_force_exports_a_hung_pool_after_its_deadline_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(60_000)
                .withShutdownExportMillis(300), drivers.list());
        Pool pool = engine.createPool("ost1", VdevLayout.parse(dev), Map.of(), false);
        pool.createDataset("a");
        drivers.fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
        try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
            ds.write(tx, ds.createObject(tx), 0, ByteBuffer.wrap(new byte[10_000]));
        }
        long t0 = System.nanoTime();
        engine.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);
        assertThat(pool.state()).isEqualTo(PoolState.EXPORTED);
        assertThat(engine.pools()).isEmpty();
        assertThat(((Spa) pool).events()).extracting(PoolEvent::type).contains("force-exported");
        drivers.fault.injector(dev).clear();
    }

    @Test
    void force_export_overtakes_a_clean_export_stuck_on_a_hung_device_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        try (Engine engine = engine()) {
            Pool pool = engine.createPool("ost1", VdevLayout.parse(dev), Map.of(), false);
            pool.createDataset("a");
            drivers.fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
                ds.write(tx, ds.createObject(tx), 0, ByteBuffer.wrap(new byte[10_000]));
            }
            CompletableFuture<Throwable> export = CompletableFuture.supplyAsync(() -> {
                try {
                    engine.exportPool("ost1", false);
                    return null;
                } catch (TarnException e) {
                    return e;
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.state() == PoolState.EXPORTING
                    && drivers.fault.injector(dev).hungCount() > 0);
            assertThatThrownBy(() -> engine.exportPool("ost1", false))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.IN_PROGRESS);
            long t0 = System.nanoTime();
            engine.forceExport("ost1");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1000);
            assertThat(export.get(5, TimeUnit.SECONDS)).isInstanceOf(TarnException.class)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_EXPORTED);
            assertThat(pool.state()).isEqualTo(PoolState.EXPORTED);
            assertThat(engine.pools()).isEmpty();
            drivers.fault.injector(dev).clear();
        }
    }

    /**
     * An import claims the pool on disk (ACTIVE, this host) before it
     * returns; when that write hangs, a force export ends the import in
     * bounded time with POOL_EXPORTED, leaves nothing behind, and the pool
     * imports again once the device answers, with its data.
     */
    @Test
    void force_export_during_an_import_ends_it_and_the_pool_imports_later_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        byte[] data = new byte[40_000];
        java.util.Arrays.fill(data, (byte) 3);
        try (Engine engine = engine()) {
            Pool pool = engine.createPool("ost1", VdevLayout.parse(dev), Map.of(), false);
            pool.createDataset("a");
            long obj;
            try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
                ds.write(tx, obj, 0, ByteBuffer.wrap(data));
            }
            engine.exportPool("ost1", false);

            drivers.fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            String dirOpt = "dir=" + dir;
            CompletableFuture<Throwable> importing = CompletableFuture.supplyAsync(() -> {
                try {
                    engine.openPool(List.of(dev), false); // through the fault driver
                    return null;
                } catch (TarnException e) {
                    return e;
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> drivers.fault.injector(dev).hungCount() > 0
                    && engine.pools().contains("ost1"));
            long t0 = System.nanoTime();
            engine.forceExport("ost1");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(millis).as("force export returned in %d ms", millis).isLessThan(1000);
            assertThat(importing.get(5, TimeUnit.SECONDS)).isInstanceOf(TarnException.class)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_EXPORTED);
            assertThat(engine.pools()).doesNotContain("ost1");

            drivers.fault.injector(dev).clear();
            Pool again = engine.importPool("ost1", org.tarn.api.ImportOptions.parse(dirOpt));
            assertThat(again.state()).isEqualTo(PoolState.ACTIVE);
            try (Dataset back = again.openDataset("a")) {
                ByteBuffer b = ByteBuffer.allocate(data.length);
                back.read(obj, 0, b);
                assertThat(b.array()).isEqualTo(data);
            }
        }
    }
}
