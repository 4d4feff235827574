package org.tarn.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.tarn.target.RecoveryTest.xid;
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

/** Numbered requests run at most once: resends are answered from the reply records, here and after a failover. */
class ExactlyOnceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static ErrorCode code(Throwable t) {
        return ((TarnException) t).code();
    }

    @Test
    void a_resent_request_is_answered_from_its_record_and_not_run_again_pos() throws Exception {
        try (TargetFixture fx = new TargetFixture(dir, 60_000)) {
            fx.createPool("tank");
            Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
            t.connect("a");
            long log = id(t.execute("a", xid(1), createLog()));
            AtomicInteger runs = new AtomicInteger();
            TargetUpdate once = data -> {
                runs.incrementAndGet();
                return append(log, "x").apply(data);
            };
            Reply first = t.execute("a", RequestContext.of(2, 1), once);
            // the reply was lost: the client resends the same xid, possibly with several more in flight
            Reply again = t.execute("a", RequestContext.of(2, 1), once);
            assertThat(again.kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
            assertThat(again.transno()).isEqualTo(first.transno());
            assertThat(text(again)).isEqualTo("x");
            assertThat(runs).hasValue(1);
            assertThat(TargetFixture.log(t, log)).isEqualTo("x;");
            // the next request says the client saw the reply of 2: that record may go
            t.execute("a", RequestContext.of(3, 2), append(log, "y"));
            assertThat(t.lastTransno()).isEqualTo(3);
        }
    }

    @Test
    void after_a_failover_resends_find_the_committed_records_and_run_the_lost_ones_pos() throws Exception {
        long log;
        try (TargetFixture first = new TargetFixture(dir, 60_000)) {
            first.createPool("tank");
            Target t = first.targets.createTarget("tank", "ost0", TargetRole.OST);
            t.connect("a");
            log = id(t.execute("a", xid(1), createLog()));
            t.execute("a", RequestContext.of(2, 1), append(log, "x"));         // committed, reply "lost"
            first.pool("tank").sync();
            await().atMost(WAIT).until(() -> t.lastCommitted() == 2);
            t.execute("a", RequestContext.of(3, 1), append(log, "y"));         // never committed, reply "lost"
            first.forceExport("tank");
        }
        try (TargetFixture second = new TargetFixture(dir, 60_000)) {
            second.importPool("tank");
            await().atMost(WAIT).until(() -> second.targets.target("tank", "ost0").isPresent());
            Target t = second.target("tank", "ost0");
            assertThat(t.state()).isEqualTo(TargetState.RECOVERING);
            t.connect("a");
            // an executed request is answered even during the window; a lost one must wait for its end
            Reply x = t.execute("a", RequestContext.of(2, 1), append(log, "x"));
            assertThat(x.kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
            assertThat(x.transno()).isEqualTo(2);
            assertThatThrownBy(() -> t.execute("a", RequestContext.of(3, 1), append(log, "y")))
                    .extracting(ExactlyOnceTest::code).isEqualTo(ErrorCode.RECOVERING);
            t.replayDone("a");
            assertThat(t.state()).isEqualTo(TargetState.ACTIVE);
            Reply y = t.execute("a", RequestContext.of(3, 1), append(log, "y"));
            assertThat(y.kind()).isEqualTo(Reply.Kind.EXECUTED);
            assertThat(y.transno()).isEqualTo(3);
            assertThat(TargetFixture.log(t, log)).isEqualTo("x;y;");
        }
    }

    @Test
    void requests_past_the_window_or_their_deadline_are_refused_and_not_run_neg() throws Exception {
        try (TargetFixture fx = new TargetFixture(dir, 60_000)) {
            fx.createPool("tank");
            Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
            t.connect("a");
            long log = id(t.execute("a", xid(1), createLog()));
            long far = 1 + TargetSettings.REPLY_RECORDS_PER_CLIENT + 1;
            assertThatThrownBy(() -> t.execute("a", RequestContext.of(far, 1), append(log, "far")))
                    .hasMessageContaining("outstanding").extracting(ExactlyOnceTest::code)
                    .isEqualTo(ErrorCode.INVALID_ARGUMENT);
            RequestContext late = new RequestContext(2, 1, System.nanoTime() - 1);
            assertThatThrownBy(() -> t.execute("a", late, append(log, "late")))
                    .hasMessageContaining("not executed").extracting(ExactlyOnceTest::code)
                    .isEqualTo(ErrorCode.TIMED_OUT);
            assertThatThrownBy(() -> RequestContext.of(3, 3)).extracting(ExactlyOnceTest::code)
                    .isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(t.lastTransno()).isEqualTo(1);
            assertThat(TargetFixture.log(t, log)).isEmpty();
            // the refused xid was not recorded: it runs when sent again in time
            assertThat(t.execute("a", RequestContext.of(2, 1), append(log, "now")).kind())
                    .isEqualTo(Reply.Kind.EXECUTED);
        }
    }
}
