package org.tarn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tarn.target.Reply;
import org.tarn.target.protocol.TargetOp;

/**
 * The client's side of recovery, against a fake server that drops answers,
 * closes connections and crashes on command: what it keeps, what it replays
 * and in which order, what it resends, and that nothing runs twice.
 */
class ReplayContractTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<AutoCloseable> closeMe = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closeMe) {
            c.close();
        }
    }

    private FakeServer fake() throws IOException {
        FakeServer f = new FakeServer();
        closeMe.add(f);
        return f;
    }

    private TargetClient client(ClientSettings s) {
        TargetClient c = TargetClients.connect(s);
        closeMe.add(0, c);
        return c;
    }

    private static ClientSettings settings(String... servers) {
        return ClientSettings.of("ost0", List.of(servers)).withClientId("c1").withLiveness(100, 1_000)
                .withBackoff(10, 100).withGiveUpMillis(20_000);
    }

    private static TargetOp write(long i) {
        return new TargetOp.Write(5, i * 8, new byte[8]);
    }

    /** The xids the fake executed, with how many times each. */
    private static java.util.Map<Long, Long> counts(List<Long> executions) {
        return executions.stream().collect(Collectors.groupingBy(x -> x, Collectors.counting()));
    }

    @Test
    void after_a_crash_the_client_replays_in_transno_order_then_resends_what_got_no_answer_pos() throws Exception {
        FakeServer f = fake();
        TargetClient c = client(settings(f.address()));
        List<CompletableFuture<Result>> answered = new ArrayList<>();
        for (long i = 1; i <= 10; i++) {
            answered.add(c.submit(write(i)));
        }
        for (CompletableFuture<Result> r : answered) {
            r.get(10, TimeUnit.SECONDS);
        }
        assertThat(c.stats().kept()).isEqualTo(10);
        // xids 11 and 12 run but their answers are lost; 13 never runs before the crash
        f.dropAnswerOf(11);
        f.dropAnswerOf(12);
        f.hold(13);
        CompletableFuture<Result> r11 = c.submit(write(11));
        CompletableFuture<Result> r12 = c.submit(write(12));
        CompletableFuture<Result> r13 = c.submit(write(13));
        await().atMost(WAIT).until(() -> f.arrivals.contains("Q13"));
        f.commitUpTo(4);
        f.arrivals.clear();
        f.crash(false);

        assertThat(r13.get(30, TimeUnit.SECONDS).kind()).isEqualTo(Reply.Kind.EXECUTED);
        assertThat(r11.get(1, TimeUnit.SECONDS).transno()).isPositive();
        r12.get(1, TimeUnit.SECONDS);
        // replays of the answered, uncommitted ones in transno order, then replay-done, then the resends
        List<String> order = f.arrivals.stream().filter(a -> !a.equals("C")).toList();
        assertThat(order).containsExactly("R5", "R6", "R7", "R8", "R9", "R10", "D", "Q11", "Q12", "Q13");
        // every request ran exactly once in what survived
        assertThat(counts(f.executions())).hasSize(13).allSatisfy((xid, n) -> assertThat(n).isEqualTo(1));
        assertThat(c.stats().replays()).isEqualTo(6);
        assertThat(c.stats().resends()).isEqualTo(3);
    }

    @Test
    void a_lost_answer_is_resent_and_answered_from_the_record_not_run_again_pos() throws Exception {
        FakeServer f = fake();
        TargetClient c = client(settings(f.address()));
        c.submit(write(1)).get(10, TimeUnit.SECONDS);
        f.dropAnswerOf(2);
        f.closeAfterExecuting(3);
        CompletableFuture<Result> r2 = c.submit(write(2));
        CompletableFuture<Result> r3 = c.submit(write(3));
        // the connection closes after 3 ran: the client reconnects to the same server and resends both
        assertThat(r2.get(30, TimeUnit.SECONDS).kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
        assertThat(r3.get(30, TimeUnit.SECONDS).kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
        assertThat(r2.get().sends()).isEqualTo(2);
        assertThat(counts(f.executions())).containsOnlyKeys(1L, 2L, 3L).allSatisfy((x, n) -> assertThat(n).isEqualTo(1));
        assertThat(c.stats().connects()).isEqualTo(2);
    }

    @Test
    void answered_changes_are_kept_until_last_committed_covers_them_pos() throws Exception {
        FakeServer f = fake();
        TargetClient c = client(settings(f.address()));
        for (long i = 1; i <= 5; i++) {
            c.submit(write(i)).get(10, TimeUnit.SECONDS);
        }
        // reads are never kept
        c.submit(new TargetOp.Read(5, 0, 8)).get(10, TimeUnit.SECONDS);
        assertThat(c.stats().kept()).isEqualTo(5);
        f.commitUpTo(3);
        // pings bring the new last_committed even with nothing else going on
        await().atMost(WAIT).until(() -> c.stats().kept() == 2);
        assertThat(c.lastCommitted()).isEqualTo(3);
        assertThat(c.sync().get(10, TimeUnit.SECONDS)).isEqualTo(5);
        assertThat(c.stats().kept()).isZero();
    }

    @Test
    void no_more_than_the_window_is_outstanding_beyond_the_oldest_unanswered_request_pos() throws Exception {
        FakeServer f = fake();
        TargetClient c = client(settings(f.address()).withWindow(8));
        f.hold(1);
        List<CompletableFuture<Result>> all = new ArrayList<>();
        for (long i = 1; i <= 20; i++) {
            all.add(c.submit(write(i)));
        }
        await().atMost(WAIT).until(() -> f.arrivals.contains("Q9") || f.arrivals.size() >= 8);
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !f.arrivals.contains("Q10"));
        assertThat(f.arrivals.stream().filter(a -> a.startsWith("Q")).toList())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 8).mapToObj(x -> "Q" + x).toList());
        f.release(1);
        for (CompletableFuture<Result> r : all) {
            r.get(10, TimeUnit.SECONDS);
        }
        assertThat(f.executions()).hasSize(20);
    }

    @Test
    void the_partners_are_tried_in_order_with_growing_pauses_until_one_serves_the_target_pos() throws Exception {
        // a partner that accepts and hangs up at once, recording when
        List<Long> attempts = new CopyOnWriteArrayList<>();
        ServerSocket flaky = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeMe.add(flaky);
        Thread t = new Thread(() -> {
            while (!flaky.isClosed()) {
                try (Socket s = flaky.accept()) {
                    attempts.add(System.nanoTime());
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        FakeServer f = fake();
        f.serving(false);
        TargetClient c = TargetClients.start(settings("127.0.0.1:" + flaky.getLocalPort(), f.address())
                .withBackoff(20, 320));
        closeMe.add(0, c);
        CompletableFuture<Result> r = c.submit(write(1));
        await().atMost(WAIT).until(() -> attempts.size() >= 6);
        f.serving(true);
        assertThat(r.get(30, TimeUnit.SECONDS).server()).isEqualTo("fake");
        // pauses between rounds double, up to the maximum
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < 6; i++) {
            gaps.add(TimeUnit.NANOSECONDS.toMillis(attempts.get(i) - attempts.get(i - 1)));
        }
        assertThat(gaps.get(4)).isGreaterThanOrEqualTo(gaps.get(0));
        assertThat(gaps.get(4)).isBetween(150L, 2_000L);
    }

    @Test
    void a_target_that_recovered_without_the_client_makes_it_count_its_kept_answers_lost_neg() throws Exception {
        FakeServer f = fake();
        TargetClient c = client(settings(f.address()));
        for (long i = 1; i <= 4; i++) {
            c.submit(write(i)).get(10, TimeUnit.SECONDS);
        }
        f.commitUpTo(1);
        f.crash(true);
        // it goes on as a new client: new requests work, the three answered but uncommitted ones are reported lost
        assertThat(c.submit(write(5)).get(30, TimeUnit.SECONDS).kind()).isEqualTo(Reply.Kind.EXECUTED);
        assertThat(c.stats().lost()).isEqualTo(3);
        assertThat(f.arrivals.stream().filter(a -> a.startsWith("R")).toList()).isEmpty();
    }
}
