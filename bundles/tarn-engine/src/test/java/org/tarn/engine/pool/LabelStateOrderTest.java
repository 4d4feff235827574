package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.GatedVdevDriver;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.engine.label.DeviceLabels;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelReader;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * What the labels say, and when: the state and properties another host reads
 * must describe what is on disk at every instant, whatever runs concurrently.
 */
class LabelStateOrderTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Map<String, String> MANUAL_SYNC = Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000");

    @TempDir
    Path dir;

    private final GatedVdevDriver gated = new GatedVdevDriver();

    private Engine engine() {
        return TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(5000), List.of(gated,
                new FileVdevDriver()));
    }

    private static DeviceLabels labels(String file) {
        try (BlockDevice dev = new FileVdevDriver().open(file, true)) {
            return LabelReader.read(dev);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long write(Pool pool, String dataset, byte[] data) {
        try (Dataset ds = pool.openDataset(dataset); Transaction tx = pool.begin()) {
            long obj = ds.createObject(tx);
            ds.write(tx, obj, 0, ByteBuffer.wrap(data));
            return obj;
        }
    }

    private static byte[] read(Pool pool, String dataset, long obj, int n) {
        try (Dataset ds = pool.openDataset(dataset)) {
            ByteBuffer b = ByteBuffer.allocate(n);
            ds.read(obj, 0, b);
            return b.array();
        }
    }

    @Test
    void export_writes_exported_only_after_every_earlier_txg_is_on_disk_pos() throws Exception {
        String file = TestPools.devices(dir, 1).get(0);
        byte[] first = TestPools.randomBytes(new java.util.Random(1), 40_000).array();
        byte[] second = TestPools.randomBytes(new java.util.Random(2), 40_000).array();
        long obj1;
        long obj2;
        List<String> timeline = new ArrayList<>();
        try (Engine engine = engine()) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(GatedVdevDriver.PREFIX + file), MANUAL_SYNC,
                    false);
            pool.createDataset("a");
            pool.sync();
            // txg T: one change, its sync stopped before its data reaches the disk
            obj1 = write(pool, "a", first);
            gated.closeBeforeNextDataWrite();
            CompletableFuture<Void> syncT = CompletableFuture.runAsync(pool::sync);
            await().atMost(WAIT).until(() -> gated.waiting() == 1);
            // txg T+1: a change committed before the export begins
            obj2 = write(pool, "a", second);
            Thread exporter = new Thread(() -> engine.exportPool("tank", false), "exporter");
            exporter.start();
            await().atMost(WAIT).until(() -> pool.state() == PoolState.EXPORTING
                    && exporter.getState() == Thread.State.TIMED_WAITING);
            // from here every write is recorded with what the labels say right after it
            gated.afterWrite(w -> {
                boolean exported = labels(file).validLabels().stream()
                        .anyMatch(l -> l.config().state() == PoolLabelState.EXPORTED);
                synchronized (timeline) {
                    timeline.add((w.label() ? "label" : "data") + (exported ? " EXPORTED" : ""));
                }
            });
            gated.open();
            syncT.get(20, TimeUnit.SECONDS);
            exporter.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(exporter.isAlive()).isFalse();
            assertThat(engine.pools()).isEmpty();
        }
        // no data was written after any label said EXPORTED: another host that saw EXPORTED saw it all
        int firstExported = -1;
        for (int i = 0; i < timeline.size(); i++) {
            if (timeline.get(i).endsWith("EXPORTED")) {
                firstExported = i;
                break;
            }
        }
        assertThat(firstExported).as("timeline %s", timeline).isGreaterThanOrEqualTo(0);
        assertThat(timeline.subList(firstExported, timeline.size())).as("timeline %s", timeline)
                .noneMatch(t -> t.startsWith("data"));
        try (Engine engine = engine()) {
            Pool again = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            assertThat(read(again, "a", obj1, first.length)).isEqualTo(first);
            assertThat(read(again, "a", obj2, second.length)).isEqualTo(second);
        }
    }

    @Test
    void read_only_export_reports_the_txg_on_disk_neg() throws Exception {
        String file = TestPools.devices(dir, 1).get(0);
        try (Engine engine = engine()) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(GatedVdevDriver.PREFIX + file), Map.of(), false);
            pool.sync();
            engine.exportPool("tank", false);
        }
        long onDisk = labels(file).bestUberblock().orElseThrow().uberblock().txg();
        try (Engine engine = engine()) {
            Pool ro = engine.importPool("tank", ImportOptions.parse("readonly=true,dir=" + dir));
            assertThat(ro.syncedTxg()).isEqualTo(onDisk);
            ro.sync(); // nothing to write: still the txg on disk
            engine.exportPool("tank", false);
            assertThat(ro.syncedTxg()).isEqualTo(onDisk);
            assertThat(ro.events()).extracting(PoolEvent::type, PoolEvent::detail)
                    .contains(org.assertj.core.groups.Tuple.tuple("exported", "at txg " + onDisk));
        }
        assertThat(labels(file).bestUberblock().orElseThrow().uberblock().txg()).isEqualTo(onDisk);
    }

    @Test
    void a_property_set_while_the_labels_are_written_reaches_them_with_the_next_sync_pos() throws Exception {
        String file = TestPools.devices(dir, 1).get(0);
        try (Engine engine = engine()) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(GatedVdevDriver.PREFIX + file), MANUAL_SYNC,
                    false);
            pool.setProperty(PoolProperty.COMMENT, "first");
            AtomicBoolean armed = new AtomicBoolean(true);
            AtomicReference<Throwable> hookFailure = new AtomicReference<>();
            // the config of this sync is encoded before its first label write: change it right then
            gated.afterWrite(w -> {
                if (w.label() && armed.compareAndSet(true, false)) {
                    try {
                        pool.setProperty(PoolProperty.COMMENT, "second");
                    } catch (RuntimeException e) {
                        hookFailure.set(e);
                    }
                }
            });
            pool.sync();
            assertThat(armed).isFalse();
            assertThat(hookFailure.get()).isNull();
            pool.sync();
            LabelConfig config = labels(file).bestConfig().orElseThrow();
            assertThat(config.properties()).containsEntry(PoolProperty.COMMENT, "second");
        }
    }

    @Test
    void a_txg_whose_uberblock_went_out_is_never_redone_only_its_labels_neg() throws Exception {
        String file = TestPools.devices(dir, 1).get(0);
        byte[] data = TestPools.randomBytes(new java.util.Random(3), 100_000).array();
        try (Engine engine = engine()) {
            Pool pool = engine.createPool("tank", VdevLayout.parse(GatedVdevDriver.PREFIX + file),
                    Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000", PoolProperty.FAILMODE, "continue"), false);
            pool.createDataset("a");
            pool.sync();
            long obj = write(pool, "a", data);
            long before = pool.syncedTxg();
            // the group's data and its first flush go through; its uberblock goes out; then every flush fails
            gated.failFlushesAfterNextLabelWrite();
            CompletableFuture<Void> failing = CompletableFuture.runAsync(pool::sync);
            await().atMost(WAIT).until(() -> pool.state() == PoolState.SUSPENDED);
            assertThat(pool.syncedTxg()).isEqualTo(before);
            int writesBefore = gated.writes().size();

            gated.healFlushes();
            pool.clear();
            await().atMost(WAIT).until(() -> pool.syncedTxg() > before);
            failing.handle((ok, e) -> null).get(20, TimeUnit.SECONDS);
            // the retry wrote labels only: the blocks the uberblock on the device points at were kept, not
            // freed, reallocated and written again
            List<GatedVdevDriver.Write> retry = gated.writes().subList(writesBefore, gated.writes().size());
            assertThat(retry).isNotEmpty().allMatch(GatedVdevDriver.Write::label);
            assertThat(read(pool, "a", obj, data.length)).isEqualTo(data);
            engine.exportPool("tank", false);
        }
        try (Engine engine = engine()) {
            Pool again = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())));
            assertThat(again.datasets()).containsExactly("a");
        }
    }
}
