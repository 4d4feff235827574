package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.ExportHook;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.fault.FaultRule;

/** The engine calls its export hooks around every export, whoever asks for it. */
class ExportHookTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    /** Records every call, with the pool's state at the time; optionally refuses exports. */
    private static final class Recorder implements ExportHook {
        final String name;
        final List<String> calls;
        volatile TarnException refuse;

        Recorder(String name, List<String> calls) {
            this.name = name;
            this.calls = calls;
        }

        @Override
        public void beforeExport(Pool pool) {
            calls.add(name + " before " + pool.name() + " " + pool.state());
            if (refuse != null) {
                throw refuse;
            }
        }

        @Override
        public void exportFailed(Pool pool, TarnException cause) {
            calls.add(name + " failed " + pool.name() + " " + cause.code());
        }

        @Override
        public void forceExported(String pool, long poolGuid, String reason) {
            calls.add(name + " forced " + pool + " " + reason);
        }
    }

    private Pool create(Engine engine, String name, String device) {
        return engine.createPool(name, VdevLayout.parse(device), Map.of(), false);
    }

    @Test
    void clean_export_and_destroy_call_every_hook_first_in_order_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        List<String> calls = new CopyOnWriteArrayList<>();
        try (Engine engine = TestPools.engine(drivers)) {
            engine.addExportHook(new Recorder("a", calls));
            engine.addExportHook(new Recorder("b", calls));
            create(engine, "p", d.get(0));
            create(engine, "q", d.get(1));
            engine.exportPool("p", false);
            engine.destroyPool("q", false);
            // each hook ran while the pool was still ACTIVE, before the engine's checks and sync
            assertThat(calls).containsExactly("a before p ACTIVE", "b before p ACTIVE", "a before q ACTIVE",
                    "b before q ACTIVE");
            assertThat(engine.pools()).isEmpty();
        }
    }

    @Test
    void a_refusing_hook_stops_the_export_and_the_hooks_before_it_take_the_pool_back_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        List<String> calls = new CopyOnWriteArrayList<>();
        try (Engine engine = TestPools.engine(drivers)) {
            Recorder first = new Recorder("a", calls);
            Recorder second = new Recorder("b", calls);
            second.refuse = new TarnException(ErrorCode.BUSY, "target ost0 has a change in progress");
            Recorder third = new Recorder("c", calls);
            engine.addExportHook(first);
            engine.addExportHook(second);
            engine.addExportHook(third);
            Pool p = create(engine, "p", d.get(0));

            assertThatThrownBy(() -> engine.exportPool("p", false)).isSameAs(second.refuse);
            assertThat(p.state()).isEqualTo(PoolState.ACTIVE);
            assertThat(engine.pools()).containsExactly("p");
            // the refusing hook and those before it are told, in reverse; the one after it was never called
            assertThat(calls).containsExactly("a before p ACTIVE", "b before p ACTIVE", "b failed p BUSY",
                    "a failed p BUSY");
        }
    }

    @Test
    void an_export_the_engine_refuses_gives_the_pool_back_to_the_hooks_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        List<String> calls = new CopyOnWriteArrayList<>();
        try (Engine engine = TestPools.engine(drivers)) {
            engine.addExportHook(new Recorder("a", calls));
            Pool p = create(engine, "p", d.get(0));
            p.createDataset("ds");
            try (Dataset held = p.openDataset("ds")) {
                assertThatThrownBy(() -> engine.exportPool("p", false)).extracting(e -> ((TarnException) e).code())
                        .isEqualTo(ErrorCode.BUSY);
            }
            assertThat(calls).containsExactly("a before p ACTIVE", "a failed p BUSY");
            assertThat(p.state()).isEqualTo(PoolState.ACTIVE);
        }
    }

    @Test
    void force_export_tells_the_hooks_after_it_is_done_whoever_asks_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        List<String> calls = new CopyOnWriteArrayList<>();
        try (Engine engine = TestPools.engine(drivers)) {
            engine.addExportHook(new Recorder("a", calls));
            Pool byOperator = create(engine, "op", d.get(0));
            engine.forceExport("op");
            assertThat(calls).containsExactly("a forced op requested by an operator");
            assertThat(byOperator.state()).isEqualTo(PoolState.EXPORTED);

            // failmode=export: the pool force-exports itself when its devices fail
            calls.clear();
            Pool self = engine.createPool("self", VdevLayout.parse("fault:" + d.get(1)),
                    Map.of(PoolProperty.FAILMODE, "export"), false);
            drivers.fault.injector(d.get(1)).add(FaultRule.error().on(FaultRule.Op.WRITE));
            self.setProperty(PoolProperty.COMMENT, "a change that cannot sync");
            assertThatThrownBy(self::sync).isInstanceOf(TarnException.class);
            await().atMost(WAIT).until(() -> !calls.isEmpty());
            assertThat(calls).hasSize(1);
            assertThat(calls.get(0)).startsWith("a forced self failmode=export");

            // a leaving driver force-exports its pools: the hooks hear of it too
            calls.clear();
            create(engine, "onfault", "fault:" + d.get(2));
            engine.removeDriver("fault");
            assertThat(calls).containsExactly("a forced onfault vdev driver 'fault' was removed");
        }
    }

    @Test
    void a_failing_hook_never_stops_a_force_export_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        List<String> calls = new CopyOnWriteArrayList<>();
        try (Engine engine = TestPools.engine(drivers)) {
            engine.addExportHook(new ExportHook() {
                @Override
                public void beforeExport(Pool pool) {
                }

                @Override
                public void forceExported(String pool, long poolGuid, String reason) {
                    throw new IllegalStateException("hook bug");
                }
            });
            engine.addExportHook(new Recorder("b", calls));
            Pool p = create(engine, "p", d.get(0));
            engine.forceExport("p");
            assertThat(p.state()).isEqualTo(PoolState.EXPORTED);
            assertThat(engine.pools()).isEmpty();
            assertThat(calls).containsExactly("b forced p requested by an operator");
        }
    }

    @Test
    void closing_the_engine_runs_the_hooks_of_every_pool_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        List<String> calls = new CopyOnWriteArrayList<>();
        Engine engine = TestPools.engine(drivers);
        engine.addExportHook(new Recorder("a", calls));
        create(engine, "p", d.get(0));
        create(engine, "q", d.get(1));
        engine.close();
        assertThat(calls).containsExactlyInAnyOrder("a before p ACTIVE", "a before q ACTIVE");
    }

    @Test
    void a_removed_hook_is_not_called_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        List<String> calls = new CopyOnWriteArrayList<>();
        try (Engine engine = TestPools.engine(drivers)) {
            Recorder r = new Recorder("a", calls);
            engine.addExportHook(r);
            engine.removeExportHook(r);
            create(engine, "p", d.get(0));
            engine.exportPool("p", false);
            assertThat(calls).isEmpty();
        }
    }
}
