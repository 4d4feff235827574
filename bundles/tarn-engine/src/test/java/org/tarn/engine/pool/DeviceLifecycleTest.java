package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Health;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.ScanStatus;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.api.VdevState;
import org.tarn.api.VdevStatus;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.fault.FaultRule;

/**
 * Dirty time logs, resilver, online/offline, attach/detach/replace, add: a
 * leaf that missed txgs is never read for them, health says so, and a
 * resilver copies exactly what it missed.
 */
class DeviceLifecycleTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();
    private final Random rnd = new Random(42);

    /** Writes {@code n} objects of {@code size} random bytes in one txg each; returns their contents. */
    private byte[][] write(Pool pool, int n, int size) {
        byte[][] data = new byte[n][];
        try (Dataset ds = pool.openDataset("a")) {
            for (int i = 0; i < n; i++) {
                data[i] = TestPools.randomBytes(rnd, size).array();
                try (Transaction tx = pool.begin()) {
                    long obj = ds.createObject(tx);
                    assertThat(obj).isPositive();
                    ds.write(tx, obj, 0, ByteBuffer.wrap(data[i]));
                    objects.add(obj);
                }
                pool.sync();
            }
        }
        return data;
    }

    private final List<Long> objects = new java.util.ArrayList<>();

    /** Reads back every object written so far and compares it with what was written. */
    private void verify(Pool pool, List<byte[]> expected) {
        try (Dataset ds = pool.openDataset("a")) {
            for (int i = 0; i < expected.size(); i++) {
                ByteBuffer b = ByteBuffer.allocate(expected.get(i).length);
                ds.read(objects.get(i), 0, b);
                assertThat(b.array()).as("object %d", objects.get(i)).isEqualTo(expected.get(i));
            }
        }
    }

    private static VdevStatus leaf(Pool pool, String path) {
        return find(pool.vdevTree(), path);
    }

    private static VdevStatus find(VdevStatus v, String path) {
        if (v.isLeaf() && v.path().equals(path)) {
            return v;
        }
        for (VdevStatus c : v.children()) {
            VdevStatus f = find(c, path);
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    private static void awaitResilvered(Pool pool) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            ScanStatus s = pool.scanStatus();
            return ScanStatus.RESILVER.equals(s.function()) && ScanStatus.FINISHED.equals(s.state())
                    && !pool.vdevTree().missesTxgs();
        });
    }

    private static List<String> eventTypes(Pool pool) {
        return pool.events().stream().map(PoolEvent::type).toList();
    }

    private Pool mirror(Engine engine, List<String> d) {
        Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)), Map.of(), false);
        pool.createDataset("a");
        return pool;
    }

    @Test
    void offline_then_online_resilvers_only_the_missed_txgs_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = mirror(engine, d);
            List<byte[]> all = new java.util.ArrayList<>(Arrays.asList(write(pool, 4, 1 << 20)));
            pool.offline(d.get(1), false);
            assertThat(leaf(pool, d.get(1)).state()).isEqualTo(VdevState.OFFLINE);
            assertThat(pool.health()).isEqualTo(Health.DEGRADED);
            long before = pool.syncedTxg();
            all.addAll(Arrays.asList(write(pool, 2, 1 << 20)));
            VdevStatus stale = leaf(pool, d.get(1));
            assertThat(stale.missingTxgs()).isNotEmpty();
            assertThat(stale.note()).contains("offline");

            pool.online(d.get(1));
            awaitResilvered(pool);
            ScanStatus s = pool.scanStatus();
            // only the two objects written while it was offline (plus metadata), not the six
            assertThat(s.repairedBytes()).isGreaterThanOrEqualTo(2L << 20).isLessThan(4L << 20);
            assertThat(s.minTxg()).isGreaterThan(before - 3);
            assertThat(pool.health()).isEqualTo(Health.ONLINE);
            assertThat(eventTypes(pool)).contains(PoolEvent.VDEV_OFFLINE, PoolEvent.VDEV_ONLINE,
                    PoolEvent.RESILVER_STARTED, PoolEvent.RESILVER_FINISHED);

            // d1 alone now serves every block
            pool.offline(d.get(0), true);
            verify(pool, all);
            pool.online(d.get(0));
            awaitResilvered(pool);
            assertThat(pool.history().stream().map(h -> h.command()).toList())
                    .anyMatch(c -> c.startsWith("create tank"))
                    .anyMatch(c -> c.equals("offline tank " + d.get(1)))
                    .anyMatch(c -> c.startsWith("resilver finished"));
        }
    }

    @Test
    void a_stale_leaf_is_never_read_for_txgs_it_missed_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = mirror(engine, d);
            write(pool, 1, 100_000);
            pool.offline(d.get(1), false);
            write(pool, 2, 100_000);
            engine.exportPool("tank", false);
        }
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            // the persistent offline survived the export; DTL came back from the pool directory
            VdevStatus stale = leaf(pool, d.get(1));
            assertThat(stale.state()).isEqualTo(VdevState.OFFLINE);
            assertThat(stale.missingTxgs()).isNotEmpty();
            assertThat(pool.health()).isEqualTo(Health.DEGRADED);
            pool.online(d.get(1));
            awaitResilvered(pool);
            assertThat(pool.health()).isEqualTo(Health.ONLINE);
        }
    }

    @Test
    void history_is_kept_in_the_pool_across_export_and_import_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = mirror(engine, d);
            pool.setProperty("comment", "rack 4");
            pool.offline(d.get(1), true);
            pool.online(d.get(1));
            awaitResilvered(pool);
            engine.exportPool("tank", false);
        }
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            List<org.tarn.api.HistoryEntry> h = pool.history();
            List<String> commands = h.stream().filter(e -> !e.internal()).map(e -> e.command()).toList();
            assertThat(commands).containsSubsequence("create tank mirror " + d.get(0) + " " + d.get(1),
                    "set comment=rack 4 tank", "offline -t tank " + d.get(1), "online tank " + d.get(1),
                    "export tank");
            assertThat(commands.get(commands.size() - 1)).startsWith("import tank");
            assertThat(h).filteredOn(e -> e.internal()).extracting(e -> e.command())
                    .anyMatch(c -> c.startsWith("resilver started")).anyMatch(c -> c.startsWith("resilver finished"));
            assertThat(h).extracting(e -> e.time()).isSorted();
        }
    }

    @Test
    void offline_of_the_last_copy_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool single = engine.createPool("one", VdevLayout.parse(d.get(2)), Map.of(), false);
            assertThatThrownBy(() -> single.offline(d.get(2), true)).isInstanceOfSatisfying(TarnException.class,
                    e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NO_REPLICAS);
                        assertThat(e.getMessage()).contains(d.get(2)).contains("attach");
                    });
            Pool pool = mirror(engine, d);
            pool.offline(d.get(1), true);
            assertThatThrownBy(() -> pool.offline(d.get(0), true)).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_REPLICAS));
            assertThatThrownBy(() -> pool.detach(d.get(0))).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_REPLICAS));
            assertThatThrownBy(() -> pool.offline("/no/such/device", true)).isInstanceOfSatisfying(
                    TarnException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_DEVICE);
                        assertThat(e.getMessage()).contains("/no/such/device").contains(d.get(0));
                    });
            assertThat(leaf(pool, d.get(0)).state()).isEqualTo(VdevState.ONLINE);
        }
    }

    @Test
    void clear_of_a_faulted_leaf_resilvers_what_it_missed_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        String f1 = "fault:" + d.get(1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + f1), Map.of(), false);
            pool.createDataset("a");
            List<byte[]> all = new java.util.ArrayList<>(Arrays.asList(write(pool, 1, 200_000)));
            drivers.fault.injector(f1).add(FaultRule.error().on(FaultRule.Op.WRITE));
            all.addAll(Arrays.asList(write(pool, 2, 200_000)));
            assertThat(leaf(pool, f1).state()).isEqualTo(VdevState.FAULTED);
            drivers.fault.injector(f1).clear();
            pool.clear();
            // ONLINE for writes at once, but not complete until the resilver: never ONLINE health with stale data
            awaitResilvered(pool);
            assertThat(pool.events().stream().filter(e -> e.type().equals(PoolEvent.RESILVER_STARTED))
                    .map(PoolEvent::detail).toList()).anyMatch(x -> x.contains(f1) && x.contains("missed txgs"));
            assertThat(pool.health()).isEqualTo(Health.ONLINE);
            pool.offline(d.get(0), true);
            verify(pool, all);
        }
    }

    @Test
    void attach_makes_a_mirror_and_resilvers_the_new_side_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        List<byte[]> all;
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("a");
            all = new java.util.ArrayList<>(Arrays.asList(write(pool, 3, 300_000)));
            pool.attach(d.get(0), d.get(1), false);
            VdevStatus top = pool.vdevTree().children().get(0);
            assertThat(top.type()).isEqualTo("mirror");
            assertThat(top.children()).extracting(VdevStatus::path).containsExactly(d.get(0), d.get(1));
            awaitResilvered(pool);
            assertThat(pool.scanStatus().repairedBytes()).isGreaterThanOrEqualTo(900_000);
            pool.attach(d.get(1), d.get(2), false); // a three-way mirror
            awaitResilvered(pool);
            assertThat(pool.vdevTree().children().get(0).children()).hasSize(3);
            pool.offline(d.get(0), false);
            pool.offline(d.get(1), false);
            verify(pool, all);
            pool.online(d.get(0));
            pool.online(d.get(1));
            awaitResilvered(pool);
            engine.exportPool("tank", false);
        }
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            assertThat(pool.vdevTree().children().get(0).children()).extracting(VdevStatus::path)
                    .containsExactly(d.get(0), d.get(1), d.get(2));
            assertThat(pool.health()).isEqualTo(Health.ONLINE);
            verify(pool, all);
        }
    }

    @Test
    void attach_refusals_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 3);
        String small = TestPools.devices(dir.resolve("s"), 1, 32L * 1024 * 1024).get(0);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            Pool other = engine.createPool("other", VdevLayout.parse(d.get(2)), Map.of(), false);
            assertThat(other.health()).isEqualTo(Health.ONLINE);
            assertThatThrownBy(() -> pool.attach(d.get(0), small, false)).isInstanceOfSatisfying(TarnException.class,
                    e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.DEVICE_TOO_SMALL);
                        assertThat(e.getMessage()).contains(small);
                    });
            assertThatThrownBy(() -> pool.attach(d.get(0), d.get(0), false)).isInstanceOfSatisfying(
                    TarnException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DEVICE_IN_USE));
            assertThatThrownBy(() -> pool.attach(d.get(0), d.get(2), false)).isInstanceOfSatisfying(
                    TarnException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.DEVICE_IN_USE);
                        assertThat(e.getMessage()).contains("other");
                    });
            assertThatThrownBy(() -> pool.attach("/nope", d.get(1), false)).isInstanceOfSatisfying(
                    TarnException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_DEVICE));
            assertThatThrownBy(() -> pool.attach(d.get(0), dir.resolve("missing").toString(), false))
                    .isInstanceOfSatisfying(TarnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.DEVICE_MISSING));
            // nothing changed
            assertThat(pool.vdevTree().children()).hasSize(1);
            assertThat(pool.vdevTree().children().get(0).isLeaf()).isTrue();
            assertThatThrownBy(() -> pool.detach(d.get(0))).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void detach_leaves_a_plain_device_and_clears_the_labels_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = mirror(engine, d);
            List<byte[]> all = Arrays.asList(write(pool, 2, 100_000));
            pool.detach(d.get(1));
            VdevStatus top = pool.vdevTree().children().get(0);
            assertThat(top.isLeaf()).isTrue();
            assertThat(top.path()).isEqualTo(d.get(0));
            assertThat(eventTypes(pool)).contains(PoolEvent.VDEV_DETACHED);
            // the detached device holds no label: it can make a new pool without force
            Pool fresh = engine.createPool("fresh", VdevLayout.parse(d.get(1)), Map.of(), false);
            assertThat(fresh.health()).isEqualTo(Health.ONLINE);
            engine.exportPool("tank", false);
            Pool again = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            assertThat(again.vdevTree().children().get(0).isLeaf()).isTrue();
            verify(again, all);
        }
    }

    @Test
    void replace_resilvers_then_detaches_the_old_device_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 4);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = mirror(engine, d);
            List<byte[]> all = Arrays.asList(write(pool, 3, 200_000));
            pool.replace(d.get(1), d.get(2), false);
            await().atMost(Duration.ofSeconds(30)).until(() -> leaf(pool, d.get(1)) == null);
            assertThat(pool.vdevTree().children().get(0).children()).extracting(VdevStatus::path)
                    .containsExactly(d.get(0), d.get(2));
            assertThat(pool.health()).isEqualTo(Health.ONLINE);
            pool.offline(d.get(0), true);
            verify(pool, all);
            pool.online(d.get(0));
            awaitResilvered(pool);
            assertThat(pool.history().stream().map(h -> h.command()).toList())
                    .anyMatch(c -> c.startsWith("replace finished"));
        }
    }

    @Test
    void replace_of_a_plain_device_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("a");
            List<byte[]> all = Arrays.asList(write(pool, 2, 200_000));
            pool.replace(d.get(0), d.get(1), false);
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.vdevTree().children().get(0).isLeaf()
                    && pool.vdevTree().children().get(0).path().equals(d.get(1)));
            verify(pool, all);
            engine.exportPool("tank", false);
            Pool again = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            verify(again, all);
        }
    }

    @Test
    void a_device_that_dies_during_resilver_keeps_its_dtl_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        String f1 = "fault:" + d.get(1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + f1), Map.of(), false);
            pool.createDataset("a");
            pool.offline(f1, false);
            List<byte[]> all = Arrays.asList(write(pool, 4, 1 << 20));
            // slow, so that it dies during the resilver, not before
            drivers.fault.injector(f1).add(FaultRule.latency(150).on(FaultRule.Op.WRITE));
            pool.online(f1);
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.scanStatus().active());
            drivers.fault.injector(f1).clear();
            drivers.fault.injector(f1).add(FaultRule.error().on(FaultRule.Op.WRITE));
            await().atMost(Duration.ofSeconds(30)).until(() -> ScanStatus.FINISHED.equals(pool.scanStatus().state()));
            assertThat(leaf(pool, f1).state()).isEqualTo(VdevState.FAULTED);
            assertThat(leaf(pool, f1).missingTxgs()).isNotEmpty();
            assertThat(pool.health()).isEqualTo(Health.DEGRADED);
            assertThat(pool.events().stream().filter(e -> e.type().equals(PoolEvent.RESILVER_FINISHED))
                    .map(PoolEvent::detail).toList()).anyMatch(x -> x.contains("still missing txgs"));
            verify(pool, all);
            // the device works again: clear resilvers it
            drivers.fault.injector(f1).clear();
            pool.clear();
            awaitResilvered(pool);
            pool.offline(d.get(0), true);
            verify(pool, all);
        }
    }

    @Test
    void add_grows_the_pool_pos_and_refuses_a_device_in_use_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 4);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("a");
            long size = pool.sizeBytes();
            Pool other = engine.createPool("other", VdevLayout.parse(d.get(3)), Map.of(), false);
            assertThat(other.state()).isNotNull();
            assertThatThrownBy(() -> pool.add(VdevLayout.parse(d.get(3)), false)).isInstanceOfSatisfying(
                    TarnException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DEVICE_IN_USE));
            assertThatThrownBy(() -> pool.add(VdevLayout.parse(d.get(0)), false)).isInstanceOfSatisfying(
                    TarnException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DEVICE_IN_USE));
            assertThatThrownBy(() -> pool.add(VdevLayout.parse("mirror " + d.get(1) + " spare " + d.get(2)), false))
                    .isInstanceOfSatisfying(TarnException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            pool.add(VdevLayout.parse("mirror " + d.get(1) + " " + d.get(2)), false);
            assertThat(pool.sizeBytes()).isGreaterThan(size + size / 2);
            assertThat(pool.vdevTree().children()).hasSize(2);
            // the new space takes writes
            List<byte[]> all = Arrays.asList(write(pool, 6, 4 << 20));
            engine.exportPool("tank", false);
            Pool again = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            assertThat(again.vdevTree().children()).hasSize(2);
            assertThat(again.vdevTree().children().get(1).children()).extracting(VdevStatus::path)
                    .containsExactly(d.get(1), d.get(2));
            verify(again, all);
        }
    }
}
