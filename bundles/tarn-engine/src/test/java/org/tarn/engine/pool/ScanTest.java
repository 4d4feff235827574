package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.DataError;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.ScanStatus;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.api.VdevStatus;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;
import org.tarn.engine.label.LabelLayout;
import org.tarn.vdev.fault.FaultRule;

/** Scrub (verify, repair, error list, pause/resume/stop) and resilver restart across export and import. */
class ScanTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();
    private final Random rnd = new Random(7);
    private final List<Long> objects = new ArrayList<>();
    private final List<byte[]> contents = new ArrayList<>();

    private void write(Pool pool, int n, int size) {
        try (Dataset ds = pool.openDataset("a")) {
            for (int i = 0; i < n; i++) {
                byte[] data = TestPools.randomBytes(rnd, size).array();
                try (Transaction tx = pool.begin()) {
                    long obj = ds.createObject(tx);
                    ds.write(tx, obj, 0, ByteBuffer.wrap(data));
                    objects.add(obj);
                    contents.add(data);
                }
            }
        }
        pool.sync();
    }

    private void verify(Pool pool) {
        try (Dataset ds = pool.openDataset("a")) {
            for (int i = 0; i < objects.size(); i++) {
                ByteBuffer b = ByteBuffer.allocate(contents.get(i).length);
                ds.read(objects.get(i), 0, b);
                assertThat(b.array()).as("object %d", objects.get(i)).isEqualTo(contents.get(i));
            }
        }
    }

    private static void overwrite(String device, long offset, int length, long seed) throws IOException {
        byte[] junk = new byte[length];
        new Random(seed).nextBytes(junk);
        try (FileChannel ch = FileChannel.open(Path.of(device), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(junk), offset);
        }
    }

    /** Where the first 64 bytes of {@code data} sit on a device file (the block holding them), or -1. */
    private static long find(String device, byte[] data) throws IOException {
        byte[] all = Files.readAllBytes(Path.of(device));
        outer:
        for (int i = 0; i + 64 <= all.length; i += 512) {
            for (int j = 0; j < 64; j++) {
                if (all[i + j] != data[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static ScanStatus awaitScan(Pool pool, String function) {
        await().atMost(Duration.ofSeconds(30)).until(() -> function.equals(pool.scanStatus().function())
                && ScanStatus.FINISHED.equals(pool.scanStatus().state()));
        return pool.scanStatus();
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
    void scrub_repairs_a_damaged_side_from_the_good_one_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)), Map.of(),
                    false);
            pool.createDataset("a");
            write(pool, 6, 256 * 1024);
            // everything the pool wrote so far sits in the first MiBs of the data region: damage it on d1
            overwrite(d.get(1), LabelLayout.dataStartBytes(), 4 << 20, 1);
            pool.scrub();
            ScanStatus s = awaitScan(pool, ScanStatus.SCRUB);
            assertThat(s.repairedBytes()).isPositive();
            assertThat(s.errors()).isZero();
            assertThat(s.examinedBytes()).isGreaterThanOrEqualTo(6L * 256 * 1024);
            assertThat(pool.dataErrors()).isEmpty();
            assertThat(leaf(pool, d.get(1)).checksumErrors()).isPositive();
            assertThat(leaf(pool, d.get(0)).checksumErrors()).isZero();
            assertThat(pool.events()).extracting(PoolEvent::type).contains(PoolEvent.SCRUB_STARTED,
                    PoolEvent.SCRUB_FINISHED);
            assertThat(pool.history()).extracting(h -> h.command()).contains("scrub tank");
            // the repaired side alone serves every block (after an import: nothing cached)
            engine.exportPool("tank", false);
            Pool again = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            again.offline(d.get(0), true);
            verify(again);
            again.online(d.get(0));
            await().atMost(Duration.ofSeconds(30)).until(() -> !again.vdevTree().missesTxgs());
            again.scrub();
            assertThat(awaitScan(again, ScanStatus.SCRUB).repairedBytes()).isZero();
            assertThat(again.dataErrors()).isEmpty();
        }
    }

    @Test
    void scrub_lists_a_block_damaged_on_both_sides_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)), Map.of(),
                    false);
            pool.createDataset("a");
            write(pool, 3, 128 * 1024);
            byte[] victim = contents.get(1);
            long at0 = find(d.get(0), victim);
            long at1 = find(d.get(1), victim);
            assertThat(at0).isPositive().isEqualTo(at1);
            overwrite(d.get(0), at0, 4096, 2);
            overwrite(d.get(1), at1, 4096, 3);
            pool.scrub();
            ScanStatus s = awaitScan(pool, ScanStatus.SCRUB);
            assertThat(s.errors()).isEqualTo(1);
            List<DataError> errors = pool.dataErrors();
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0).dataset()).isEqualTo("a");
            assertThat(errors.get(0).object()).isEqualTo(objects.get(1));
            assertThat(errors.get(0).toString()).contains("a:<0x" + Long.toHexString(objects.get(1)) + ">");
            assertThat(leaf(pool, d.get(0)).checksumErrors()).isPositive();
            assertThat(leaf(pool, d.get(1)).checksumErrors()).isPositive();
            // the error list survives an export and import (it is kept in the pool)
            engine.exportPool("tank", false);
            Pool again = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            assertThat(again.dataErrors()).extracting(DataError::object).containsExactly(objects.get(1));
        }
    }

    @Test
    void scrub_pause_resume_stop_and_refusals_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        String f0 = "fault:" + d.get(0);
        String f1 = "fault:" + d.get(1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + f0 + " " + f1), Map.of(), false);
            pool.createDataset("a");
            write(pool, 8, 256 * 1024);
            assertThatThrownBy(pool::pauseScrub).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            assertThatThrownBy(pool::stopScrub).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            // slow reads: the scrub is still running when the commands below arrive
            drivers.fault.injector(f0).add(FaultRule.latency(300).on(FaultRule.Op.READ));
            drivers.fault.injector(f1).add(FaultRule.latency(300).on(FaultRule.Op.READ));
            pool.scrub();
            assertThatThrownBy(pool::scrub).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.IN_PROGRESS));
            pool.pauseScrub();
            assertThat(pool.scanStatus().state()).isEqualTo(ScanStatus.PAUSED);
            assertThatThrownBy(pool::pauseScrub).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            pool.scrub(); // resumes
            assertThat(pool.scanStatus().state()).isEqualTo(ScanStatus.SCANNING);
            pool.stopScrub();
            assertThat(pool.scanStatus().state()).isEqualTo(ScanStatus.CANCELED);
            assertThat(pool.events()).extracting(PoolEvent::type).contains(PoolEvent.SCRUB_PAUSED,
                    PoolEvent.SCRUB_CANCELED);
            // a paused scrub stays paused across an export and import, and resumes there
            pool.scrub();
            pool.pauseScrub();
            drivers.fault.injector(f0).clear();
            drivers.fault.injector(f1).clear();
            engine.exportPool("tank", false);
            Pool again = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            assertThat(again.scanStatus().state()).isEqualTo(ScanStatus.PAUSED);
            again.scrub();
            ScanStatus s = awaitScan(again, ScanStatus.SCRUB);
            assertThat(s.errors()).isZero();
            assertThat(s.examinedBytes()).isGreaterThanOrEqualTo(8L * 256 * 1024);
            engine.exportPool("tank", false);
            Pool readOnly = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString()))
                    .withReadOnly(true));
            assertThatThrownBy(readOnly::scrub).isInstanceOfSatisfying(TarnException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.READ_ONLY));
        }
    }

    @Test
    void a_resilver_resumes_after_export_and_import_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        String f1 = "fault:" + d.get(1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + f1), Map.of(), false);
            pool.createDataset("a");
            pool.offline(f1, false);
            write(pool, 8, 1 << 20);
            // the copy to f1 is slow: the export below interrupts it
            drivers.fault.injector(f1).add(FaultRule.latency(200).on(FaultRule.Op.WRITE));
            pool.online(f1);
            assertThat(pool.scanStatus().function()).isEqualTo(ScanStatus.RESILVER);
            assertThat(pool.scanStatus().state()).isEqualTo(ScanStatus.SCANNING);
            engine.exportPool("tank", false);
            drivers.fault.injector(f1).clear();
        }
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            await().atMost(Duration.ofSeconds(30)).until(() -> !pool.vdevTree().missesTxgs());
            assertThat(pool.events()).filteredOn(e -> e.type().equals(PoolEvent.RESILVER_STARTED))
                    .extracting(PoolEvent::detail).anyMatch(x -> x.contains("resumed after import"));
            assertThat(pool.scanStatus().state()).isEqualTo(ScanStatus.FINISHED);
            pool.offline(d.get(0), true);
            verify(pool);
        }
    }
}
