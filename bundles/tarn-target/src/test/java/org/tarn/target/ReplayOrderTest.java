package org.tarn.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.tarn.target.RecoveryTest.xid;
import static org.tarn.target.TargetFixture.append;
import static org.tarn.target.TargetFixture.createLog;
import static org.tarn.target.TargetFixture.id;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replays of different clients run in global transaction-number order, gaps skipped only when they cannot fill. */
class ReplayOrderTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static Target mounted(TargetFixture fx) {
        fx.importPool("tank");
        await().atMost(WAIT).until(() -> fx.targets.target("tank", "ost0").isPresent());
        return fx.target("tank", "ost0");
    }

    @Test
    void replays_of_all_clients_run_in_transno_order_pos() throws Exception {
        long log;
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            first.createPool("tank");
            Target t = first.targets.createTarget("tank", "ost0", TargetRole.OST);
            t.connect("a");
            t.connect("b");
            log = id(t.execute("a", xid(1), createLog()));                     // 1
            first.pool("tank").sync();
            await().atMost(WAIT).until(() -> t.lastCommitted() == 1);
            assertThat(t.execute("b", xid(1), append(log, "b2")).transno()).isEqualTo(2);
            assertThat(t.execute("a", xid(2), append(log, "a3")).transno()).isEqualTo(3);
            assertThat(t.execute("b", xid(2), append(log, "b4")).transno()).isEqualTo(4);
            first.forceExport("tank");
        }
        try (TargetFixture second = new TargetFixture(dir, 60_000)) {
            Target t = mounted(second);
            t.connect("a");
            // a's replay of 3 must wait for b's 2: b is known and may still send it
            CompletableFuture<Reply> a3 = CompletableFuture.supplyAsync(() -> t.replay("a", 3, xid(2),
                    append(log, "a3")));
            await().atMost(WAIT).until(() -> t.recovery().connectedClients() == 1);
            t.connect("b");
            assertThat(t.replay("b", 2, xid(1), append(log, "b2")).kind()).isEqualTo(Reply.Kind.EXECUTED);
            // b's 4 runs after a's 3, whichever thread gets there first
            assertThat(t.replay("b", 4, xid(2), append(log, "b4")).transno()).isEqualTo(4);
            assertThat(a3.get(30, TimeUnit.SECONDS).kind()).isEqualTo(Reply.Kind.EXECUTED);
            t.replayDone("a");
            t.replayDone("b");
            assertThat(t.state()).isEqualTo(TargetState.ACTIVE);
            assertThat(TargetFixture.log(t, log)).isEqualTo("b2;a3;b4;");
            assertThat(t.recovery().replayedRequests()).isEqualTo(3);
            assertThat(t.execute("a", xid(3), append(log, "a5")).transno()).isEqualTo(5);
        }
    }

    @Test
    void a_missing_transno_is_skipped_once_its_client_can_no_longer_send_it_pos() throws Exception {
        long log;
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            first.createPool("tank");
            Target t = first.targets.createTarget("tank", "ost0", TargetRole.OST);
            t.connect("a");
            t.connect("c");
            log = id(t.execute("a", xid(1), createLog()));                     // 1
            first.pool("tank").sync();
            await().atMost(WAIT).until(() -> t.lastCommitted() == 1);
            t.execute("c", xid(1), append(log, "c2"));                         // 2: c never comes back
            t.execute("a", xid(2), append(log, "a3"));                         // 3
            first.forceExport("tank");
        }
        try (TargetFixture second = new TargetFixture(dir, 1_500)) {
            Target t = mounted(second);
            t.connect("a");
            CompletableFuture<Reply> a3 = CompletableFuture.supplyAsync(() -> t.replay("a", 3, xid(2),
                    append(log, "a3")));
            // 2 can only come from c, which has not reconnected: a waits until the window evicts c
            Reply r = a3.get(30, TimeUnit.SECONDS);
            assertThat(r.kind()).isEqualTo(Reply.Kind.EXECUTED);
            assertThat(r.transno()).isEqualTo(3);
            assertThat(t.clients()).containsExactly("a");
            assertThat(t.recovery().evictedClients()).isEqualTo(1);
            t.replayDone("a");
            await().atMost(WAIT).until(() -> t.state() == TargetState.ACTIVE);
            assertThat(t.recovery().endReason()).contains("finished replay");
            assertThat(t.recovery().evictedClients()).isEqualTo(1);
            assertThat(TargetFixture.log(t, log)).isEqualTo("a3;");
        }
    }

    @Test
    void a_replayed_create_brings_its_object_back_under_the_id_its_client_was_told_pos() throws Exception {
        long mine;
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            first.createPool("tank");
            Target t = first.targets.createTarget("tank", "ost0", TargetRole.OST);
            t.connect("a");
            t.connect("b");
            t.execute("a", xid(1), createLog());
            first.pool("tank").sync();
            await().atMost(WAIT).until(() -> t.lastCommitted() == 1);
            // b's create runs first but b never learns its id (its answer is lost with the server)
            t.execute("b", xid(1), new org.tarn.target.protocol.TargetOp.CreateObject());
            mine = org.tarn.target.protocol.TargetOp.decodeLong(t.execute("a", xid(2),
                    new org.tarn.target.protocol.TargetOp.CreateObject()).data());
            t.execute("a", xid(3), new org.tarn.target.protocol.TargetOp.Write(mine, 0, new byte[] {7}));
            first.forceExport("tank");
        }
        try (TargetFixture second = new TargetFixture(dir, 60_000)) {
            Target t = mounted(second);
            t.connect("a");
            t.connect("b");
            t.replayDone("b");
            // a replays its create (transno 3) naming the id it got, then its write to it
            Reply created = t.replay("a", 3, xid(2), new org.tarn.target.protocol.TargetOp.CreateObject(mine));
            assertThat(org.tarn.target.protocol.TargetOp.decodeLong(created.data())).isEqualTo(mine);
            assertThat(t.replay("a", 4, xid(3), new org.tarn.target.protocol.TargetOp.Write(mine, 0, new byte[] {7}))
                    .kind()).isEqualTo(Reply.Kind.EXECUTED);
            t.replayDone("a");
            assertThat(t.execute("a", new org.tarn.target.protocol.TargetOp.Read(mine, 0, 1)).data()).containsExactly(7);
            // new objects get ids past it
            long next = org.tarn.target.protocol.TargetOp.decodeLong(t.execute("a", xid(4),
                    new org.tarn.target.protocol.TargetOp.CreateObject()).data());
            assertThat(next).isGreaterThan(mine);
        }
    }

    @Test
    void a_crash_before_any_request_committed_still_lets_known_clients_replay_pos() throws Exception {
        long log;
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            first.createPool("tank");
            Target t = first.targets.createTarget("tank", "ost0", TargetRole.OST);
            // the connect makes the client's record durable; its requests never commit
            t.connect("a");
            log = id(t.execute("a", xid(1), createLog()));
            t.execute("a", xid(2), append(log, "a2"));
            first.forceExport("tank");
        }
        try (TargetFixture second = new TargetFixture(dir, 60_000)) {
            Target t = mounted(second);
            assertThat(t.state()).isEqualTo(TargetState.RECOVERING);
            assertThat(t.connect("a").clientLastTransno()).isZero();
            assertThat(t.replay("a", 1, xid(1), createLog()).kind()).isEqualTo(Reply.Kind.EXECUTED);
            assertThat(t.replay("a", 2, xid(2), append(log, "a2")).kind()).isEqualTo(Reply.Kind.EXECUTED);
            t.replayDone("a");
            assertThat(TargetFixture.log(t, log)).isEqualTo("a2;");
        }
    }

    @Test
    void a_client_that_reconnected_but_stalls_is_evicted_half_a_window_later_neg() throws Exception {
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            first.createPool("tank");
            Target t = first.targets.createTarget("tank", "ost0", TargetRole.OST);
            t.connect("a");
            t.execute("a", xid(1), createLog());
            first.pool("tank").sync();
            await().atMost(WAIT).until(() -> t.lastCommitted() == 1);
            first.forceExport("tank");
        }
        try (TargetFixture second = new TargetFixture(dir, 1_000)) {
            long mounted = System.nanoTime();
            Target t = mounted(second);
            t.connect("a");
            // a reconnected but never replays nor says it is done
            await().atMost(WAIT).until(() -> t.state() == TargetState.ACTIVE);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - mounted)).isGreaterThanOrEqualTo(1_400);
            assertThat(t.recovery().endReason()).contains("timed out").contains("evicted [a]");
            assertThat(t.clients()).isEmpty();
        }
    }
}
