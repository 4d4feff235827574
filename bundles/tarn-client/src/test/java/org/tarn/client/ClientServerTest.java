package org.tarn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.ObjectAttributes;
import org.tarn.target.Target;

/** The client library against real target servers: operations, a server restart, a failover between two hosts. */
class ClientServerTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static ClientSettings settings(String... servers) {
        return ClientSettings.of("ost0", List.of(servers)).withLiveness(200, 2_000).withBackoff(20, 200)
                .withGiveUpMillis(60_000);
    }

    private static byte[] record(long seq) {
        return ByteBuffer.allocate(64).putLong(seq).putLong(~seq).array();
    }

    private static ErrorCode code(Throwable e) {
        Throwable t = e instanceof ExecutionException ? e.getCause() : e;
        return ((TarnException) t).code();
    }

    @Test
    void every_operation_through_the_client_pos() throws Exception {
        try (Node a = new Node("hostA", dir, 60_000).createTarget();
             TargetClient c = TargetClients.connect(settings(a.address()))) {
            long obj = c.createObject().get();
            assertThat(c.write(obj, 0, "hello".getBytes(StandardCharsets.UTF_8)).get()).isEqualTo(5);
            assertThat(new String(c.read(obj, 0, 10).get(), StandardCharsets.UTF_8)).isEqualTo("hello");
            c.punch(obj, 1, 3).get();
            assertThat(c.read(obj, 0, 5).get()).isEqualTo(new byte[] {'h', 0, 0, 0, 'o'});
            c.setAttributes(obj, ObjectAttributes.UID | ObjectAttributes.MTIME, ObjectAttributes.of(77, 0, 0, 500, 0, 0))
                    .get();
            ObjectAttributes attrs = c.getAttributes(obj).get();
            assertThat(attrs.uid()).isEqualTo(500);
            assertThat(attrs.mtimeMillis()).isEqualTo(77);
            assertThat(attrs.sizeBytes()).isEqualTo(5);
            assertThat(c.statfs().get()).isEqualTo(1);
            assertThat(c.stats().kept()).isPositive();
            // the target's refusals reach the caller with their code; nothing else is disturbed
            assertThatThrownBy(() -> c.read(12345, 0, 1).get()).satisfies(e -> assertThat(code(e))
                    .isEqualTo(ErrorCode.NOT_FOUND)).hasMessageContaining("does not exist");
            long committed = c.sync().get(30, TimeUnit.SECONDS);
            assertThat(committed).isEqualTo(a.targets.target("tank", "ost0").orElseThrow().lastTransno());
            // once committed, nothing is kept for replay
            assertThat(c.stats().kept()).isZero();
            c.delete(obj).get();
            assertThat(c.statfs().get()).isZero();
            assertThat(c.stats().server()).isEqualTo("hostA");
        }
    }

    @Test
    void a_server_restart_mid_request_loses_nothing_and_runs_nothing_twice_pos() throws Exception {
        try (Node a = new Node("hostA", dir, 60_000).createTarget();
             TargetClient c = TargetClients.connect(settings(a.address()))) {
            long obj = c.createObject().get();
            List<CompletableFuture<Long>> writes = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                writes.add(c.write(obj, i * 64L, record(i)));
                if (i == 200) {
                    a.restartServer();
                }
            }
            for (CompletableFuture<Long> w : writes) {
                w.get(60, TimeUnit.SECONDS);
            }
            Target t = a.targets.target("tank", "ost0").orElseThrow();
            // 1 create + 400 writes, each executed once whatever was resent
            assertThat(t.lastTransno()).isEqualTo(401);
            for (int i = 0; i < 400; i += 37) {
                assertThat(c.read(obj, i * 64L, 64).get()).isEqualTo(record(i));
            }
            assertThat(c.stats().connects()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void failover_to_a_partner_replays_uncommitted_writes_and_loses_none_pos() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        try (Node a = new Node("hostA", shared, 60_000).createTarget();
             Node b = new Node("hostB", shared, 10_000);
             TargetClient c = TargetClients.connect(settings(a.address(), b.address()))) {
            long obj = c.createObject().get();
            for (int i = 0; i < 50; i++) {
                c.write(obj, i * 64L, record(i)).get();
            }
            c.sync().get(30, TimeUnit.SECONDS);
            // 50 more answered, never committed: the client keeps them
            for (int i = 50; i < 100; i++) {
                c.write(obj, i * 64L, record(i)).get();
            }
            assertThat(c.stats().kept()).isEqualTo(50);
            // and more in flight while host A fails
            List<CompletableFuture<Long>> inFlight = new ArrayList<>();
            for (int i = 100; i < 150; i++) {
                inFlight.add(c.write(obj, i * 64L, record(i)));
            }
            a.forceExport();
            b.importPool();
            for (CompletableFuture<Long> w : inFlight) {
                w.get(60, TimeUnit.SECONDS);
            }
            await().atMost(WAIT).until(() -> c.stats().server().equals("hostB"));
            Target t = b.targets.target("tank", "ost0").orElseThrow();
            await().atMost(WAIT).until(() -> t.recovery().phase() != org.tarn.target.RecoveryStatus.Phase.RECOVERING);
            assertThat(t.recovery().endReason()).contains("finished replay");
            assertThat(c.stats().failovers()).isEqualTo(1);
            assertThat(c.stats().replays()).isGreaterThanOrEqualTo(50);
            for (int i = 0; i < 150; i++) {
                assertThat(c.read(obj, i * 64L, 64).get()).as("record %d", i).isEqualTo(record(i));
            }
            // every change ran exactly once: 1 create + 150 writes
            assertThat(t.lastTransno()).isEqualTo(151);
            assertThat(c.stats().lost()).isZero();
        }
    }

    @Test
    void no_server_of_the_target_fails_the_connect_with_a_clear_error_neg() throws Exception {
        try (Node a = new Node("hostA", dir, 60_000)) {
            // a server without the target, and a port nobody listens on
            ClientSettings s = settings(a.address(), "127.0.0.1:1").withGiveUpMillis(1_500);
            assertThatThrownBy(() -> TargetClients.connect(s)).satisfies(e -> assertThat(code(e))
                    .isEqualTo(ErrorCode.TIMED_OUT)).hasMessageContaining("ost0").hasMessageContaining("127.0.0.1:1");
        }
    }
}
