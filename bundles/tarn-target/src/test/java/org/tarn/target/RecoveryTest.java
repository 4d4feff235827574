package org.tarn.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.tarn.target.TargetFixture.append;
import static org.tarn.target.TargetFixture.createLog;
import static org.tarn.target.TargetFixture.id;
import static org.tarn.target.TargetFixture.text;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;

/**
 * Failover: a server force-exports a pool with uncommitted requests, a second
 * engine (another host) imports it from the same devices, and the target's
 * recovery window lets the known clients replay.
 */
class RecoveryTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static ErrorCode code(Throwable t) {
        return ((TarnException) t).code();
    }

    /** What the first server left behind. */
    private record Before(long log, long committed, long lastTransno) {
    }

    /** Request {@code xid} of a client whose every earlier request was answered. */
    static RequestContext xid(long xid) {
        return RequestContext.of(xid, xid - 1);
    }

    /**
     * Clients a, b, c on ost0: a and b have synced requests; then a and b each
     * send one more that is never synced, and the server force-exports.
     * Client a numbers its requests 1, 2, 3; b numbers its 1, 2.
     */
    private Before failingServer(TargetFixture first) throws Exception {
        first.createPool("tank");
        Target t = first.targets.createTarget("tank", "ost0", TargetRole.OST);
        t.connect("a");
        t.connect("b");
        t.connect("c");
        long log = id(t.execute("a", xid(1), createLog()));           // transno 1
        t.execute("a", xid(2), append(log, "a2"));                     // 2
        t.execute("b", xid(1), append(log, "b3"));                     // 3
        first.pool("tank").sync();
        await().atMost(WAIT).until(() -> t.lastCommitted() == 3);
        t.execute("a", xid(3), append(log, "a4"));                     // 4, never synced
        t.execute("b", xid(2), append(log, "b5"));                     // 5, never synced
        assertThat(t.lastTransno()).isEqualTo(5);
        first.engine.forceExport("tank");
        assertThat(t.state()).isEqualTo(TargetState.FAILED);
        assertThat(t.lastCommitted()).isEqualTo(3);
        return new Before(log, 3, 5);
    }

    private static Target mounted(TargetFixture fx) {
        fx.importPool("tank");
        await().atMost(WAIT).until(() -> fx.targets.target("tank", "ost0").isPresent());
        return fx.target("tank", "ost0");
    }

    @Test
    void failover_replays_uncommitted_once_answers_committed_from_records_and_evicts_the_missing_pos()
            throws Exception {
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            Before before = failingServer(first);
            long log = before.log();
            try (TargetFixture second = new TargetFixture(dir, 3_000)) {
                Target t = mounted(second);
                assertThat(t.state()).isEqualTo(TargetState.RECOVERING);
                assertThat(t.lastCommitted()).isEqualTo(before.committed());
                assertThat(t.lastTransno()).isEqualTo(3);
                assertThat(t.clients()).containsExactly("a", "b", "c");
                assertThat(t.recovery().phase()).isEqualTo(RecoveryStatus.Phase.RECOVERING);
                assertThat(t.recovery().knownClients()).isEqualTo(3);
                assertThat(t.recovery().remainingMillis()).isPositive();
                // what survived is the synced part only
                assertThat(TargetFixture.log(t, log)).isEqualTo("a2;b3;");

                // new clients and new requests wait for the end of recovery
                assertThatThrownBy(() -> t.connect("d")).hasMessageContaining("recovering")
                        .extracting(RecoveryTest::code).isEqualTo(ErrorCode.RECOVERING);
                assertThatThrownBy(() -> t.execute("a", append(log, "new")))
                        .extracting(RecoveryTest::code).isEqualTo(ErrorCode.RECOVERING);

                ConnectReply a = t.connect("a");
                assertThat(a.recovering()).isTrue();
                assertThat(a.lastCommitted()).isEqualTo(3);
                assertThat(a.clientLastTransno()).isEqualTo(2);
                AtomicInteger executions = new AtomicInteger();
                // committed requests are answered from the record, never executed again
                Reply r1 = t.replay("a", 1, data -> {
                    executions.incrementAndGet();
                    return createLog().apply(data);
                });
                assertThat(r1.kind()).isEqualTo(Reply.Kind.REPLY_NOT_KEPT);
                Reply r2 = t.replay("a", 2, xid(2), data -> {
                    executions.incrementAndGet();
                    return append(log, "a2").apply(data);
                });
                assertThat(r2.kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
                assertThat(text(r2)).isEqualTo("a2");
                assertThat(executions).hasValue(0);
                // the lost request is executed once, under its original number
                Reply r4 = t.replay("a", 4, xid(3), append(log, "a4"));
                assertThat(r4.kind()).isEqualTo(Reply.Kind.EXECUTED);
                assertThat(r4.transno()).isEqualTo(4);
                assertThat(text(r4)).isEqualTo("a4");
                // nothing synced since the mount
                assertThat(r4.lastCommitted()).isEqualTo(3);
                Reply again = t.replay("a", 4, xid(3), append(log, "a4"));
                assertThat(again.kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
                t.replayDone("a");
                assertThat(t.recovery().completedClients()).isEqualTo(1);

                assertThat(t.connect("b").clientLastTransno()).isEqualTo(3);
                assertThat(t.replay("b", 3, xid(1), append(log, "b3")).kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
                assertThat(t.replay("b", 5, xid(2), append(log, "b5")).kind()).isEqualTo(Reply.Kind.EXECUTED);
                t.replayDone("b");
                assertThat(t.state()).isEqualTo(TargetState.RECOVERING);

                // c never comes back: the window times out and evicts it
                await().atMost(WAIT).until(() -> t.state() == TargetState.ACTIVE);
                RecoveryStatus r = t.recovery();
                assertThat(r.phase()).isEqualTo(RecoveryStatus.Phase.COMPLETE);
                assertThat(r.endReason()).contains("timed out").contains("evicted [c]");
                assertThat(r.evictedClients()).isEqualTo(1);
                assertThat(r.replayedRequests()).isEqualTo(2);
                assertThat(r.reconstructedReplies()).isEqualTo(4);
                assertThat(r.remainingMillis()).isZero();
                assertThat(t.clients()).containsExactly("a", "b");
                assertThatThrownBy(() -> t.execute("c", append(log, "c")))
                        .hasMessageContaining("evicted").extracting(RecoveryTest::code).isEqualTo(ErrorCode.EVICTED);

                // every request executed exactly once, in the order the clients sent them
                assertThat(TargetFixture.log(t, log)).isEqualTo("a2;b3;a4;b5;");
                // after the window, numbering carries on past the replays, and they commit with the next sync
                assertThat(t.connect("d").clientLastTransno()).isZero();
                Reply d6 = t.execute("d", append(log, "d6"));
                assertThat(d6.transno()).isEqualTo(6);
                second.pool("tank").sync();
                await().atMost(WAIT).until(() -> t.lastCommitted() == 6);
                // the evicted client may come back as a new one
                assertThat(t.connect("c").clientLastTransno()).isZero();
            }
        }
    }

    @Test
    void recovery_ends_early_when_every_known_client_finished_pos() throws Exception {
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            Before before = failingServer(first);
            try (TargetFixture second = new TargetFixture(dir, 600_000)) {
                Target t = mounted(second);
                t.connect("a");
                t.replay("a", 4, append(before.log(), "a4"));
                t.replayDone("a");
                t.connect("b");
                t.replayDone("b");
                // b did not replay 5: it chose not to; c leaves cleanly
                t.disconnect("c");
                assertThat(t.state()).isEqualTo(TargetState.ACTIVE);
                assertThat(t.recovery().endReason()).contains("finished replay");
                assertThat(t.recovery().evictedClients()).isZero();
                assertThat(t.execute("b", append(before.log(), "b6")).transno()).isEqualTo(5);
                assertThat(TargetFixture.log(t, before.log())).isEqualTo("a2;b3;a4;b6;");
            }
        }
    }

    @Test
    void abort_recovery_evicts_every_client_that_has_not_finished_pos() throws Exception {
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            failingServer(first);
            try (TargetFixture second = new TargetFixture(dir, 600_000)) {
                Target t = mounted(second);
                t.connect("a");
                t.replayDone("a");
                t.connect("b");
                assertThat(t.recovery().connectedClients()).isEqualTo(2);
                assertThat(t.abortRecovery()).contains("aborted").contains("evicted [b, c]");
                assertThat(t.state()).isEqualTo(TargetState.ACTIVE);
                assertThat(t.clients()).containsExactly("a");
                assertThatThrownBy(() -> t.replay("b", 5, createLog()))
                        .extracting(RecoveryTest::code).isEqualTo(ErrorCode.EVICTED);
            }
        }
    }

    @Test
    void replays_that_do_not_fit_the_records_are_refused_neg() throws Exception {
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            failingServer(first);
            try (TargetFixture second = new TargetFixture(dir, 600_000)) {
                Target t = mounted(second);
                // not reconnected yet
                assertThatThrownBy(() -> t.replayDone("a")).hasMessageContaining("not reconnected")
                        .extracting(RecoveryTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                t.connect("c");
                // c's record says 0, but transno 2 is committed: it was never c's
                assertThatThrownBy(() -> t.replay("c", 2, createLog())).hasMessageContaining("never executed")
                        .extracting(RecoveryTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                t.replayDone("c");
                assertThatThrownBy(() -> t.replay("c", 9, createLog())).hasMessageContaining("already finished")
                        .extracting(RecoveryTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThatThrownBy(() -> t.replay("zed", 9, createLog()))
                        .extracting(RecoveryTest::code).isEqualTo(ErrorCode.RECOVERING);
                assertThat(t.lastTransno()).isEqualTo(3);
            }
        }
    }
}
