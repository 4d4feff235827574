package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.GatedVdevDriver;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;

/**
 * A write the pool gave up on may still land: the space it targets is not
 * handed out again until it has returned, so it can never overwrite a block
 * written since.
 */
class QuarantineTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static void overwrite(Pool pool, Dataset ds, long obj, byte[] data) {
        try (Transaction tx = pool.begin()) {
            ds.write(tx, obj, 0, ByteBuffer.wrap(data));
        }
        pool.sync();
    }

    @Test
    void the_target_of_a_write_given_up_on_is_not_reused_until_it_returns_neg() throws Exception {
        String file = TestPools.devices(dir, 1, 32L * 1024 * 1024).get(0);
        GatedVdevDriver gated = new GatedVdevDriver();
        Random rnd = new Random(11);
        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(1000),
                List.of(gated))) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(GatedVdevDriver.PREFIX + file),
                    Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000", PoolProperty.FAILMODE, "continue"), false);
            pool.createDataset("a");
            try (Dataset ds = pool.openDataset("a")) {
                long obj;
                long filler;
                byte[] data = TestPools.randomBytes(rnd, 256 * 1024).array();
                try (Transaction tx = pool.begin()) {
                    obj = ds.createObject(tx);
                    filler = ds.createObject(tx);
                }
                pool.sync();

                // the next sync's first data write never returns within the I/O timeout: the sync fails
                gated.closeBeforeNextDataWrite();
                try (Transaction tx = pool.begin()) {
                    ds.write(tx, obj, 0, ByteBuffer.wrap(data));
                }
                CompletableFuture<Void> failed = CompletableFuture.runAsync(pool::sync);
                await().atMost(WAIT).until(() -> pool.state() == PoolState.SUSPENDED);
                failed.handle((v, e) -> null).join();
                GatedVdevDriver.Write stuck = gated.blocked().orElseThrow();

                // cleared, the group syncs elsewhere, and the pool is churned through several times over
                pool.clear();
                await().atMost(WAIT).until(() -> pool.state() == PoolState.ACTIVE);
                int before = gated.writes().size();
                for (int i = 0; i < 60; i++) {
                    overwrite(pool, ds, filler, TestPools.randomBytes(rnd, 1024 * 1024).array());
                }
                List<GatedVdevDriver.Write> since = gated.writes().subList(before, gated.writes().size());
                assertThat(since).as("writes while the stuck one could still land").noneMatch(w ->
                        w.offset() < stuck.offset() + stuck.length() && stuck.offset() < w.offset() + w.length());

                // the stuck write returns (late, on its own quarantined extent): nothing is damaged, and the
                // extent is released to later syncs
                gated.open();
                await().atMost(WAIT).until(() -> gated.waiting() == 0);
                for (int i = 0; i < 3; i++) {
                    overwrite(pool, ds, filler, TestPools.randomBytes(rnd, 1024 * 1024).array());
                }
                ByteBuffer back = ByteBuffer.allocate(data.length);
                ds.read(obj, 0, back);
                assertThat(back.array()).isEqualTo(data);
            }
        }
    }
}
