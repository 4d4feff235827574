package org.tarn.engine.dmu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.TestPools;
import org.tarn.engine.Engine;

/**
 * Data integrity of the object layer: random creates, writes and frees over
 * many transaction groups, checked against an in-memory model while groups
 * sync in the background and again after every export and reopen.
 *
 * <p>Every run is seeded; the seed is in each assertion message. Rerun one
 * with {@code -Dtarn.seed=<seed>}.
 */
class DataIntegrityTest {
    private static final long SEED = Long.getLong("tarn.seed", 0x7a2e_5eedL);
    private static final long DEVICE_BYTES = 128L * 1024 * 1024;
    private static final int MAX_WRITE_BYTES = 600 * 1024;
    private static final int MAX_OBJECT_BYTES = 3 * 1024 * 1024;
    private static final int MAX_OBJECTS = 10;
    private static final int OPS = Integer.getInteger("tarn.dmu.ops", 3000);
    private static final int VERIFY_EVERY_OPS = 300;
    private static final int REOPEN_EVERY_OPS = 550;
    private static final long OBJECTS_TIMEOUT_SECONDS = 20;

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    /** What the objects of a dataset must contain: id to bytes (the array length is the size). */
    static final class Model {
        final NavigableMap<Long, byte[]> objects = new TreeMap<>();
        final TreeSet<Long> freed = new TreeSet<>();

        void create(long id) {
            assertThat(objects).as("object id %d handed out twice", id).doesNotContainKey(id);
            objects.put(id, new byte[0]);
        }

        void write(long id, long offset, byte[] data) {
            byte[] cur = objects.get(id);
            int end = Math.toIntExact(offset + data.length);
            if (end > cur.length) {
                cur = Arrays.copyOf(cur, end);
                objects.put(id, cur);
            }
            System.arraycopy(data, 0, cur, (int) offset, data.length);
        }

        void free(long id) {
            objects.remove(id);
            freed.add(id);
        }
    }

    /** Fast groups; a failed sync fails callers at once instead of parking them (failmode=wait). */
    private static Map<String, String> props(int recordSizeBytes, String timeoutMillis) {
        return Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, timeoutMillis,
                PoolProperty.RECORD_SIZE_BYTES, Integer.toString(recordSizeBytes),
                PoolProperty.FAILMODE, "continue");
    }

    private static VdevLayout layout(String shape, List<String> d) {
        return VdevLayout.parse(shape.equals("mirror") ? "mirror " + d.get(0) + " " + d.get(1)
                : d.get(0) + " " + d.get(1));
    }

    @ParameterizedTest(name = "{0} recordSizeBytes={1}")
    @CsvSource({"mirror, 4096", "stripe, 4096", "mirror, 131072", "stripe, 131072"})
    void random_operations_match_model_across_txgs_and_reopens_pos(String shape, int recordSizeBytes)
            throws Exception {
        long seed = SEED ^ shape.hashCode() ^ recordSizeBytes;
        Random rnd = new Random(seed);
        List<String> d = TestPools.devices(dir, 2, DEVICE_BYTES);
        Model model = new Model();
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", layout(shape, d), props(recordSizeBytes, "20"), false);
            pool.createDataset("ds");
            long firstTxg = pool.syncedTxg();
            Dataset ds = pool.openDataset("ds");
            Workload work = new Workload(rnd, model, recordSizeBytes);
            int reopens = 0;
            int deepest = 0;
            int nextVerify = VERIFY_EVERY_OPS;
            int nextReopen = REOPEN_EVERY_OPS;
            while (work.ops < OPS) {
                try (Transaction tx = pool.begin()) {
                    int n = 1 + rnd.nextInt(4);
                    for (int i = 0; i < n; i++) {
                        work.step(ds, tx);
                    }
                }
                if (rnd.nextInt(50) == 0) {
                    pool.sync();
                }
                String ctx = "tarn.seed=" + SEED + " " + shape + " recordSizeBytes=" + recordSizeBytes
                        + " after op " + work.ops;
                if (work.ops >= nextVerify) {
                    verify(ds, model, rnd, ctx);
                    deepest = Math.max(deepest, deepestTree(ds, model));
                    nextVerify += VERIFY_EVERY_OPS;
                }
                if (work.ops >= nextReopen) {
                    ds.close();
                    engine.exportPool("tank", false);
                    pool = engine.openPool(d, false);
                    ds = pool.openDataset("ds");
                    verify(ds, model, rnd, ctx + " and reopen " + (++reopens));
                    // objects created from now on get another block size; older ones keep theirs
                    pool.setProperty(PoolProperty.RECORD_SIZE_BYTES,
                            Integer.toString(reopens % 2 == 1 ? 16384 : recordSizeBytes));
                    nextReopen += REOPEN_EVERY_OPS;
                }
            }
            String ctx = "tarn.seed=" + SEED + " " + shape + " recordSizeBytes=" + recordSizeBytes + " at the end";
            verify(ds, model, rnd, ctx);
            pool.sync();
            assertThat(pool.syncedTxg() - firstTxg).as("%s: transaction groups synced", ctx).isGreaterThan(20);
            assertThat(work.writes).as(ctx).isGreaterThan(OPS / 2);
            assertThat(deepest).as("%s: deepest block tree seen", ctx)
                    .isGreaterThanOrEqualTo(recordSizeBytes == 4096 ? 3 : 2);
            ds.close();
            engine.exportPool("tank", false);
            pool = engine.openPool(d, false);
            try (Dataset again = pool.openDataset("ds")) {
                verify(again, model, rnd, ctx + " and final reopen");
            }
        }
    }

    @Test
    void concurrent_writers_match_their_models_pos() throws Exception {
        long seed = SEED ^ 0xc0cc;
        int threads = 3;
        List<String> d = TestPools.devices(dir, 2, DEVICE_BYTES);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", layout("stripe", d), props(8192, "20"), false);
            pool.createDataset("ds");
            List<Model> models = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                Pool p = pool;
                try (Dataset ds = pool.openDataset("ds")) {
                    List<CompletableFuture<Void>> writers = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        if (round == 0) {
                            models.add(new Model());
                        }
                        Model model = models.get(t);
                        Random rnd = new Random(seed * 31 + t * 7 + round);
                        writers.add(CompletableFuture.runAsync(() -> {
                            Workload work = new Workload(rnd, model, 8192);
                            work.maxObjects = 4;
                            while (work.ops < OPS / 3) {
                                try (Transaction tx = p.begin()) {
                                    int n = 1 + rnd.nextInt(3);
                                    for (int i = 0; i < n; i++) {
                                        work.step(ds, tx);
                                    }
                                }
                                if (rnd.nextInt(60) == 0) {
                                    p.sync();
                                }
                            }
                        }, r -> new Thread(r, "writer").start()));
                    }
                    CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
                    verify(ds, merged(models), new Random(seed), "tarn.seed=" + SEED + " round " + round);
                }
                engine.exportPool("tank", false);
                pool = engine.openPool(d, false);
                try (Dataset ds = pool.openDataset("ds")) {
                    verify(ds, merged(models), new Random(seed),
                            "tarn.seed=" + SEED + " round " + round + " reopened");
                }
            }
        }
    }

    private static Model merged(List<Model> models) {
        Model all = new Model();
        for (Model m : models) {
            all.objects.putAll(m.objects);
            all.freed.addAll(m.freed);
        }
        return all;
    }

    @Test
    void objects_lists_exactly_the_live_ids_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        Model model = new Model();
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), props(4096, "20"), false);
            pool.createDataset("ds");
            try (Dataset ds = pool.openDataset("ds")) {
                assertThat(ds.objects()).isEmpty();
                List<Long> ids = new ArrayList<>();
                try (Transaction tx = pool.begin()) {
                    for (int i = 0; i < 20; i++) {
                        long id = ds.createObject(tx);
                        ids.add(id);
                        model.create(id);
                    }
                    // created and freed in one group: never reaches disk
                    ds.freeObject(tx, ids.get(3));
                    model.free(ids.get(3));
                    ds.write(tx, ids.get(4), 5000, ByteBuffer.wrap(new byte[] {1, 2, 3}));
                    model.write(ids.get(4), 5000, new byte[] {1, 2, 3});
                }
                assertThat(objectsWithin(ds, "")).containsExactlyElementsOf(model.objects.keySet());
                pool.sync();
                try (Transaction tx = pool.begin()) {
                    for (int i : new int[] {0, 7, 19}) {
                        ds.freeObject(tx, ids.get(i));
                        model.free(ids.get(i));
                    }
                    long id = ds.createObject(tx);
                    assertThat(id).as("ids are not reused").isGreaterThan(ids.get(19));
                    model.create(id);
                }
                assertThat(objectsWithin(ds, "")).containsExactlyElementsOf(model.objects.keySet());
                pool.sync();
                assertThat(objectsWithin(ds, "")).containsExactlyElementsOf(model.objects.keySet());
                verify(ds, model, new Random(1), "before export");
            }
            engine.exportPool("tank", false);
            pool = engine.openPool(d, false);
            try (Dataset ds = pool.openDataset("ds")) {
                assertThat(objectsWithin(ds, "")).containsExactlyElementsOf(model.objects.keySet());
                verify(ds, model, new Random(2), "after reopen");
            }
        }
    }

    @Test
    void objects_lists_more_objects_than_the_dnode_cache_holds_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), props(4096, "20"), false);
            pool.createDataset("ds");
            try (Dataset ds = pool.openDataset("ds")) {
                List<Long> ids = new ArrayList<>();
                try (Transaction tx = pool.begin()) {
                    for (int i = 0; i < 11_000; i++) {
                        ids.add(ds.createObject(tx));
                    }
                }
                pool.sync();
                assertThat(objectsWithin(ds, "11000 objects")).containsExactlyElementsOf(ids);
            }
        }
    }

    @Test
    void many_objects_survive_dnode_eviction_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        int count = 12_500; // more dnodes than the object set keeps in memory
        Model model = new Model();
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), props(4096, "20"), false);
            pool.createDataset("ds");
            try (Dataset ds = pool.openDataset("ds")) {
                for (int done = 0; done < count; ) {
                    try (Transaction tx = pool.begin()) {
                        for (int i = 0; i < 500; i++, done++) {
                            long id = ds.createObject(tx);
                            model.create(id);
                            if (id % 10 == 0) {
                                byte[] data = ByteBuffer.allocate(12).putLong(id).putInt(done).array();
                                ds.write(tx, id, id % 4000, ByteBuffer.wrap(data));
                                model.write(id, id % 4000, data);
                            }
                        }
                    }
                }
                pool.sync();
                // touch objects again, long after the first ones were synced and dropped from memory
                List<Long> ids = new ArrayList<>(model.objects.keySet());
                for (int i = 0; i < ids.size(); i += 500) {
                    try (Transaction tx = pool.begin()) {
                        for (long id : ids.subList(i, Math.min(ids.size(), i + 500))) {
                            if (id % 7 == 0) {
                                ds.freeObject(tx, id);
                                model.free(id);
                            } else if (id % 10 <= 1) {
                                byte[] data = {(byte) id, 1};
                                ds.write(tx, id, 3, ByteBuffer.wrap(data));
                                model.write(id, 3, data);
                            }
                        }
                    }
                }
                verify(ds, model, new Random(3), "before export");
            }
            engine.exportPool("tank", false);
            pool = engine.openPool(d, false);
            try (Dataset ds = pool.openDataset("ds")) {
                verify(ds, model, new Random(4), "after reopen");
            }
        }
    }

    /**
     * A write the pool admits must fit when its group syncs: the slop and the
     * dirty accounting have to cover the metadata (indirect blocks, dnode
     * blocks, space maps) that the data drags along.
     */
    @Test
    void full_pool_refuses_writes_instead_of_failing_the_sync_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1, 32L * 1024 * 1024);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)),
                    Map.of(PoolProperty.RECORD_SIZE_BYTES, "4096", PoolProperty.FAILMODE, "continue"), false);
            pool.createDataset("ds");
            TarnException refused = null;
            try (Dataset ds = pool.openDataset("ds")) {
                for (int i = 0; i < 20_000 && refused == null; i++) {
                    try (Transaction tx = pool.begin()) {
                        long id = ds.createObject(tx);
                        // two bytes across a block boundary: two data blocks and an indirect block
                        ds.write(tx, id, 4095, ByteBuffer.wrap(new byte[] {1, 2}));
                    } catch (TarnException e) {
                        refused = e;
                    }
                    if (i % 200 == 199) {
                        pool.sync();
                    }
                }
            }
            assertThat(refused).as("a write was refused once the pool filled up").isNotNull();
            assertThat(refused.code()).isEqualTo(ErrorCode.NO_SPACE);
            pool.sync();
            assertThat(pool.state()).isEqualTo(org.tarn.api.PoolState.ACTIVE);
        }
    }

    @Test
    void reads_at_or_beyond_end_return_minus_one_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), props(4096, "20"), false);
            pool.createDataset("ds");
            long empty;
            long sparse;
            try (Dataset ds = pool.openDataset("ds"); Transaction tx = pool.begin()) {
                empty = ds.createObject(tx);
                sparse = ds.createObject(tx);
                ds.write(tx, sparse, 10_000, ByteBuffer.wrap(new byte[] {7}));
            }
            for (int round = 0; round < 3; round++) {
                try (Dataset ds = pool.openDataset("ds")) {
                    assertThat(ds.size(empty)).isZero();
                    assertThat(ds.read(empty, 0, ByteBuffer.allocate(10))).isEqualTo(-1);
                    assertThat(ds.read(empty, 4096, ByteBuffer.allocate(10))).isEqualTo(-1);
                    assertThat(ds.size(sparse)).isEqualTo(10_001);
                    assertThat(ds.read(sparse, 10_001, ByteBuffer.allocate(10))).isEqualTo(-1);
                    assertThat(ds.read(sparse, 1L << 40, ByteBuffer.allocate(10))).isEqualTo(-1);
                    ByteBuffer tail = ByteBuffer.allocate(10);
                    assertThat(ds.read(sparse, 9_999, tail)).isEqualTo(2);
                    assertThat(tail.position()).isEqualTo(2);
                    assertThat(Arrays.copyOf(tail.array(), 2)).containsExactly(0, 7);
                    ByteBuffer hole = ByteBuffer.allocate(9_000);
                    assertThat(ds.read(sparse, 500, hole)).isEqualTo(9_000);
                    assertThat(hole.array()).containsOnly(0);
                }
                if (round == 0) {
                    pool.sync();
                } else if (round == 1) {
                    engine.exportPool("tank", false);
                    pool = engine.openPool(d, false);
                }
            }
        }
    }

    @Test
    void operations_on_freed_or_unknown_objects_are_refused_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), props(4096, "20"), false);
            pool.createDataset("ds");
            long gone;
            long kept;
            try (Dataset ds = pool.openDataset("ds")) {
                try (Transaction tx = pool.begin()) {
                    gone = ds.createObject(tx);
                    kept = ds.createObject(tx);
                    ds.write(tx, gone, 0, ByteBuffer.wrap(new byte[5000]));
                }
                pool.sync();
                try (Transaction tx = pool.begin()) {
                    ds.freeObject(tx, gone);
                }
            }
            for (int round = 0; round < 2; round++) {
                try (Dataset ds = pool.openDataset("ds")) {
                    for (long id : new long[] {gone, kept + 1000, 0, -1}) {
                        assertThat(ds.exists(id)).as("exists(%d)", id).isFalse();
                        assertNotFound(() -> ds.read(id, 0, ByteBuffer.allocate(1)), id);
                        assertNotFound(() -> ds.size(id), id);
                        try (Transaction tx = pool.begin()) {
                            assertNotFound(() -> ds.write(tx, id, 0, ByteBuffer.wrap(new byte[1])), id);
                            assertNotFound(() -> ds.freeObject(tx, id), id);
                        }
                    }
                    try (Transaction tx = pool.begin()) {
                        assertThatThrownBy(() -> ds.write(tx, kept, -1, ByteBuffer.wrap(new byte[1])))
                                .isInstanceOf(TarnException.class)
                                .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    }
                    assertThatThrownBy(() -> ds.read(kept, -1, ByteBuffer.allocate(1)))
                            .isInstanceOf(TarnException.class)
                            .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(ds.objects()).containsExactly(kept);
                }
                engine.exportPool("tank", false);
                pool = engine.openPool(d, false);
            }
        }
    }

    private static void assertNotFound(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, long id) {
        assertThatThrownBy(call).as("object %d", id)
                .isInstanceOf(TarnException.class)
                .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void freed_space_is_reused_across_many_txgs_pos() throws Exception {
        long seed = SEED ^ 0x5bace;
        Random rnd = new Random(seed);
        List<String> d = TestPools.devices(dir, 2, 32L * 1024 * 1024);
        int writeBytes = 4 * 1024 * 1024;
        int rounds = 40;
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0) + " " + d.get(1)),
                    props(131072, "20"), false);
            pool.createDataset("ds");
            pool.sync();
            long baseline = pool.allocatedBytes();
            assertThat((long) rounds * writeBytes).as("the test writes more than the pool holds")
                    .isGreaterThan(2 * pool.sizeBytes());
            Deque<Long> live = new ArrayDeque<>();
            Map<Long, byte[]> contents = new TreeMap<>();
            long maxAllocated = 0;
            try (Dataset ds = pool.openDataset("ds")) {
                for (int r = 0; r < rounds; r++) {
                    byte[] data = TestPools.randomBytes(rnd, writeBytes).array();
                    try (Transaction tx = pool.begin()) {
                        long id = ds.createObject(tx);
                        ds.write(tx, id, rnd.nextInt(4096), ByteBuffer.wrap(data));
                        live.addLast(id);
                        contents.put(id, data);
                    }
                    if (live.size() > 2) {
                        try (Transaction tx = pool.begin()) {
                            long id = live.removeFirst();
                            ds.freeObject(tx, id);
                            contents.remove(id);
                        }
                    }
                    pool.sync();
                    maxAllocated = Math.max(maxAllocated, pool.allocatedBytes());
                }
                // live: 2-3 objects; deferred: up to FREE_DEFER_TXGS+1 groups of one object each
                long bound = baseline + (3 + DmuFormat.FREE_DEFER_TXGS + 1) * (writeBytes + 64 * 1024L);
                assertThat(maxAllocated).as("tarn.seed=%d: most bytes allocated after a sync", SEED)
                        .isLessThanOrEqualTo(bound);
                assertThat(ds.objects()).containsExactlyElementsOf(live);
                for (long id : live) {
                    ByteBuffer back = ByteBuffer.allocate((int) ds.size(id));
                    readFully(ds, id, 0, back);
                    byte[] expected = contents.get(id);
                    byte[] tail = Arrays.copyOfRange(back.array(), back.capacity() - expected.length, back.capacity());
                    assertThat(Arrays.mismatch(tail, expected)).as("tarn.seed=%d object %d", SEED, id).isEqualTo(-1);
                }
                try (Transaction tx = pool.begin()) {
                    for (long id : live) {
                        ds.freeObject(tx, id);
                    }
                }
            }
            for (int i = 0; i <= DmuFormat.FREE_DEFER_TXGS + 1; i++) {
                pool.sync();
            }
            assertThat(pool.allocatedBytes()).as("tarn.seed=%d: allocated after freeing everything (baseline %d)",
                    SEED, baseline).isLessThanOrEqualTo(baseline + 512 * 1024);
        }
    }

    @Test
    void freed_blocks_stay_allocated_for_two_txgs_then_are_released_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        int bytes = 2 * 1024 * 1024;
        long slack = 256 * 1024;
        try (Engine engine = TestPools.engine(drivers)) {
            // the default (long) timeout: only sync() closes groups here
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)),
                    Map.of(PoolProperty.FAILMODE, "continue"), false);
            pool.createDataset("ds");
            try (Dataset ds = pool.openDataset("ds")) {
                long id;
                try (Transaction tx = pool.begin()) {
                    id = ds.createObject(tx);
                    ds.write(tx, id, 0, TestPools.randomBytes(new Random(5), bytes));
                }
                pool.sync();
                long before = pool.allocatedBytes();
                long freeTxg;
                try (Transaction tx = pool.begin()) {
                    freeTxg = tx.txg();
                    ds.freeObject(tx, id);
                }
                List<Long> allocated = new ArrayList<>();
                for (int i = 0; i <= DmuFormat.FREE_DEFER_TXGS; i++) {
                    pool.sync();
                    assertThat(pool.syncedTxg()).isEqualTo(freeTxg + i);
                    allocated.add(pool.allocatedBytes());
                }
                for (int i = 0; i < DmuFormat.FREE_DEFER_TXGS; i++) {
                    assertThat(allocated.get(i)).as("allocated after txg %d (freed in %d; before %d): %s",
                            freeTxg + i, freeTxg, before, allocated).isGreaterThan(before - slack);
                }
                assertThat(allocated.get(DmuFormat.FREE_DEFER_TXGS))
                        .as("allocated after txg %d (freed in %d; before %d): %s",
                                freeTxg + DmuFormat.FREE_DEFER_TXGS, freeTxg, before, allocated)
                        .isLessThan(before - bytes + slack);
            }
        }
    }

    // ---- workload ----------------------------------------------------------

    /** Random creates, frees and writes, applied to a dataset and to the model alike. */
    static final class Workload {
        final Random rnd;
        final Model model;
        final int blockBytes;
        int maxObjects = MAX_OBJECTS;
        int ops;
        int writes;

        Workload(Random rnd, Model model, int blockBytes) {
            this.rnd = rnd;
            this.model = model;
            this.blockBytes = blockBytes;
        }

        void step(Dataset ds, Transaction tx) {
            ops++;
            int live = model.objects.size();
            int dice = rnd.nextInt(100);
            if (live < 2 || (dice < 8 && live < maxObjects)) {
                long id = ds.createObject(tx);
                model.create(id);
            } else if (dice < 14 && live > 2) {
                long id = pick();
                ds.freeObject(tx, id);
                model.free(id);
            } else {
                write(ds, tx, pick());
            }
        }

        private long pick() {
            List<Long> ids = new ArrayList<>(model.objects.keySet());
            return ids.get(rnd.nextInt(ids.size()));
        }

        private void write(Dataset ds, Transaction tx, long id) {
            writes++;
            int size = model.objects.get(id).length;
            int blocks = MAX_OBJECT_BYTES / blockBytes;
            int len = switch (rnd.nextInt(10)) {
                case 0, 1 -> 1 + rnd.nextInt(16);
                case 2, 3, 4 -> 1 + rnd.nextInt(8192);
                case 5, 6, 7 -> 1 + rnd.nextInt(128 * 1024);
                default -> 1 + rnd.nextInt(MAX_WRITE_BYTES);
            };
            long offset;
            switch (rnd.nextInt(10)) {
                case 0, 1, 2, 3 -> offset = size == 0 ? 0 : rnd.nextInt(size); // overlapping overwrite
                case 4, 5 -> offset = size; // append
                case 6 -> offset = size + 1 + rnd.nextInt(1 << 20); // sparse gap
                case 7, 8 -> { // whole blocks, or starting on a block boundary
                    offset = (long) rnd.nextInt(blocks) * blockBytes;
                    if (rnd.nextBoolean()) {
                        len = blockBytes * (1 + rnd.nextInt(Math.max(1, Math.min(4, MAX_WRITE_BYTES / blockBytes))));
                    }
                }
                default -> // ending just past a block boundary
                        offset = Math.max(0, (long) (1 + rnd.nextInt(blocks - 1)) * blockBytes - 1 - rnd.nextInt(64));
            }
            if (offset + len > MAX_OBJECT_BYTES) {
                len = Math.min(len, MAX_OBJECT_BYTES);
                offset = rnd.nextInt(MAX_OBJECT_BYTES - len + 1);
            }
            byte[] data = new byte[len];
            if (rnd.nextInt(10) != 0) { // else zeros: blocks that turn into holes
                rnd.nextBytes(data);
            }
            ByteBuffer src;
            switch (rnd.nextInt(4)) {
                case 0 -> { // a window of a larger array
                    byte[] big = new byte[len + 20];
                    System.arraycopy(data, 0, big, 7, len);
                    src = ByteBuffer.wrap(big, 7, len);
                }
                case 1 -> src = ByteBuffer.allocateDirect(len).put(data).flip();
                default -> src = ByteBuffer.wrap(data);
            }
            ds.write(tx, id, offset, src);
            model.write(id, offset, data);
        }
    }

    // ---- checks ------------------------------------------------------------

    static void readFully(Dataset ds, long id, long offset, ByteBuffer dst) {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = ds.read(id, pos, dst);
            if (n < 0) {
                break;
            }
            assertThat(n).as("read of object %d at %d made no progress", id, pos).isPositive();
            pos += n;
        }
    }

    /** Levels of the tallest synced block tree among the model's objects. */
    private static int deepestTree(Dataset ds, Model model) {
        int levels = 0;
        for (long id : model.objects.keySet()) {
            levels = Math.max(levels, ((DatasetHandle) ds).objectSet().dnode(id).committed().levels());
        }
        return levels;
    }

    /**
     * {@link Dataset#objects()} on a helper thread, so that a call that never
     * returns fails the test; closing the handle then stops the call.
     */
    static List<Long> objectsWithin(Dataset ds, String ctx) {
        CompletableFuture<List<Long>> listing = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                listing.complete(ds.objects());
            } catch (Throwable e) {
                listing.completeExceptionally(e);
            }
        }, "objects-of-" + ds.name());
        t.setDaemon(true);
        t.start();
        try {
            return listing.get(OBJECTS_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            StackTraceElement[] where = t.getStackTrace();
            ds.close();
            AssertionError failure = new AssertionError(ctx + ": objects() did not return within "
                    + OBJECTS_TIMEOUT_SECONDS + " s");
            failure.setStackTrace(where);
            throw failure;
        } catch (ExecutionException e) {
            throw new AssertionError(ctx + ": objects() failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Checks the dataset against the model: ids, sizes, whole contents, some partial reads, EOF. */
    static void verify(Dataset ds, Model model, Random rnd, String ctx) {
        assertThat(objectsWithin(ds, ctx)).as("%s: objects()", ctx).containsExactlyElementsOf(model.objects.keySet());
        for (long id : model.freed) {
            assertThat(ds.exists(id)).as("%s: freed object %d exists", ctx, id).isFalse();
        }
        for (Map.Entry<Long, byte[]> e : model.objects.entrySet()) {
            long id = e.getKey();
            byte[] expected = e.getValue();
            assertThat(ds.exists(id)).as("%s: object %d exists", ctx, id).isTrue();
            assertThat(ds.size(id)).as("%s: size of object %d", ctx, id).isEqualTo(expected.length);
            ByteBuffer all = ByteBuffer.allocate(expected.length);
            readFully(ds, id, 0, all);
            assertThat(all.position()).as("%s: bytes read from object %d", ctx, id).isEqualTo(expected.length);
            assertSame(ctx, id, 0, expected, all.array());
            for (int i = 0; i < 3 && expected.length > 0; i++) {
                int off = rnd.nextInt(expected.length);
                int len = 1 + rnd.nextInt(Math.min(expected.length - off, 200_000));
                ByteBuffer part = ByteBuffer.allocate(len);
                readFully(ds, id, off, part);
                assertSame(ctx + " (partial read)", id, off, Arrays.copyOfRange(expected, off, off + len),
                        part.array());
            }
            assertThat(ds.read(id, expected.length, ByteBuffer.allocate(16)))
                    .as("%s: read of object %d at its end (%d)", ctx, id, expected.length).isEqualTo(-1);
            assertThat(ds.read(id, expected.length + 100_000L, ByteBuffer.allocate(16)))
                    .as("%s: read of object %d beyond its end", ctx, id).isEqualTo(-1);
        }
    }

    private static void assertSame(String ctx, long id, long offset, byte[] expected, byte[] actual) {
        int at = Arrays.mismatch(expected, actual);
        if (at >= 0) {
            int from = Math.max(0, at - 4);
            throw new AssertionError(ctx + ": object " + id + " differs at byte " + (offset + at)
                    + " (of " + expected.length + " read from " + offset + "): expected "
                    + Arrays.toString(Arrays.copyOfRange(expected, from, Math.min(expected.length, at + 12)))
                    + " but read "
                    + Arrays.toString(Arrays.copyOfRange(actual, from, Math.min(actual.length, at + 12))));
        }
    }
}
