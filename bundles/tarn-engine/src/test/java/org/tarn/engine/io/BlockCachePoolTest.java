package org.tarn.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.BlockCacheStats;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.ScanStatus;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.api.VdevStatus;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.engine.label.LabelReader;
import org.tarn.engine.label.Uberblock;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The block cache under real pools (issue 14): read-modify-write hits memory after a write or a read, the budget
 * is one per engine, and the cache never answers what the devices would not: not across imports, not after a
 * failed verification, not for a scrub.
 */
class BlockCachePoolTest {
    private static final int RECORD = 128 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private Engine engine(long cacheBytes) {
        return TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(5000).withBlockCacheBytes(cacheBytes),
                drivers.list());
    }

    private static long write(Pool pool, long obj, long offset, byte[] data) {
        long id = obj;
        try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
            if (id < 0) {
                id = ds.createObject(tx);
            }
            ds.write(tx, id, offset, ByteBuffer.wrap(data));
        }
        return id;
    }

    private static byte[] read(Pool pool, long obj, int length) {
        try (Dataset ds = pool.openDataset("a")) {
            ByteBuffer b = ByteBuffer.allocate(length);
            ds.read(obj, 0, b);
            return b.array();
        }
    }

    private static long deviceReads(Pool pool) {
        return pool.ioStats().pool().readOps();
    }

    private static Pool create(Engine engine, String name, String layout) {
        Pool pool = engine.createPool(name, VdevLayout.parse(layout), Map.of(), false);
        pool.createDataset("a");
        return pool;
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

    /**
     * A 4 KiB write into a synced 128 KiB record; returns the cache misses it cost (counted before the read
     * returns; the device's own read count lags behind the read's completion by a moment).
     */
    private static long partialWriteMisses(Pool pool, long obj, byte[] expected) {
        byte[] patch = TestPools.randomBytes(new Random(3), 4096).array();
        long before = pool.blockCacheStats().misses();
        write(pool, obj, 64 * 1024, patch);
        long cost = pool.blockCacheStats().misses() - before;
        System.arraycopy(patch, 0, expected, 64 * 1024, patch.length);
        assertThat(read(pool, obj, RECORD)).isEqualTo(expected);
        return cost;
    }

    @Test
    void partial_write_after_a_write_hits_memory_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = engine(16L << 20)) {
            Pool pool = create(engine, "tank", d.get(0));
            byte[] data = TestPools.randomBytes(new Random(1), RECORD).array();
            long obj = write(pool, -1, 0, data);
            pool.sync();
            long hits = pool.blockCacheStats().hits();
            long reads = deviceReads(pool);
            assertThat(partialWriteMisses(pool, obj, data)).as("misses of the read-modify-write").isZero();
            assertThat(pool.blockCacheStats().hits()).isGreaterThan(hits);
            assertThat(deviceReads(pool)).as("device reads").isEqualTo(reads);
            pool.sync();
            // and again: the block the sync just wrote is the one in memory now
            assertThat(partialWriteMisses(pool, obj, data)).isZero();
            pool.sync();
            assertThat(read(pool, obj, RECORD)).isEqualTo(data);
        }
    }

    @Test
    void partial_write_without_a_cache_reads_the_device_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = engine(0)) {
            Pool pool = create(engine, "tank", d.get(0));
            byte[] data = TestPools.randomBytes(new Random(1), RECORD).array();
            long obj = write(pool, -1, 0, data);
            pool.sync();
            long reads = deviceReads(pool);
            assertThat(partialWriteMisses(pool, obj, data)).isPositive();
            await().atMost(WAIT).until(() -> deviceReads(pool) > reads);
            assertThat(pool.blockCacheStats().sizeBytes()).isZero();
            assertThat(engine.blockCacheStats().budgetBytes()).isZero();
        }
    }

    @Test
    void second_read_after_import_hits_memory_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        byte[] data = TestPools.randomBytes(new Random(2), 2 * RECORD).array();
        try (Engine engine = engine(16L << 20)) {
            Pool pool = create(engine, "tank", d.get(0));
            long obj = write(pool, -1, 0, data);
            engine.exportPool("tank", false);
            assertThat(engine.blockCacheStats().sizeBytes()).as("export drops the pool's blocks").isZero();

            Pool again = engine.openPool(d, false);
            long reads = deviceReads(again);
            assertThat(read(again, obj, data.length)).isEqualTo(data);
            await("a cold cache after import").atMost(WAIT).until(() -> deviceReads(again) > reads);
            again.sync(); // the import's own txgs done, nothing else reads the devices
            BlockCacheStats warm = again.blockCacheStats();
            assertThat(warm.sizeBytes()).isGreaterThanOrEqualTo(data.length);
            long settled = deviceReads(again);
            assertThat(read(again, obj, data.length)).isEqualTo(data);
            assertThat(deviceReads(again)).isEqualTo(settled);
            assertThat(again.blockCacheStats().hits()).isGreaterThanOrEqualTo(warm.hits() + 2);
            assertThat(again.blockCacheStats().misses()).isEqualTo(warm.misses());
        }
    }

    @Test
    void two_pools_share_the_engine_budget_pos() throws Exception {
        List<String> a = TestPools.devices(dir.resolve("a"), 1);
        List<String> b = TestPools.devices(dir.resolve("b"), 1);
        long budget = 1L << 20;
        byte[] data = TestPools.randomBytes(new Random(4), 16 * RECORD).array();
        try (Engine engine = engine(budget)) {
            Pool pa = create(engine, "pa", a.get(0));
            Pool pb = create(engine, "pb", b.get(0));
            long oa = write(pa, -1, 0, data);
            long ob = write(pb, -1, 0, data);
            pa.sync();
            pb.sync();
            assertThat(read(pa, oa, data.length)).isEqualTo(data);
            assertThat(read(pb, ob, data.length)).isEqualTo(data);
            BlockCacheStats all = engine.blockCacheStats();
            assertThat(all.budgetBytes()).isEqualTo(budget);
            assertThat(all.sizeBytes()).isLessThanOrEqualTo(budget).isPositive();
            assertThat(all.evictions()).isPositive();
            assertThat(pa.blockCacheStats().sizeBytes() + pb.blockCacheStats().sizeBytes())
                    .isEqualTo(all.sizeBytes());
            assertThat(pb.blockCacheStats().sizeBytes()).isPositive();
            assertThat(pa.blockCacheStats().budgetBytes()).isEqualTo(budget);
        }
    }

    @Test
    void a_read_that_fails_verification_is_not_cached_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        byte[] data = TestPools.randomBytes(new Random(5), RECORD).array();
        long obj;
        try (Engine engine = engine(16L << 20)) {
            Pool pool = create(engine, "tank", d.get(0));
            obj = write(pool, -1, 0, data);
            engine.exportPool("tank", false);
            corruptPattern(Path.of(d.get(0)), data);
            Pool again = engine.openPool(d, false);
            for (int attempt = 0; attempt < 2; attempt++) {
                long misses = again.blockCacheStats().misses();
                assertThatThrownBy(() -> read(again, obj, data.length))
                        .isInstanceOf(TarnException.class)
                        .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);
                assertThat(again.blockCacheStats().misses()).as("attempt %d asked the device", attempt)
                        .isGreaterThan(misses);
                assertThat(leaf(again, d.get(0)).checksumErrors()).isEqualTo(attempt + 1);
            }
        }
    }

    @Test
    void scrub_reads_the_devices_though_the_block_is_cached_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        byte[] data = TestPools.randomBytes(new Random(6), RECORD).array();
        try (Engine engine = engine(16L << 20)) {
            Pool pool = create(engine, "tank", "mirror " + d.get(0) + " " + d.get(1));
            long obj = write(pool, -1, 0, data);
            pool.sync();
            long at = corruptPattern(Path.of(d.get(0)), data);
            // the pool reads it from memory: neither copy is looked at
            long hits = pool.blockCacheStats().hits();
            assertThat(read(pool, obj, data.length)).isEqualTo(data);
            assertThat(pool.blockCacheStats().hits()).isGreaterThan(hits);
            assertThat(leaf(pool, d.get(0)).checksumErrors()).isZero();

            pool.scrub();
            await().atMost(WAIT).until(() -> ScanStatus.FINISHED.equals(pool.scanStatus().state()));
            assertThat(leaf(pool, d.get(0)).checksumErrors()).as("the scrub read the device").isPositive();
            assertThat(pool.scanStatus().repairedBytes()).isPositive();
            assertThat(pool.scanStatus().errors()).isZero();
            await().atMost(WAIT).until(() -> containsAt(Path.of(d.get(0)), at, data));
        }
    }

    @Test
    void no_stale_hit_after_force_export_and_rewind_import_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        byte[] first = TestPools.randomBytes(new Random(7), 2 * RECORD).array();
        byte[] second = TestPools.randomBytes(new Random(8), 2 * RECORD).array();
        byte[] third = TestPools.randomBytes(new Random(9), 2 * RECORD).array();
        try (Engine engine = engine(16L << 20)) {
            Pool pool = create(engine, "tank", d.get(0));
            long obj = write(pool, -1, 0, first);
            pool.sync();
            assertThat(read(pool, obj, first.length)).isEqualTo(first);
            write(pool, obj, 0, second);
            pool.sync();
            assertThat(read(pool, obj, second.length)).isEqualTo(second);
            engine.forceExport("tank");
            assertThat(engine.blockCacheStats().sizeBytes()).as("force export drops the pool's blocks").isZero();

            // the newest txg (the one that wrote 'second') becomes unreadable: the import rewinds past it
            Uberblock newest = newestUberblock(d.get(0));
            try (RandomAccessFile f = new RandomAccessFile(d.get(0), "rw")) {
                f.seek(newest.rootBp().offset());
                f.write(new byte[Math.min(newest.rootBp().size(), 4096)]);
            }
            Pool rewound = engine.importPool("tank", ImportOptions.parse("rewind=true,force=true,dir=" + dir));
            assertThat(rewound.blockCacheStats().hits()).as("a new import starts with nothing cached").isZero();
            assertThat(read(rewound, obj, first.length)).isEqualTo(first);
            // the space 'second' used is free again in the rewound pool: new contents may land there
            write(rewound, obj, 0, third);
            rewound.sync();
            assertThat(read(rewound, obj, third.length)).isEqualTo(third);
            engine.exportPool("tank", false);
            Pool again = engine.openPool(d, false);
            assertThat(read(again, obj, third.length)).isEqualTo(third);
        }
    }

    private static Uberblock newestUberblock(String device) throws Exception {
        try (BlockDevice dev = new FileVdevDriver().open(device, true)) {
            return LabelReader.read(dev).bestUberblock().orElseThrow().uberblock();
        }
    }

    /** Flips a byte of the first block-aligned copy of {@code data}'s first 4 KiB in a device file. */
    private static long corruptPattern(Path file, byte[] data) throws Exception {
        byte[] all = Files.readAllBytes(file);
        for (long off = 0; off + 4096 <= all.length; off += 4096) {
            if (Arrays.equals(all, (int) off, (int) off + 4096, data, 0, 4096)) {
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
            return Arrays.equals(b.array(), 0, 4096, data, 0, 4096);
        }
    }
}
