package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Health;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.ImportablePool;
import org.tarn.api.Pool;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.engine.label.LabelReader;
import org.tarn.engine.label.Uberblock;
import org.tarn.vdev.file.FileVdevDriver;

class ImportPoolTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private SpaNamespace engine(String state) {
        return TarnEngine.start(EngineSettings.persistent(dir.resolve(state)).withIoTimeoutMillis(2000),
                drivers.list());
    }

    private static ImportOptions in(Path devices) {
        return ImportOptions.defaults().withDirs(List.of(devices.toString()));
    }

    private static long write(Pool pool, byte[] data) {
        try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
            long obj = ds.createObject(tx);
            ds.write(tx, obj, 0, ByteBuffer.wrap(data));
            return obj;
        }
    }

    private static byte[] read(Pool pool, long obj, int n) {
        try (Dataset ds = pool.openDataset("a")) {
            ByteBuffer b = ByteBuffer.allocate(n);
            ds.read(obj, 0, b);
            return b.array();
        }
    }

    @Test
    void scan_lists_pools_and_skips_foreign_truncated_and_corrupt_files_pos() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 2);
        Files.writeString(devs.resolve("notes.txt"), "not a device");
        FileVdevDriver.createSparseFile(devs.resolve("empty"), 32L * 1024 * 1024);
        byte[] junk = new byte[20 * 1024 * 1024];
        new Random(1).nextBytes(junk);
        Files.write(devs.resolve("junk"), junk);
        try (SpaNamespace a = engine("a")) {
            a.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)), Map.of(), false);
            a.exportPool("tank", false);
            ImportScan scan = a.scan(List.of(devs.toString()));
            assertThat(scan.pools()).extracting(ImportablePool::name).containsExactly("tank");
            ImportablePool p = scan.pools().get(0);
            assertThat(p.state()).isEqualTo("EXPORTED");
            assertThat(p.importable()).isTrue();
            assertThat(p.vdevTree().children().get(0).children()).hasSize(2);
            assertThat(scan.skipped()).extracting(s -> Path.of(s.path()).getFileName().toString())
                    .containsExactlyInAnyOrder("notes.txt", "empty", "junk");
            assertThat(scan.skipped()).allSatisfy(s -> assertThat(s.reason()).isNotBlank());
        }
    }

    @Test
    void import_by_name_guid_and_under_a_new_name_pos() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 1);
        try (SpaNamespace a = engine("a")) {
            Pool pool = a.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            long guid = pool.guid();
            a.exportPool("tank", false);
            assertThat(a.importPool("tank", in(devs)).guid()).isEqualTo(guid);
            a.exportPool("tank", false);
            assertThat(a.importPool("0x" + Long.toHexString(guid), in(devs)).name()).isEqualTo("tank");
            a.exportPool("tank", false);
            Pool renamed = a.importPool(Long.toUnsignedString(guid), in(devs).withNewName("ost9"));
            assertThat(renamed.name()).isEqualTo("ost9");
            assertThat(renamed.events()).extracting(e -> e.type()).contains("renamed");
            a.exportPool("ost9", false);
            assertThat(a.scan(List.of(devs.toString())).pools().get(0).name()).isEqualTo("ost9");
        }
    }

    @Test
    void import_refuses_unknown_duplicate_and_already_imported_names_neg() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 3);
        try (SpaNamespace a = engine("a")) {
            a.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            a.exportPool("tank", false);
            a.createPool("tank", VdevLayout.parse(d.get(1)), Map.of(), false);
            a.exportPool("tank", false);
            assertThatThrownBy(() -> a.importPool("tank", in(devs)))
                    .hasMessageContaining("several pools").hasMessageContaining("GUID")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThatThrownBy(() -> a.importPool("nosuch", in(devs)))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_NOT_FOUND);
            long g = a.scan(List.of(devs.toString())).pools().get(0).guid();
            a.importPool(Long.toUnsignedString(g), in(devs));
            a.createPool("other", VdevLayout.parse(d.get(2)), Map.of(), false);
            a.exportPool("other", false);
            assertThatThrownBy(() -> a.importPool("other", in(devs).withNewName("tank")))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_EXISTS);
        }
    }

    @Test
    void pool_active_on_another_host_needs_force_neg() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 1);
        byte[] data = TestPools.randomBytes(new Random(2), 100_000).array();
        try (SpaNamespace a = engine("a"); SpaNamespace b = engine("b")) {
            assertThat(a.hostId()).isNotEqualTo(b.hostId());
            Pool pool = a.createPool("ost1", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("a");
            long obj = write(pool, data);
            pool.sync();
            long synced = pool.syncedTxg();
            a.forceExport("ost1"); // labels still say ACTIVE, host a
            ImportablePool seen = b.scan(List.of(devs.toString())).pools().get(0);
            assertThat(seen.state()).isEqualTo("ACTIVE");
            assertThat(seen.problems()).anyMatch(p -> p.contains(String.format("%08x", a.hostId())));
            assertThatThrownBy(() -> b.importPool("ost1", in(devs)))
                    .hasMessageContaining("in use by host")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE);
            Pool taken = b.importPool("ost1", in(devs).withForce(true));
            // imported at the last synced txg; the import then writes one txg to claim the labels
            assertThat(taken.events()).anyMatch(e -> e.type().equals("imported") && e.detail().equals("at txg " + synced));
            assertThat(taken.syncedTxg()).isEqualTo(synced + 1);
            assertThat(read(taken, obj, data.length)).isEqualTo(data);
        }
    }

    @Test
    void missing_mirror_child_imports_degraded_missing_top_level_is_refused_pos() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 3);
        try (SpaNamespace a = engine("a")) {
            a.createPool("m", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)), Map.of(), false);
            a.exportPool("m", false);
            a.createPool("s", VdevLayout.parse(d.get(2)), Map.of(), false);
            a.exportPool("s", false);
            Files.delete(Path.of(d.get(1)));
            Files.delete(Path.of(d.get(2)));
            Pool m = a.importPool("m", in(devs));
            assertThat(m.health()).isEqualTo(Health.DEGRADED);
            a.exportPool("m", false);
            // pool "s" has no device left: it is not in the scan at all; name it by its only device's dir
            assertThat(a.scan(List.of(devs.toString())).pools()).extracting(ImportablePool::name).containsExactly("m");
        }
        Path stripe = Files.createDirectories(dir.resolve("stripe"));
        List<String> s = TestPools.devices(stripe, 2);
        try (SpaNamespace a = engine("a")) {
            a.createPool("st", VdevLayout.parse(s.get(0) + " " + s.get(1)), Map.of(), false);
            a.exportPool("st", false);
            Files.delete(Path.of(s.get(1)));
            assertThat(a.scan(List.of(stripe.toString())).pools().get(0).importable()).isFalse();
            assertThatThrownBy(() -> a.importPool("st", in(stripe)))
                    .hasMessageContaining(s.get(1))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.MISSING_VDEV);
        }
    }

    @Test
    void damaged_newest_txg_needs_rewind_and_txg_option_pins_a_txg_pos() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 1);
        byte[] first = TestPools.randomBytes(new Random(3), 50_000).array();
        long obj;
        long goodTxg;
        try (SpaNamespace a = engine("a")) {
            Pool pool = a.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            pool.createDataset("a");
            obj = write(pool, first);
            pool.sync();
            goodTxg = pool.syncedTxg();
            write(pool, new byte[1000]);
            a.exportPool("tank", false);
        }
        Uberblock newest;
        try (var dev = drivers.file.open(d.get(0), true)) {
            newest = LabelReader.read(dev).bestUberblock().orElseThrow().uberblock();
        }
        assertThat(newest.txg()).isGreaterThan(goodTxg);
        try (FileChannel ch = FileChannel.open(Path.of(d.get(0)), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), newest.rootBp().offset() + 16);
        }
        try (SpaNamespace a = engine("a")) {
            assertThatThrownBy(() -> a.importPool("tank", in(devs)))
                    .hasMessageContaining("rewind=true")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);
            Pool pinned = a.importPool("tank", in(devs).withTxg(goodTxg));
            assertThat(pinned.readOnly()).isTrue();
            assertThat(pinned.syncedTxg()).isEqualTo(goodTxg);
            assertThat(read(pinned, obj, first.length)).isEqualTo(first);
            a.exportPool("tank", false);
            Pool rewound = a.importPool("tank", in(devs).withRewind(true));
            assertThat(rewound.events()).extracting(e -> e.type()).contains("rewound");
            assertThat(read(rewound, obj, first.length)).isEqualTo(first);
            rewound.sync();
            a.exportPool("tank", false);
            // after the rewind, the pool's newest txg verifies again
            assertThat(a.importPool("tank", in(devs)).events()).extracting(e -> e.type()).doesNotContain("rewound");
        }
    }

    @Test
    void cache_file_reimports_on_start_but_never_a_pool_held_by_another_host_pos() throws Exception {
        Path devs = Files.createDirectories(dir.resolve("devs"));
        List<String> d = TestPools.devices(devs, 1);
        try (SpaNamespace a = engine("a")) {
            a.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            assertThat(CacheFile.read(dir.resolve("a").resolve(EngineSettings.CACHE_FILE)))
                    .extracting(CacheFile.Entry::name).containsExactly("tank");
        }
        try (SpaNamespace a = engine("a")) {
            assertThat(a.pools()).containsExactly("tank");
            // host b takes the pool over while a still lists it in its cache
            a.forceExport("tank");
        }
        CacheFile.write(dir.resolve("a").resolve(EngineSettings.CACHE_FILE),
                List.of(new CacheFile.Entry("tank", 0, List.of(d.get(0)))));
        try (SpaNamespace b = engine("b")) {
            b.importPool("tank", in(devs).withForce(true));
            long guid = b.pool("tank").orElseThrow().guid();
            CacheFile.write(dir.resolve("a").resolve(EngineSettings.CACHE_FILE),
                    List.of(new CacheFile.Entry("tank", guid, List.of(d.get(0)))));
            try (SpaNamespace a = engine("a")) {
                assertThat(a.pools()).isEmpty();
                assertThat(CacheFile.read(dir.resolve("a").resolve(EngineSettings.CACHE_FILE))).isEmpty();
            }
            assertThat(b.pools()).containsExactly("tank");
        }
    }

    @Test
    void explicit_export_drops_the_pool_from_the_cache_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (SpaNamespace a = engine("a")) {
            a.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
            a.exportPool("tank", false);
            assertThat(CacheFile.read(dir.resolve("a").resolve(EngineSettings.CACHE_FILE))).isEmpty();
        }
    }

    @Test
    void import_options_parse_and_refuse_bad_input_neg() {
        ImportOptions o = ImportOptions.parse("force=true,readonly=on,rename=x,dir=/a,dir=/b,rewind=yes,txg=7");
        assertThat(o.force()).isTrue();
        assertThat(o.readOnly()).isTrue();
        assertThat(o.newName()).isEqualTo("x");
        assertThat(o.dirs()).containsExactly("/a", "/b");
        assertThat(o.rewind()).isTrue();
        assertThat(o.txg()).isEqualTo(7);
        assertThatThrownBy(() -> ImportOptions.parse("colour=red")).hasMessageContaining("unknown import option");
        assertThatThrownBy(() -> ImportOptions.parse("force=maybe")).hasMessageContaining("true or false");
        assertThatThrownBy(() -> ImportOptions.parse("txg=soon")).hasMessageContaining("number");
    }
}
