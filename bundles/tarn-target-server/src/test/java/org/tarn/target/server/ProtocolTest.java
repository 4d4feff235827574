package org.tarn.target.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.Reply;
import org.tarn.target.protocol.Message;
import org.tarn.target.protocol.TargetOp;
import org.tarn.target.protocol.WireFormat;

/** The server side of the target protocol over real sockets: what it serves and what it refuses. */
class ProtocolTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private ServerFixture fx;

    @AfterEach
    void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    private ServerFixture start(TargetServerSettings s) throws IOException {
        fx = new ServerFixture(dir, s, 60_000).withTarget();
        return fx;
    }

    private static long longOf(Message.Response r) {
        return TargetOp.decodeLong(r.data());
    }

    @Test
    void a_client_creates_writes_reads_and_syncs_with_many_requests_in_flight_pos() throws Exception {
        start(TargetServerSettings.defaults());
        try (RawClient c = RawClient.ready(fx.server.address(), "c1", null, "ost0")) {
            assertThat(c.challenge.server()).isEqualTo("test-server");
            c.send(new Message.Request(1, 0, 5000, new TargetOp.CreateObject()));
            Message.Response created = (Message.Response) c.read();
            assertThat(created.ok()).isTrue();
            assertThat(created.transno()).isEqualTo(1);
            long obj = longOf(created);
            // 100 writes at once, answered in any order, each with its own transaction number
            int n = 100;
            for (int i = 0; i < n; i++) {
                byte[] b = ("block-" + i).getBytes(StandardCharsets.UTF_8);
                c.send(new Message.Request(2 + i, 1, 0, new TargetOp.Write(obj, i * 16L, b)));
            }
            Set<Long> tags = new HashSet<>();
            Set<Long> transnos = new HashSet<>();
            for (int i = 0; i < n; i++) {
                Message.Response r = (Message.Response) c.read();
                assertThat(r.ok()).as("%s", r).isTrue();
                tags.add(r.tag());
                transnos.add(r.transno());
            }
            assertThat(tags).hasSize(n);
            assertThat(transnos).hasSize(n).allMatch(t -> t >= 2 && t <= n + 1);
            c.send(new Message.Request(200, 101, 0, new TargetOp.Read(obj, 16 * 42, 8)));
            Message.Response read = (Message.Response) c.read();
            assertThat(new String(read.data(), StandardCharsets.UTF_8)).isEqualTo("block-42");
            assertThat(read.transno()).isZero();
            // nothing committed yet (txgs sync only when asked); a sync commits everything
            c.send(new Message.Ping(-2));
            assertThat(((Message.Response) c.read()).lastCommitted()).isZero();
            c.send(new Message.Sync(-3, 10_000));
            assertThat(((Message.Response) c.read()).lastCommitted()).isEqualTo(n + 1);
            // a resend of an answered xid is answered from the record
            c.send(new Message.Request(2, 1, 0, new TargetOp.Write(obj, 0, new byte[] {9})));
            Message.Response again = (Message.Response) c.read();
            assertThat(again.kind()).isEqualTo(Reply.Kind.RECONSTRUCTED.ordinal());
            assertThat(fx.targets.target("tank", "ost0").orElseThrow().lastTransno()).isEqualTo(n + 1);
        }
        await().atMost(WAIT).until(() -> fx.server.connections() == 0);
        assertThat(fx.server.requestsAnswered()).isGreaterThan(100);
    }

    @Test
    void unknown_targets_and_out_of_order_messages_are_refused_neg() throws Exception {
        start(TargetServerSettings.defaults());
        try (RawClient c = new RawClient(fx.server.address())) {
            // a request before the hello ends the connection
            c.send(new Message.Ping(-1));
            Message.Response r = (Message.Response) c.read();
            assertThat(r.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT.number());
            assertThat(r.message()).contains("first message must be a Hello");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient c = new RawClient(fx.server.address())) {
            c.hello("c1", null);
            assertThat(((Message.Response) c.read()).ok()).isTrue();
            c.send(new Message.Request(1, 0, 0, new TargetOp.CreateObject()));
            Message.Response early = (Message.Response) c.read();
            assertThat(early.message()).contains("before connecting");
            c.send(new Message.Connect(-1, "nosuch"));
            Message.Response unknown = (Message.Response) c.read();
            assertThat(unknown.code()).isEqualTo(ErrorCode.NOT_FOUND.number());
            assertThat(unknown.message()).contains("no target 'nosuch'").contains("tank/ost0").contains("partners");
            // the connection is still good
            c.send(new Message.Connect(-2, "tank/ost0"));
            assertThat(c.read()).isInstanceOf(Message.Connected.class);
            // a missing object is the request's own error, not the connection's
            c.send(new Message.Request(1, 0, 0, new TargetOp.Read(999, 0, 1)));
            assertThat(((Message.Response) c.read()).code()).isEqualTo(ErrorCode.NOT_FOUND.number());
        }
    }

    @Test
    void bad_and_oversize_frames_close_the_connection_with_a_reason_neg() throws Exception {
        start(TargetServerSettings.defaults().withMaxFrameBytes(64 << 10));
        try (RawClient c = RawClient.ready(fx.server.address(), "c1", null, "ost0")) {
            c.sendRaw(3, new byte[] {(byte) 200, 1, 2});
            Message.Response r = (Message.Response) c.read();
            assertThat(r.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT.number());
            assertThat(r.message()).contains("malformed").contains("unknown message type 200");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient c = RawClient.ready(fx.server.address(), "c2", null, "ost0")) {
            // the length alone is refused: the server does not wait for a megabyte it will not take
            c.sendRaw(1 << 20, new byte[16]);
            Message.Response r = (Message.Response) c.read();
            assertThat(r.message()).contains("frame").contains("65536");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient c = RawClient.ready(fx.server.address(), "c3", null, "ost0")) {
            ByteBuffer cut = WireFormat.encode(new Message.Request(1, 0, 0, new TargetOp.Read(5, 0, 1)));
            byte[] body = new byte[cut.remaining() - 4];
            cut.get(body);
            c.sendRaw(body.length, body);
            assertThat(((Message.Response) c.read()).message()).contains("ends inside a field");
            assertThat(c.closedByServer()).isTrue();
        }
        // the server still serves others
        try (RawClient c = RawClient.ready(fx.server.address(), "c4", null, "ost0")) {
            c.send(new Message.Ping(-9));
            assertThat(((Message.Response) c.read()).ok()).isTrue();
        }
    }

    @Test
    void a_wrong_shared_secret_is_refused_and_the_right_one_accepted_neg() throws Exception {
        byte[] secret = "correct horse".getBytes(StandardCharsets.UTF_8);
        start(TargetServerSettings.defaults().withSecret(secret));
        try (RawClient c = new RawClient(fx.server.address())) {
            c.hello("mallory", "guess".getBytes(StandardCharsets.UTF_8));
            Message.Response r = (Message.Response) c.read();
            assertThat(r.code()).isEqualTo(ErrorCode.ACCESS_DENIED.number());
            assertThat(r.message()).contains(ErrorCode.ACCESS_DENIED.tag()).contains("shared secret");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient c = new RawClient(fx.server.address())) {
            c.hello("nosecret", null);
            assertThat(((Message.Response) c.read()).code()).isEqualTo(ErrorCode.ACCESS_DENIED.number());
        }
        try (RawClient c = RawClient.ready(fx.server.address(), "alice", secret, "ost0")) {
            c.send(new Message.Ping(-1));
            assertThat(((Message.Response) c.read()).ok()).isTrue();
        }
        assertThatThrownBy(() -> TargetServerSettings.defaults().withSecret(new byte[0]))
                .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void a_silent_or_vanished_client_is_dropped_and_its_requests_still_complete_neg() throws Exception {
        start(TargetServerSettings.defaults().withIdleTimeoutMillis(500));
        long obj;
        try (RawClient c = RawClient.ready(fx.server.address(), "c1", null, "ost0")) {
            c.send(new Message.Request(1, 0, 0, new TargetOp.CreateObject()));
            obj = longOf((Message.Response) c.read());
            // half a frame, then silence: the idle timer closes the connection
            c.sendRaw(100, new byte[10]);
            assertThat(c.closedByServer()).isTrue();
        }
        await().atMost(WAIT).until(() -> fx.server.connections() == 0);
        // a client that sends a change and vanishes at once: the change still runs, once
        RawClient gone = RawClient.ready(fx.server.address(), "c1", null, "ost0");
        gone.send(new Message.Request(2, 1, 0, new TargetOp.Write(obj, 0, "kept".getBytes(StandardCharsets.UTF_8))));
        gone.close();
        await().atMost(WAIT).until(() -> fx.targets.target("tank", "ost0").orElseThrow().lastTransno() == 2);
        try (RawClient c = RawClient.ready(fx.server.address(), "c1", null, "ost0")) {
            // its resend is answered from the record
            c.send(new Message.Request(2, 1, 0, new TargetOp.Write(obj, 0, "kept".getBytes(StandardCharsets.UTF_8))));
            Message.Response r = (Message.Response) c.read();
            assertThat(r.kind()).isEqualTo(Reply.Kind.RECONSTRUCTED.ordinal());
            assertThat(r.transno()).isEqualTo(2);
        }
    }

    @Test
    void a_client_that_does_not_read_is_throttled_while_others_are_served_neg() throws Exception {
        start(TargetServerSettings.defaults());
        try (RawClient slow = RawClient.ready(fx.server.address(), "slow", null, "ost0");
             RawClient other = RawClient.ready(fx.server.address(), "other", null, "ost0")) {
            slow.send(new Message.Request(1, 0, 0, new TargetOp.CreateObject()));
            long obj = longOf((Message.Response) slow.read());
            slow.send(new Message.Request(2, 1, 0, new TargetOp.Write(obj, 0, new byte[1 << 20])));
            assertThat(((Message.Response) slow.read()).ok()).isTrue();
            // ask for 50 GiB of reads (window-sized batches of xids, as a client would) and never read the answers
            long answeredBefore = fx.server.requestsAnswered();
            Thread flood = new Thread(() -> {
                try {
                    for (long x = 3; x < 3 + 50_000; x++) {
                        slow.send(new Message.Request(x, x - 200 > 2 ? x - 200 : 2, 0, new TargetOp.Read(obj, 0,
                                1 << 20)));
                    }
                } catch (IOException e) {
                    // the socket buffers filled up: the server stopped reading, as it should
                }
            });
            flood.setDaemon(true);
            flood.start();
            // while the flood stalls, the other client is answered promptly
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                other.send(new Message.Ping(-1 - i));
                assertThat(((Message.Response) other.read()).ok()).isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            }
            // the server answered a bounded number of them (its in-flight limits, its outgoing buffer), not 50,000
            long[] last = {-1};
            await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
                long now = fx.server.requestsAnswered();
                boolean stable = now == last[0];
                last[0] = now;
                return stable;
            });
            assertThat(last[0] - answeredBefore).isBetween(1L, 5_000L);
            flood.interrupt();
        }
    }
}
