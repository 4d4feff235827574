package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.CommitStatus;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Health;
import org.tarn.api.Pool;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;

class PoolLifecycleTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    @Test
    void create_write_export_reopen_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 4);
        byte[] data = TestPools.randomBytes(new Random(1), 1_000_003).array();
        long obj;
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)
                    + " mirror " + d.get(2) + " " + d.get(3)), Map.of("comment", "rack 4"), false);
            assertThat(pool.state()).isEqualTo(PoolState.ACTIVE);
            assertThat(pool.health()).isEqualTo(Health.ONLINE);
            pool.createDataset("ost0");
            try (Dataset ds = pool.openDataset("ost0"); Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
                ds.write(tx, obj, 5, ByteBuffer.wrap(data));
            }
            pool.sync();
            assertThat(pool.syncedTxg()).isGreaterThan(1);
            engine.exportPool("tank", false);
            assertThat(engine.pools()).isEmpty();
            assertThat(pool.state()).isEqualTo(PoolState.EXPORTED);
        }
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.openPool(d, false);
            assertThat(pool.name()).isEqualTo("tank");
            assertThat(pool.properties()).containsEntry("comment", "rack 4");
            assertThat(pool.datasets()).containsExactly("ost0");
            try (Dataset ds = pool.openDataset("ost0")) {
                assertThat(ds.size(obj)).isEqualTo(5 + data.length);
                ByteBuffer back = ByteBuffer.allocate(data.length + 5);
                assertThat(ds.read(obj, 0, back)).isEqualTo(data.length + 5);
                byte[] expected = new byte[data.length + 5];
                System.arraycopy(data, 0, expected, 5, data.length);
                assertThat(back.array()).isEqualTo(expected);
            }
        }
    }

    @Test
    void commit_callbacks_report_committed_with_txg_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("a");
            AtomicReference<String> seen = new AtomicReference<>();
            long txg;
            try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
                txg = tx.txg();
                ds.write(tx, ds.createObject(tx), 0, ByteBuffer.wrap(new byte[100]));
                tx.onCommit((t, status) -> seen.set(t + ":" + status));
            }
            pool.sync();
            assertThat(seen.get()).isEqualTo(txg + ":" + CommitStatus.COMMITTED);
        }
    }

    @Test
    void create_refuses_device_of_active_pool_unless_forced_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            assertThatThrownBy(() -> engine.createPool("other", VdevLayout.parse(d.get(0) + " " + d.get(1)),
                    Map.of(), false))
                    .isInstanceOf(TarnException.class)
                    .hasMessageContaining(d.get(0)).hasMessageContaining("tank")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.DEVICE_IN_USE);
            assertThat(engine.pools()).containsExactly("tank");
        }
    }

    @Test
    void create_takes_device_of_exported_pool_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            engine.exportPool("tank", false);
            Pool again = engine.createPool("fresh", VdevLayout.parse(d.get(0)), Map.of(), false);
            assertThat(again.datasets()).isEmpty();
        }
    }

    @Test
    void create_refuses_small_missing_and_readonly_devices_neg() throws Exception {
        Path small = dir.resolve("small");
        org.tarn.vdev.file.FileVdevDriver.createSparseFile(small, 1024 * 1024);
        Path ro = TestPools.devices(dir, 1).stream().map(Path::of).findFirst().orElseThrow();
        ro.toFile().setWritable(false);
        try (Engine engine = TestPools.engine(drivers)) {
            assertThatThrownBy(() -> engine.createPool("t", VdevLayout.parse(small.toString()), Map.of(), false))
                    .hasMessageContaining(small.toString())
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.DEVICE_TOO_SMALL);
            String missing = dir.resolve("nope").toString();
            assertThatThrownBy(() -> engine.createPool("t", VdevLayout.parse(missing), Map.of(), false))
                    .hasMessageContaining(missing)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.DEVICE_MISSING);
            if (!Files.isWritable(ro)) { // root can write anything: then this case cannot be made
                assertThatThrownBy(() -> engine.createPool("t", VdevLayout.parse(ro.toString()), Map.of(), false))
                        .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.DEVICE_READ_ONLY);
            }
            assertThat(engine.pools()).isEmpty();
        }
    }

    /**
     * Every label holds the whole vdev tree, so the tree must fit in a label's
     * 128 KiB config area. Long paths make that limit reachable with a modest
     * number of devices; the refusal comes before anything is written, so the
     * devices keep the labels they had.
     */
    @Test
    void create_refuses_a_tree_too_large_for_a_label_before_writing_neg() throws Exception {
        Path deep = dir;
        for (int i = 0; i < 4; i++) {
            deep = deep.resolve("x".repeat(200) + i);
        }
        List<String> devs = TestPools.devices(java.nio.file.Files.createDirectories(deep), 160);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool old = engine.createPool("old", VdevLayout.parse(devs.get(0)), Map.of(), false);
            engine.exportPool("old", false);
            assertThatThrownBy(() -> engine.createPool("big", VdevLayout.parse(String.join(" ", devs)), Map.of(),
                    false))
                    .hasMessageContaining("160 devices").hasMessageContaining("label")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(engine.pools()).isEmpty();
            // untouched: the exported pool on the first device still imports
            assertThat(engine.openPool(List.of(devs.get(0)), false).guid()).isEqualTo(old.guid());
        }
    }

    @Test
    void create_refuses_bad_names_layouts_and_properties_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            assertThatThrownBy(() -> engine.createPool("mirror", VdevLayout.parse(d.get(0)), Map.of(), false))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThatThrownBy(() -> VdevLayout.parse("mirror " + d.get(0)))
                    .hasMessageContaining("at least two");
            assertThatThrownBy(() -> engine.createPool("t", VdevLayout.parse(d.get(0)),
                    Map.of("failmode", "panic"), false))
                    .hasMessageContaining("failmode").hasMessageContaining("wait, continue, export");
            assertThatThrownBy(() -> engine.createPool("t", VdevLayout.parse(d.get(0)),
                    Map.of("colour", "blue"), false))
                    .hasMessageContaining("unknown pool property 'colour'");
            assertThat(engine.pools()).isEmpty();
        }
    }

    @Test
    void export_refuses_open_datasets_unless_forced_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("mdt0");
            Dataset ds = pool.openDataset("mdt0");
            assertThatThrownBy(() -> engine.exportPool("tank", false))
                    .hasMessageContaining("mdt0")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.BUSY);
            assertThat(pool.state()).isEqualTo(PoolState.ACTIVE);
            engine.exportPool("tank", true);
            assertThatThrownBy(() -> ds.size(1))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_EXPORTED);
        }
    }

    @Test
    void sha256_checksums_round_trip_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        byte[] data = TestPools.randomBytes(new Random(3), 300_000).array();
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of("checksum", "sha256"), false);
            pool.createDataset("a");
            long obj;
            try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
                ds.write(tx, obj, 0, ByteBuffer.wrap(data));
            }
            engine.exportPool("tank", false);
            Pool again = engine.openPool(d, false);
            assertThat(again.properties()).containsEntry("checksum", "sha256");
            try (Dataset ds = again.openDataset("a")) {
                ByteBuffer back = ByteBuffer.allocate(data.length);
                ds.read(obj, 0, back);
                assertThat(back.array()).isEqualTo(data);
            }
        }
    }
}
