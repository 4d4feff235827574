package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.fault.FaultInjector;
import org.tarn.vdev.fault.FaultRule;

/** Threads cost what the work costs: idle pools keep one sync thread each, a hung device pins only its own. */
class ThreadBudgetTest {
    private static final int POOLS = 48;
    /** Process-wide engine threads (events, the shared heartbeat timer) and slack for a pool finishing a sync. */
    private static final int CONSTANT = 8;

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private static long tarnThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("tarn-")).count();
    }

    private static long ioThreads(String pool) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("tarn-" + pool + "-io-")).count();
    }

    /*
     * multihost=off here: a multihost pool writes a heartbeat to each leaf every 500 ms, sooner than an I/O
     * thread's idle timeout, so each of its leaves keeps one I/O thread (not idle, by design).
     */
    @Test
    void idle_pools_cost_one_thread_each_after_the_idle_timeout_pos() throws Exception {
        long before = tarnThreads();
        try (Engine engine = TestPools.engine(drivers)) {
            for (int p = 0; p < POOLS; p++) {
                Path d = Files.createDirectories(dir.resolve("p" + p));
                List<String> devs = TestPools.devices(d, 2, 16L * 1024 * 1024);
                Pool pool = engine.createPool("p" + p, VdevLayout.parse("mirror " + devs.get(0) + " " + devs.get(1)),
                        Map.of(), false);
                pool.sync();
            }
            assertThat(ioThreads("p0")).as("I/O threads right after the pools' syncs").isPositive();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> tarnThreads() - before <= POOLS + CONSTANT);
            assertThat(tarnThreads() - before).isLessThanOrEqualTo(POOLS + CONSTANT);
        }
    }

    @Test
    void a_hung_device_pins_only_its_own_threads_while_another_pool_beats_and_writes_neg() throws Exception {
        List<String> a = TestPools.devices(Files.createDirectories(dir.resolve("a")), 1);
        List<String> b = TestPools.devices(Files.createDirectories(dir.resolve("b")), 1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool hung = engine.createPool("hung", VdevLayout.parse("fault:" + a.get(0)),
                    Map.of("failmode", "continue"), false);
            Pool well = engine.createPool("well", VdevLayout.parse(b.get(0)), Map.of("multihost", "on"), false);
            FaultInjector inj = drivers.fault.openInjector("fault:" + a.get(0));
            inj.add(FaultRule.hang());
            try {
                hung.createDataset("x");
                CompletableFuture<Void> stuck = CompletableFuture.runAsync(hung::sync);
                await().atMost(Duration.ofSeconds(10)).until(() -> inj.hungCount() > 0);

                long beatsBefore = leafWrites(well);
                well.createDataset("y");
                try (Dataset ds = well.openDataset("y"); Transaction tx = well.begin()) {
                    long obj = ds.createObject(tx);
                    ds.write(tx, obj, 0, ByteBuffer.wrap(new byte[256 * 1024]));
                }
                well.sync();
                // heartbeats (a write per interval) keep landing on the healthy pool while the other is hung
                await().atMost(Duration.ofSeconds(10)).until(() -> leafWrites(well) > beatsBefore + 10);
                assertThat(ioThreads("hung")).as("threads the hung device pins")
                        .isLessThanOrEqualTo(org.tarn.engine.vdev.LeafQueue.MAX_THREADS);
                stuck.handle((v, e) -> null).get();
            } finally {
                inj.clear();
            }
        }
    }

    private static long leafWrites(Pool pool) {
        return pool.ioStats().pool().writeOps();
    }
}
