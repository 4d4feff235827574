package org.tarn.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.tarn.target.TargetFixture.append;
import static org.tarn.target.TargetFixture.createLog;
import static org.tarn.target.TargetFixture.id;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.TarnException;

/** Creating, listing, mounting and unmounting targets; transaction numbers and last_committed. */
class TargetLifecycleTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private TargetFixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new TargetFixture(dir, 60_000);
        fx.createPool("tank");
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    private static ErrorCode code(Throwable t) {
        return ((TarnException) t).code();
    }

    @Test
    void create_and_list_targets_pos() {
        Target mdt = fx.targets.createTarget("tank", "mdt0", TargetRole.MDT);
        fx.targets.createTarget("tank", "ost0", TargetRole.parse("ost"));
        assertThat(mdt.state()).isEqualTo(TargetState.ACTIVE);
        assertThat(mdt.role()).isEqualTo(TargetRole.MDT);
        assertThat(mdt.recovery().phase()).isEqualTo(RecoveryStatus.Phase.NONE);
        assertThat(fx.targets.targets("tank")).extracting(Target::name).containsExactly("mdt0", "ost0");
        assertThat(fx.targets.targets()).extracting(Target::role).containsExactly(TargetRole.MDT, TargetRole.OST);
        assertThat(fx.pool("tank").datasets()).contains("target:mdt0", "target:ost0");
        assertThat(mdt.lastTransno()).isZero();
        assertThat(mdt.lastCommitted()).isZero();
    }

    @Test
    void create_target_refuses_bad_input_neg() {
        fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        assertThatThrownBy(() -> fx.targets.createTarget("tank", "ost0", TargetRole.OST))
                .hasMessageContaining("already exists").extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.EXISTS);
        assertThatThrownBy(() -> fx.targets.createTarget("nosuch", "ost1", TargetRole.OST))
                .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.POOL_NOT_FOUND);
        assertThatThrownBy(() -> fx.targets.createTarget("tank", "bad name", TargetRole.OST))
                .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThatThrownBy(() -> fx.targets.createTarget("tank", "x:y", TargetRole.OST))
                .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThatThrownBy(() -> TargetRole.parse("MGS")).hasMessageContaining("MDT or OST")
                .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(fx.targets.targets("tank")).hasSize(1);
    }

    @Test
    void transnos_increase_and_last_committed_follows_syncs_pos() {
        Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        assertThat(t.connect("c1").clientLastTransno()).isZero();
        Reply first = t.execute("c1", createLog());
        long log = id(first);
        Reply second = t.execute("c1", append(log, "a"));
        Reply third = t.execute("c1", append(log, "b"));
        assertThat(List.of(first.transno(), second.transno(), third.transno())).containsExactly(1L, 2L, 3L);
        assertThat(third.kind()).isEqualTo(Reply.Kind.EXECUTED);
        // nothing synced yet: the replies tell the client to keep every request
        assertThat(third.lastCommitted()).isZero();
        assertThat(t.lastCommitted()).isZero();

        fx.pool("tank").sync();
        await().atMost(WAIT).until(() -> t.lastCommitted() == 3);
        Reply fourth = t.execute("c1", append(log, "c"));
        assertThat(fourth.transno()).isEqualTo(4);
        assertThat(fourth.lastCommitted()).isEqualTo(3);
        assertThat(TargetFixture.log(t, log)).isEqualTo("a;b;c;");
    }

    @Test
    void transnos_and_client_records_persist_across_export_and_import_pos() throws Exception {
        Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        t.connect("c1");
        long log = id(t.execute("c1", createLog()));
        t.execute("c1", append(log, "a"));

        // a clean export of the engine unmounts (and syncs) the targets first: they are its export hook
        fx.engine.exportPool("tank", false);
        assertThat(t.state()).isEqualTo(TargetState.UNMOUNTED);
        assertThat(t.lastCommitted()).isEqualTo(2);
        assertThat(fx.targets.targets("tank")).isEmpty();
        assertThatThrownBy(() -> t.execute("c1", append(log, "late")))
                .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.POOL_EXPORTED);

        fx.importPool("tank");
        await().atMost(WAIT).until(() -> fx.targets.target("tank", "ost0").isPresent());
        Target again = fx.target("tank", "ost0");
        assertThat(again).isNotSameAs(t);
        // a clean unmount committed everything: no recovery window, the client records stay
        assertThat(again.state()).isEqualTo(TargetState.ACTIVE);
        assertThat(again.recovery().phase()).isEqualTo(RecoveryStatus.Phase.NONE);
        assertThat(again.lastCommitted()).isEqualTo(2);
        assertThat(again.lastTransno()).isEqualTo(2);
        assertThat(again.clients()).containsExactly("c1");
        ConnectReply back = again.connect("c1");
        assertThat(back.recovering()).isFalse();
        assertThat(back.clientLastTransno()).isEqualTo(2);
        // what the client got before the export is answered from the records, not executed again
        assertThat(again.replay("c1", 2, append(log, "a")).kind()).isEqualTo(Reply.Kind.REPLY_NOT_KEPT);
        assertThat(again.execute("c1", append(log, "b")).transno()).isEqualTo(3);
        assertThat(TargetFixture.log(again, log)).isEqualTo("a;b;");
    }

    @Test
    void engine_export_unmounts_the_targets_first_pos() {
        Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        // the engine's own export (no wrapper): the target service is its export hook
        fx.engine.exportPool("tank", false);
        assertThat(t.state()).isEqualTo(TargetState.UNMOUNTED);
        assertThat(fx.engine.pools()).doesNotContain("tank");
        assertThat(fx.targets.targets("tank")).isEmpty();
    }

    @Test
    void failed_export_mounts_the_targets_again_neg() {
        Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        Pool pool = fx.pool("tank");
        pool.createDataset("other");
        try (Dataset held = pool.openDataset("other")) {
            // another holder keeps the pool busy: the export fails after the targets let go ...
            assertThatThrownBy(() -> fx.engine.exportPool("tank", false)).hasMessageContaining("other")
                    .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.BUSY);
            assertThat(t.state()).isEqualTo(TargetState.UNMOUNTED);
            // ... and they are mounted again, serving
            await().atMost(WAIT).until(() -> fx.targets.target("tank", "ost0")
                    .map(again -> again.state() == TargetState.ACTIVE).orElse(false));
            assertThat(fx.engine.pools()).contains("tank");
        }
        fx.engine.exportPool("tank", false);
        assertThat(fx.engine.pools()).doesNotContain("tank");
    }

    @Test
    void closing_the_service_unmounts_its_targets_and_frees_the_pool_pos() {
        Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        fx.targets.close();
        assertThat(t.state()).isEqualTo(TargetState.UNMOUNTED);
        assertThatThrownBy(() -> t.connect("c1")).extracting(TargetLifecycleTest::code)
                .isEqualTo(ErrorCode.POOL_EXPORTED);
        // the pool itself is untouched and exports cleanly now
        fx.engine.exportPool("tank", false);
    }

    @Test
    void force_export_fails_targets_at_once_and_aborts_uncommitted_transnos_pos() {
        Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        List<String> events = new CopyOnWriteArrayList<>();
        fx.targets.addListener((target, type, detail) -> events.add(type + " " + target.name()));
        t.connect("c1");
        long log = id(t.execute("c1", createLog()));
        fx.pool("tank").sync();
        await().atMost(WAIT).until(() -> t.lastCommitted() == 1);
        t.execute("c1", append(log, "lost"));

        fx.engine.forceExport("tank");
        assertThat(t.state()).isEqualTo(TargetState.FAILED);
        assertThat(t.failure()).hasValueSatisfying(f -> assertThat(f).contains("force-exported"));
        assertThat(t.lastCommitted()).isEqualTo(1);
        assertThatThrownBy(() -> t.execute("c1", append(log, "after")))
                .hasMessageContaining("force-exported")
                .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.POOL_EXPORTED);
        await().atMost(WAIT).until(() -> events.contains("failed ost0"));
        // the failed target stays listed until the pool comes back
        assertThat(fx.targets.targets("tank")).extracting(Target::state).containsExactly(TargetState.FAILED);
    }

    @Test
    void requests_from_unknown_clients_and_stray_replays_are_refused_neg() {
        Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        assertThatThrownBy(() -> t.execute("stranger", createLog())).hasMessageContaining("connect first")
                .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.NOT_FOUND);
        assertThatThrownBy(() -> t.connect("")).extracting(TargetLifecycleTest::code)
                .isEqualTo(ErrorCode.INVALID_ARGUMENT);
        t.connect("c1");
        Reply r = t.execute("c1", RequestContext.of(1, 0), createLog());
        // a replay of an executed request outside recovery is answered from the record
        Reply again = t.replay("c1", r.transno(), RequestContext.of(1, 0), createLog());
        assertThat(again.kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
        assertThat(id(again)).isEqualTo(id(r));
        assertThat(t.replay("c1", r.transno(), createLog()).kind()).isEqualTo(Reply.Kind.REPLY_NOT_KEPT);
        assertThatThrownBy(() -> t.replay("c1", 99, createLog())).hasMessageContaining("not recovering")
                .extracting(TargetLifecycleTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(t.lastTransno()).isEqualTo(1);
        assertThat(t.abortRecovery()).contains("not recovering");
    }

    @Test
    void targets_of_a_pool_imported_before_the_service_are_mounted_pos() throws Exception {
        fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        fx.engine.exportPool("tank", false);
        Pool p = fx.importPool("tank");
        await().atMost(WAIT).until(() -> fx.targets.target("tank", "ost0").isPresent());
        assertThat(fx.target("tank", "ost0").state()).isEqualTo(TargetState.ACTIVE);
        assertThat(p.name()).isEqualTo("tank");

        // a second service started later over the same engine finds it too (and sees it busy)
        try (TargetService late = Targets.start(fx.engine, TargetSettings.defaults())) {
            await().atMost(WAIT).until(() -> late.target("tank", "ost0").isPresent());
            assertThat(late.target("tank", "ost0").get().role()).isEqualTo(TargetRole.OST);
        }
    }
}
