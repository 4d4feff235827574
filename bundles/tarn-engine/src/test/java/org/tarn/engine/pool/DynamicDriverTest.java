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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/** Drivers added and removed while the engine runs, as driver bundles come and go in OSGi. */
class DynamicDriverTest {
    @TempDir
    Path dir;

    private final FileVdevDriver file = new FileVdevDriver();
    private final FaultVdevDriver fault = new FaultVdevDriver(file);

    private Engine fileOnly(EngineSettings settings) {
        return TarnEngine.start(settings.withIoTimeoutMillis(60_000), List.of(file));
    }

    // ---- positive cases ----------------------------------------------------------

    /**
     * A driver removed while a create is opening its devices through it: the
     * removal's sweep cannot see the pool yet, so the create must fail itself
     * (found by reading; it used to leave the pool imported on a driver that
     * was gone).
     */
    @Test
    void driver_removed_during_a_create_fails_that_create_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        java.util.concurrent.CountDownLatch opening = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch removed = new java.util.concurrent.CountDownLatch(1);
        org.tarn.api.vdev.VdevDriver slow = new org.tarn.api.vdev.VdevDriver() {
            @Override
            public String type() {
                return "slow";
            }

            @Override
            public boolean accepts(String path) {
                return path.startsWith("slow:");
            }

            @Override
            public org.tarn.api.vdev.BlockDevice open(String path, boolean readOnly) throws java.io.IOException {
                opening.countDown();
                try {
                    removed.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return file.open(path.substring("slow:".length()), readOnly);
            }
        };
        try (Engine engine = fileOnly(EngineSettings.ephemeral())) {
            engine.addDriver(slow);
            CompletableFuture<Pool> create = CompletableFuture.supplyAsync(() ->
                    engine.createPool("s", VdevLayout.parse("slow:" + d.get(0)), Map.of(), false));
            assertThat(opening.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(engine.removeDriver("slow")).isEmpty(); // the pool is not in the namespace yet
            removed.countDown();
            assertThatThrownBy(() -> create.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(TarnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.DRIVER_MISSING));
            assertThat(engine.pools()).isEmpty();
        }
    }

    @Test
    void added_driver_is_usable_at_once_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = fileOnly(EngineSettings.ephemeral())) {
            assertThat(engine.driverTypes()).containsExactly("file");
            engine.addDriver(fault);
            assertThat(engine.driverTypes()).containsExactly("file", "fault");
            Pool pool = engine.createPool("f", VdevLayout.parse("fault:" + d.get(0)), Map.of(), false);
            assertThat(pool.vdevTree().children().get(0).type()).isEqualTo("fault");
            engine.exportPool("f", false);
        }
    }

    @Test
    void removed_driver_force_exports_only_the_pools_that_use_it_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        try (Engine engine = fileOnly(EngineSettings.ephemeral())) {
            engine.addDriver(fault);
            Pool onFault = engine.createPool("f", VdevLayout.parse("mirror fault:" + d.get(0) + " fault:" + d.get(1)),
                    Map.of(), false);
            Pool onFile = engine.createPool("p", VdevLayout.parse(d.get(2)), Map.of(), false);
            List<String> events = new CopyOnWriteArrayList<>();
            engine.addEventListener((name, guid, e) -> events.add(name + " " + e.type() + " " + e.detail()));

            assertThat(engine.removeDriver("fault")).containsExactly("f");

            assertThat(onFault.state()).isEqualTo(PoolState.EXPORTED);
            assertThat(engine.pools()).containsExactly("p");
            assertThat(onFault.events()).last().satisfies(e -> {
                assertThat(e.type()).isEqualTo("force-exported");
                assertThat(e.detail()).contains("vdev driver 'fault' was removed");
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> events.stream()
                    .anyMatch(e -> e.startsWith("f force-exported vdev driver 'fault' was removed")));
            assertThat(events).noneMatch(e -> e.startsWith("p "));
            // the file pool keeps working
            onFile.createDataset("a");
            try (Dataset ds = onFile.openDataset("a"); Transaction tx = onFile.begin()) {
                ds.write(tx, ds.createObject(tx), 0, ByteBuffer.wrap(new byte[10_000]));
            }
            onFile.sync();
            assertThat(onFile.state()).isEqualTo(PoolState.ACTIVE);
        }
    }

    @Test
    void removing_a_driver_whose_device_hangs_is_bounded_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        try (Engine engine = fileOnly(EngineSettings.ephemeral())) {
            engine.addDriver(fault);
            Pool pool = engine.createPool("hung", VdevLayout.parse(dev), Map.of(), false);
            pool.createDataset("a");
            fault.injector(dev).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
                ds.write(tx, ds.createObject(tx), 0, ByteBuffer.wrap(new byte[50_000]));
            }
            CompletableFuture<Throwable> syncer = CompletableFuture.supplyAsync(() -> {
                try {
                    pool.sync();
                    return null;
                } catch (TarnException e) {
                    return e;
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> fault.injector(dev).hungCount() > 0);

            long t0 = System.nanoTime();
            assertThat(engine.removeDriver("fault")).containsExactly("hung");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(millis).as("removal took %d ms", millis).isLessThan(1000);
            assertThat(syncer.get(5, TimeUnit.SECONDS)).isInstanceOf(TarnException.class)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_EXPORTED);
            fault.injector(dev).clear();
        }
    }

    @Test
    void cached_pool_waits_for_its_driver_and_stays_cached_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        EngineSettings settings = EngineSettings.persistent(dir.resolve("state"));
        try (Engine engine = TarnEngine.start(settings, List.of(fault, file))) {
            engine.createPool("f", VdevLayout.parse("fault:" + d.get(0)), Map.of(), false);
            engine.createPool("p", VdevLayout.parse(d.get(1)), Map.of(), false);
        }
        // the fault driver is not there at start: its pool waits, and the cache file still lists it
        try (Engine engine = fileOnly(settings)) {
            assertThat(engine.pools()).containsExactly("p");
            assertThat(engine.poolsAwaitingDriver()).containsExactly("f");
        }
        try (Engine engine = fileOnly(settings)) {
            assertThat(engine.poolsAwaitingDriver()).containsExactly("f");
            engine.addDriver(fault);
            assertThat(engine.pools()).containsExactly("f", "p");
            assertThat(engine.poolsAwaitingDriver()).isEmpty();
            assertThat(engine.pool("f").orElseThrow().state()).isEqualTo(PoolState.ACTIVE);
        }
    }

    @Test
    void a_directory_with_a_driver_scheme_is_scanned_and_imported_through_that_driver_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        Path devices = Path.of(d.get(0)).getParent();
        EngineSettings settings = EngineSettings.persistent(dir.resolve("state"));
        try (Engine engine = TarnEngine.start(settings, List.of(fault, file))) {
            engine.createPool("f", VdevLayout.parse("mirror fault:" + d.get(0) + " fault:" + d.get(1)), Map.of(),
                    false);
            engine.exportPool("f", false);
            // a plain directory scan reads the same devices through the file driver
            assertThat(engine.scan(List.of(devices.toString())).pools()).anyMatch(p -> p.name().equals("f"));
            // with the scheme the import goes through the fault driver: faults can be injected into it
            Pool pool = engine.importPool("f", org.tarn.api.ImportOptions.parse("dir=fault:" + devices));
            assertThat(pool.vdevTree().children().get(0).children()).allMatch(v -> v.path().startsWith("fault:"));
            fault.injector("fault:" + d.get(0)).add(FaultRule.error().on(FaultRule.Op.WRITE));
            pool.setProperty("comment", "one side fails");
            pool.sync();
            assertThat(pool.vdevTree().children().get(0).children().get(0).writeErrors()).isPositive();
            fault.injector("fault:" + d.get(0)).clear();
        }
        // the cache file keeps the scheme: the next start imports through the fault driver again
        try (Engine engine = TarnEngine.start(settings, List.of(fault, file))) {
            assertThat(engine.pool("f").orElseThrow().vdevTree().children().get(0).children())
                    .allMatch(v -> v.path().startsWith("fault:"));
        }
    }

    // ---- negative cases ----------------------------------------------------------

    @Test
    void create_and_open_without_the_driver_name_the_missing_type_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        String dev = "fault:" + d.get(0);
        try (Engine engine = fileOnly(EngineSettings.ephemeral())) {
            assertThatThrownBy(() -> engine.createPool("f", VdevLayout.parse(dev), Map.of(), false))
                    .isInstanceOfSatisfying(TarnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.DRIVER_MISSING))
                    .hasMessageContaining("TARN-23").hasMessageContaining("type 'fault'")
                    .hasMessageContaining(dev);
            assertThat(engine.pools()).isEmpty();

            engine.addDriver(fault);
            engine.createPool("f", VdevLayout.parse(dev), Map.of(), false);
            engine.exportPool("f", false);
            engine.removeDriver("fault");
            assertThatThrownBy(() -> engine.openPool(List.of(dev), false))
                    .isInstanceOfSatisfying(TarnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.DRIVER_MISSING))
                    .hasMessageContaining("type 'fault'");
        }
    }

    @Test
    void second_driver_of_a_type_is_refused_neg() {
        try (Engine engine = fileOnly(EngineSettings.ephemeral())) {
            assertThatThrownBy(() -> engine.addDriver(new FileVdevDriver()))
                    .isInstanceOfSatisfying(TarnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("type 'file' is deployed already");
            assertThat(engine.driverTypes()).containsExactly("file");
        }
    }

    @Test
    void removing_an_unknown_driver_changes_nothing_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = fileOnly(EngineSettings.ephemeral())) {
            engine.createPool("p", VdevLayout.parse(d.get(0)), Map.of(), false);
            assertThat(engine.removeDriver("fault")).isEmpty();
            assertThat(engine.pools()).containsExactly("p");
        }
    }

    @Test
    void driver_type_of_a_path_pos() {
        assertThat(DriverRegistry.typeOf("fault:/x/d0")).isEqualTo("fault");
        assertThat(DriverRegistry.typeOf("file:/x/d0")).isEqualTo("file");
        assertThat(DriverRegistry.typeOf("/x/d0")).isEqualTo("file");
        assertThat(DriverRegistry.typeOf("C:\\x")).isEqualTo("file");
    }
}
