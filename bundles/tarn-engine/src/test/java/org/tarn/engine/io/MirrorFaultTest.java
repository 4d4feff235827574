package org.tarn.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Health;
import org.tarn.api.Pool;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.api.VdevState;
import org.tarn.api.VdevStatus;
import org.tarn.engine.TestPools;
import org.tarn.engine.Engine;
import org.tarn.vdev.fault.FaultRule;

/** Device faults under a pool: mirrors mask them and heal, checksums catch corruption, failures never crash. */
class MirrorFaultTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private static long writeObject(Pool pool, String dataset, byte[] data) {
        try (Dataset ds = pool.openDataset(dataset); Transaction tx = pool.begin()) {
            long obj = ds.createObject(tx);
            ds.write(tx, obj, 0, ByteBuffer.wrap(data));
            return obj;
        }
    }

    private static byte[] readObject(Pool pool, String dataset, long obj, int length) {
        try (Dataset ds = pool.openDataset(dataset)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            ds.read(obj, 0, b);
            return b.array();
        }
    }

    private static VdevStatus leaf(Pool pool, String path) {
        for (VdevStatus top : pool.vdevTree().children()) {
            for (VdevStatus l : top.isLeaf() ? List.of(top) : top.children()) {
                if (l.path().equals(path)) {
                    return l;
                }
            }
        }
        throw new AssertionError("no leaf " + path);
    }

    @Test
    void mirror_with_failing_child_stays_usable_and_degraded_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        String bad = "fault:" + d.get(0);
        byte[] data = TestPools.randomBytes(new Random(7), 700_000).array();
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + bad + " " + d.get(1)), Map.of(), false);
            pool.createDataset("a");
            pool.sync();
            drivers.fault.injector(bad).add(FaultRule.error().on(FaultRule.Op.WRITE));
            long obj = writeObject(pool, "a", data);
            pool.sync();
            assertThat(pool.state()).isEqualTo(PoolState.ACTIVE);
            assertThat(pool.health()).isEqualTo(Health.DEGRADED);
            assertThat(leaf(pool, bad).state()).isEqualTo(VdevState.FAULTED);
            assertThat(leaf(pool, bad).writeErrors()).isPositive();
            assertThat(readObject(pool, "a", obj, data.length)).isEqualTo(data);
            engine.exportPool("tank", false);
            drivers.fault.injector(bad).clear();
            // the surviving child alone holds everything
            Pool again = engine.openPool(List.of(d.get(1)), true);
            assertThat(again.health()).isEqualTo(Health.DEGRADED);
            assertThat(readObject(again, "a", obj, data.length)).isEqualTo(data);
        }
    }

    @Test
    void checksum_corruption_on_one_child_is_detected_and_healed_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        byte[] data = new byte[128 * 1024];
        new Random(11).nextBytes(data);
        long obj;
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)),
                    Map.of(), false);
            pool.createDataset("a");
            obj = writeObject(pool, "a", data);
            engine.exportPool("tank", false);
        }
        long at = corruptPattern(Path.of(d.get(0)), data);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.openPool(d, false);
            assertThat(readObject(pool, "a", obj, data.length)).isEqualTo(data);
            assertThat(leaf(pool, d.get(0)).checksumErrors()).isEqualTo(1);
            // the bad copy was rewritten from the good one
            await().atMost(Duration.ofSeconds(10)).until(() -> containsAt(Path.of(d.get(0)), at, data));
            engine.exportPool("tank", false);
        }
    }

    @Test
    void corruption_without_redundancy_is_an_error_never_data_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        byte[] data = new byte[64 * 1024];
        new Random(5).nextBytes(data);
        long obj;
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("a");
            obj = writeObject(pool, "a", data);
            engine.exportPool("tank", false);
        }
        corruptPattern(Path.of(d.get(0)), data);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.openPool(d, false);
            assertThatThrownBy(() -> readObject(pool, "a", obj, data.length))
                    .isInstanceOf(TarnException.class)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);
            assertThat(leaf(pool, d.get(0)).checksumErrors()).isPositive();
        }
    }

    @Test
    void all_children_failing_suspends_with_clear_error_and_clear_resumes_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        String a = "fault:" + d.get(0);
        String b = "fault:" + d.get(1);
        byte[] data = TestPools.randomBytes(new Random(9), 200_000).array();
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + a + " " + b),
                    Map.of("failmode", "continue"), false);
            pool.createDataset("a");
            pool.sync();
            drivers.fault.injector(a).add(FaultRule.error().on(FaultRule.Op.WRITE));
            drivers.fault.injector(b).add(FaultRule.error().on(FaultRule.Op.WRITE));
            long obj = writeObject(pool, "a", data);
            assertThatThrownBy(pool::sync).isInstanceOf(TarnException.class)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_SUSPENDED);
            assertThat(pool.state()).isEqualTo(PoolState.SUSPENDED);
            assertThat(pool.health()).isEqualTo(Health.SUSPENDED);
            assertThatThrownBy(() -> writeObject(pool, "a", new byte[10]))
                    .hasMessageContaining("suspended")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_SUSPENDED);
            // reads are still served from memory and disk
            assertThat(readObject(pool, "a", obj, data.length)).isEqualTo(data);

            drivers.fault.injector(a).clear();
            drivers.fault.injector(b).clear();
            ((org.tarn.engine.pool.Spa) pool).clear();
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.state() == PoolState.ACTIVE);
            pool.sync();
            assertThat(pool.health()).isEqualTo(Health.ONLINE);
            engine.exportPool("tank", false);
            Pool again = engine.openPool(List.of(d.get(0), d.get(1)), true);
            assertThat(readObject(again, "a", obj, data.length)).isEqualTo(data);
        }
    }

    /** Flips a byte of the first block-aligned copy of {@code data}'s first 4 KiB in a device file. */
    private static long corruptPattern(Path file, byte[] data) throws Exception {
        byte[] all = Files.readAllBytes(file);
        for (long off = 0; off + 4096 <= all.length; off += 4096) {
            if (java.util.Arrays.equals(all, (int) off, (int) off + 4096, data, 0, 4096)) {
                try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.wrap(new byte[] {(byte) ~data[100]}), off + 100);
                }
                return off;
            }
        }
        throw new AssertionError("data not found on " + file);
    }

    private static boolean containsAt(Path file, long off, byte[] data) throws Exception {
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            ch.read(b, off);
            return java.util.Arrays.equals(b.array(), 0, 4096, data, 0, 4096);
        }
    }
}
