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
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.GatedVdevDriver;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;

/**
 * A read of an older snapshot keeps its blocks: however long it takes, the
 * space it reads is not reused by later syncs, so it returns the data of its
 * snapshot (never a false checksum error, never another object's bytes).
 */
class ReadPinTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int BLOCK = 128 * 1024;

    @TempDir
    Path dir;

    private static void overwrite(Pool pool, Dataset ds, long obj, byte[] data) {
        try (Transaction tx = pool.begin()) {
            ds.write(tx, obj, 0, ByteBuffer.wrap(data));
        }
        pool.sync();
    }

    @Test
    void a_slow_read_of_an_old_snapshot_returns_its_data_while_later_syncs_churn_pos() throws Exception {
        String file = TestPools.devices(dir, 1, 32L * 1024 * 1024).get(0);
        GatedVdevDriver gated = new GatedVdevDriver();
        byte[] original = TestPools.randomBytes(new Random(7), BLOCK).array();
        Random rnd = new Random(8);
        // no block cache: the block just written would be read from memory, and the pin is about device reads
        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(60_000)
                .withBlockCacheBytes(0), List.of(gated))) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(GatedVdevDriver.PREFIX + file),
                    Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000"), false);
            pool.createDataset("a");
            try (Dataset ds = pool.openDataset("a")) {
                long obj;
                long filler;
                try (Transaction tx = pool.begin()) {
                    obj = ds.createObject(tx);
                    filler = ds.createObject(tx);
                    ds.write(tx, obj, 0, ByteBuffer.wrap(original));
                }
                pool.sync();

                // a reader of the current snapshot, stopped at its device read
                gated.closeBeforeNextDataRead();
                CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                    ByteBuffer b = ByteBuffer.allocate(BLOCK);
                    ds.read(obj, 0, b);
                    return b.array();
                });
                await().atMost(WAIT).until(() -> gated.waiting() == 1);

                // meanwhile the object is rewritten (its old block freed) and the device is churned through
                // several times over, so an unpinned free would be reallocated and overwritten
                overwrite(pool, ds, obj, TestPools.randomBytes(rnd, BLOCK).array());
                int syncs = 0;
                try {
                    for (; syncs < 200; syncs++) {
                        overwrite(pool, ds, filler, TestPools.randomBytes(rnd, 1024 * 1024).array());
                    }
                } catch (TarnException e) {
                    // with the old block pinned, the pool may fill up instead: that is the price of the pin
                    assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE);
                }
                gated.open();
                assertThat(reader.get(30, TimeUnit.SECONDS)).as("after %d churning syncs", syncs)
                        .isEqualTo(original);
                // once the read is done the held frees go back to the space maps with the next syncs
                long allocatedWhilePinned = pool.allocatedBytes();
                for (int i = 0; i < 3; i++) {
                    pool.sync();
                }
                assertThat(pool.allocatedBytes()).isLessThan(allocatedWhilePinned);
                for (int i = 0; i < 40; i++) {
                    overwrite(pool, ds, filler, TestPools.randomBytes(rnd, 1024 * 1024).array());
                }
            }
        }
    }
}
