package org.tarn.engine.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.tarn.api.Dataset;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.ImportablePool;
import org.tarn.api.Pool;
import org.tarn.api.PoolManager;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.api.VdevStatus;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.label.LabelLayout;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Label and uberblock fuzzing through the engine's API: the devices of a pool
 * with a known history (and of another pool) are damaged at random — bit flips
 * in labels and uberblock rings, zeroed rings and configs, truncation, data
 * corruption, a device swapped for another pool's, a missing device — and the
 * engine scans and imports them (read-only, forced, with and without rewind).
 * Whatever it finds, it answers within a deadline with a pool or a
 * {@link TarnException} with a message; a pool it imports is at a txg that was
 * synced, and every byte it returns is the model's at that txg (a block it
 * cannot verify fails with an error, never with other bytes). A read-only
 * import writes nothing. After each try the damage is undone.
 */
class ImportFuzzTest {
    private static final long DEVICE_BYTES = LabelLayout.MIN_DEVICE_BYTES + LabelLayout.LABEL_BYTES + 4096;
    private static final int POOL_DEVICES = 4;
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private static Path dir;
    private static List<Path> poolFiles;
    private static Path foreignFile;
    private static PoolManager engine;
    private static AutoCloseable engineCloser;
    private static long poolGuid;
    private static final List<Change> JOURNAL = new ArrayList<>();
    private static long datasetTxg;
    private static long newestTxg;
    private static final Map<Path, Long> SUMS = new TreeMap<>();
    private static int view;

    /** One change of the pool's history, in the txg it landed in. */
    record Change(long txg, long id, long offset, byte[] data) {
    }

    sealed interface Damage permits Flip, ZeroRing, ZeroConfig, Truncate, DataFlip, Swap, Missing {
    }

    /** Flips a bit at {@code offset} inside label {@code label} of device {@code device}. */
    record Flip(int device, int label, int offset, int bit) implements Damage {
    }

    record ZeroRing(int device, int label) implements Damage {
    }

    record ZeroConfig(int device, int label) implements Damage {
    }

    record Truncate(int device, long newSize) implements Damage {
    }

    /** Flips a bit in the data region, where blocks live. */
    record DataFlip(int device, long offset, int bit) implements Damage {
    }

    /** The device is replaced by the other pool's device. */
    record Swap(int device) implements Damage {
    }

    record Missing(int device) implements Damage {
    }

    @BeforeContainer
    static void createPools() throws Exception {
        dir = Files.createTempDirectory("tarn-import-fuzz-");
        poolFiles = new ArrayList<>();
        for (int i = 0; i < POOL_DEVICES; i++) {
            poolFiles.add(FileVdevDriver.createSparseFile(dir.resolve("pool/a" + i), DEVICE_BYTES));
        }
        foreignFile = FileVdevDriver.createSparseFile(dir.resolve("pool/b0"), DEVICE_BYTES);
        var started = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(5000),
                List.of(new FileVdevDriver()));
        engine = started;
        engineCloser = started;

        Pool b = engine.createPool("other", VdevLayout.parse(foreignFile.toString()), Map.of(), false);
        b.createDataset("x");
        engine.exportPool("other", false);

        Pool a = engine.createPool("fuzz", VdevLayout.parse("mirror " + poolFiles.get(0) + " " + poolFiles.get(1)
                + " mirror " + poolFiles.get(2) + " " + poolFiles.get(3)), Map.of(org.tarn.api.PoolProperty.RECORD_SIZE_BYTES, "16384"), false);
        poolGuid = a.guid();
        a.createDataset("ds");
        a.sync();
        datasetTxg = a.syncedTxg();
        java.util.Random r = new java.util.Random(11);
        List<Long> ids = new ArrayList<>();
        try (Dataset ds = a.openDataset("ds")) {
            for (int round = 0; round < 6; round++) {
                try (Transaction tx = a.begin()) {
                    if (ids.size() < 4) {
                        long id = ds.createObject(tx);
                        ids.add(id);
                        JOURNAL.add(new Change(tx.txg(), id, -1, null));
                    }
                    for (int k = 0; k < 3; k++) {
                        long id = ids.get(r.nextInt(ids.size()));
                        byte[] data = new byte[1 + r.nextInt(50_000)];
                        r.nextBytes(data);
                        long offset = r.nextInt(100_000);
                        ds.write(tx, id, offset, ByteBuffer.wrap(data));
                        JOURNAL.add(new Change(tx.txg(), id, offset, data));
                    }
                }
                a.sync();
            }
        }
        engine.exportPool("fuzz", false);
        newestTxg = a.syncedTxg();
        for (Path p : allFiles()) {
            SUMS.put(p, crc(p));
        }
    }

    @AfterContainer
    static void cleanUp() throws Exception {
        if (engineCloser != null) {
            engineCloser.close();
        }
        if (dir != null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Property(tries = 30)
    void scan_and_import_of_damaged_devices_give_a_synced_txg_or_a_clear_error_pos(
            @ForAll("damages") @Size(max = 5) List<Damage> damages, @ForAll boolean rewind) throws Exception {
        Path viewDir = Files.createDirectories(dir.resolve("view-" + (view++)));
        Deque<Runnable> undo = new ArrayDeque<>();
        try {
            // one device at most is swapped for the other pool's (which has one device)
            int swappedDevice = damages.stream().filter(d -> d instanceof Swap).map(d -> ((Swap) d).device())
                    .findFirst().orElse(-1);
            for (int i = 0; i < POOL_DEVICES; i++) {
                int device = i;
                if (damages.stream().anyMatch(d -> d instanceof Missing m && m.device() == device)) {
                    continue;
                }
                boolean swapped = device == swappedDevice;
                Files.createSymbolicLink(viewDir.resolve("d" + i), swapped ? foreignFile : poolFiles.get(i));
            }
            for (Damage d : damages) {
                apply(d, undo);
            }
            assertTimeoutPreemptively(DEADLINE, () -> scanAndImport(viewDir, damages, rewind),
                    () -> "scan and import did not answer within " + DEADLINE + " after " + damages);
        } finally {
            while (!undo.isEmpty()) {
                undo.pop().run();
            }
        }
        for (Path p : allFiles()) {
            assertThat(crc(p)).as("%s after undoing %s: the read-only import wrote nothing", p, damages)
                    .isEqualTo(SUMS.get(p));
        }
    }

    private static void scanAndImport(Path viewDir, List<Damage> damages, boolean rewind) {
        ImportScan scan = engine.scan(List.of(viewDir.toString()));
        Set<String> accounted = new HashSet<>();
        scan.skipped().forEach(s -> {
            assertThat(s.reason()).as("skip reason of %s", s.path()).isNotBlank();
            accounted.add(s.path());
        });
        String problems = "";
        for (ImportablePool p : scan.pools()) {
            collectPaths(p.vdevTree(), accounted);
            problems += String.join("\n", p.problems()) + "\n";
        }
        try (Stream<Path> entries = Files.list(viewDir)) {
            for (Path e : entries.toList()) {
                boolean named = accounted.contains(e.toString()) || problems.contains(e + " ");
                assertThat(named).as("%s after %s: in a pool's tree or problems, or skipped (%s)", e, damages, scan)
                        .isTrue();
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }

        Pool pool;
        try {
            pool = engine.importPool(Long.toUnsignedString(poolGuid),
                    ImportOptions.parse("readonly=true,force=true,dir=" + viewDir + (rewind ? ",rewind=true" : "")));
        } catch (TarnException e) {
            assertThat(e.getMessage()).as("the refusal of the import after %s", damages).isNotBlank();
            assertThat(damages).as("an import of undamaged devices must not fail: %s", e.getMessage()).isNotEmpty();
            return;
        }
        try {
            long txg = pool.syncedTxg();
            String ctx = "imported at txg " + txg + " after " + damages;
            assertThat(txg).as(ctx).isLessThanOrEqualTo(newestTxg);
            if (damages.isEmpty()) {
                assertThat(txg).as(ctx).isEqualTo(newestTxg);
            }
            verify(pool, txg, ctx);
        } finally {
            engine.exportPool(pool.name(), false);
        }
    }

    private static void collectPaths(VdevStatus v, Set<String> into) {
        if (v.children().isEmpty()) {
            into.add(v.path());
        }
        v.children().forEach(c -> collectPaths(c, into));
    }

    /** Every byte read is the model's at {@code txg}; a block that does not verify may fail, never lie. */
    private static void verify(Pool pool, long txg, String ctx) {
        if (txg < datasetTxg) {
            assertThat(pool.datasets()).as(ctx).isEmpty();
            return;
        }
        Map<Long, byte[]> model = new TreeMap<>();
        for (Change c : JOURNAL) {
            if (c.txg() > txg) {
                continue;
            }
            if (c.data() == null) {
                model.put(c.id(), new byte[0]);
            } else {
                byte[] cur = model.get(c.id());
                int end = (int) (c.offset() + c.data().length);
                if (end > cur.length) {
                    cur = Arrays.copyOf(cur, end);
                    model.put(c.id(), cur);
                }
                System.arraycopy(c.data(), 0, cur, (int) c.offset(), c.data().length);
            }
        }
        try {
            assertThat(pool.datasets()).as(ctx).containsExactly("ds");
            try (Dataset ds = pool.openDataset("ds")) {
                assertThat(ds.objects()).as(ctx).containsExactlyElementsOf(model.keySet());
                for (Map.Entry<Long, byte[]> e : model.entrySet()) {
                    byte[] want = e.getValue();
                    assertThat(ds.size(e.getKey())).as(ctx).isEqualTo(want.length);
                    ByteBuffer got = ByteBuffer.allocate(want.length);
                    while (got.hasRemaining() && ds.read(e.getKey(), got.position(), got) > 0) {
                        // read on
                    }
                    assertThat(Arrays.mismatch(want, got.array())).as("%s: object %d", ctx, e.getKey()).isEqualTo(-1);
                }
            }
        } catch (TarnException e) {
            assertThat(e.getMessage()).as("%s: a read that failed", ctx).isNotBlank();
        }
    }

    // ---- damage ------------------------------------------------------------------

    private static void apply(Damage d, Deque<Runnable> undo) throws IOException {
        if (d instanceof Flip f) {
            long at = labelOffset(f.label()) + f.offset();
            flipBit(poolFiles.get(f.device()), at, f.bit(), undo);
        } else if (d instanceof DataFlip f) {
            flipBit(poolFiles.get(f.device()), f.offset(), f.bit(), undo);
        } else if (d instanceof ZeroRing z) {
            zero(poolFiles.get(z.device()), labelOffset(z.label()) + LabelLayout.UBERBLOCK_RING_OFFSET,
                    LabelLayout.UBERBLOCK_RING_BYTES, undo);
        } else if (d instanceof ZeroConfig z) {
            zero(poolFiles.get(z.device()), labelOffset(z.label()), LabelLayout.CONFIG_BYTES, undo);
        } else if (d instanceof Truncate t) {
            Path file = poolFiles.get(t.device());
            long size = Files.size(file);
            if (t.newSize() < size) {
                byte[] tail = read(file, t.newSize(), (int) (size - t.newSize()));
                try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    c.truncate(t.newSize());
                }
                undo.push(() -> write(file, t.newSize(), tail));
            }
        }
        // Swap and Missing act on the view only
    }

    private static void flipBit(Path file, long at, int bit, Deque<Runnable> undo) throws IOException {
        if (at < 0 || at >= Files.size(file)) {
            return;
        }
        byte[] old = read(file, at, 1);
        write(file, at, new byte[] {(byte) (old[0] ^ (1 << bit))});
        undo.push(() -> write(file, at, old));
    }

    private static void zero(Path file, long at, int length, Deque<Runnable> undo) throws IOException {
        if (at < 0 || at + length > Files.size(file)) {
            return;
        }
        byte[] old = read(file, at, length);
        write(file, at, new byte[length]);
        undo.push(() -> write(file, at, old));
    }

    private static byte[] read(Path file, long at, int length) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            while (b.hasRemaining() && c.read(b, at + b.position()) > 0) {
                // read on
            }
            return b.array();
        }
    }

    private static void write(Path file, long at, byte[] bytes) {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                c.write(b, at + b.position());
            }
        } catch (IOException e) {
            throw new AssertionError("cannot undo damage to " + file, e);
        }
    }

    private static long labelOffset(int label) {
        return LabelLayout.labelOffset(DEVICE_BYTES, label);
    }

    private static List<Path> allFiles() {
        List<Path> all = new ArrayList<>(poolFiles);
        all.add(foreignFile);
        return all;
    }

    private static long crc(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(Files.readAllBytes(file));
        return crc.getValue();
    }

    // ---- generators ----------------------------------------------------------------

    @Provide
    Arbitrary<List<Damage>> damages() {
        Arbitrary<Integer> device = Arbitraries.integers().between(0, POOL_DEVICES - 1);
        Arbitrary<Integer> label = Arbitraries.integers().between(0, LabelLayout.LABEL_COUNT - 1);
        Arbitrary<Integer> bit = Arbitraries.integers().between(0, 7);
        Arbitrary<Integer> offset = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 8191),
                Arbitraries.integers().between(LabelLayout.UBERBLOCK_RING_OFFSET,
                        LabelLayout.UBERBLOCK_RING_OFFSET + 64 * LabelLayout.UBERBLOCK_SLOT_BYTES - 1),
                Arbitraries.integers().between(0, LabelLayout.LABEL_BYTES - 1));
        Arbitrary<Damage> flip = Combinators.combine(device, label, offset, bit).as(Flip::new);
        Arbitrary<Damage> dataFlip = Combinators.combine(device,
                Arbitraries.longs().between(LabelLayout.dataStartBytes(), LabelLayout.dataStartBytes() + (2 << 20)),
                bit).as(DataFlip::new);
        Arbitrary<Damage> truncate = Combinators.combine(device, Arbitraries.longs().between(0, DEVICE_BYTES - 1))
                .as(Truncate::new);
        return Arbitraries.frequencyOf(
                Tuple.of(10, flip),
                Tuple.of(3, Combinators.combine(device, label).as(ZeroRing::new)),
                Tuple.of(2, Combinators.combine(device, label).as(ZeroConfig::new)),
                Tuple.of(2, truncate),
                Tuple.of(3, dataFlip),
                Tuple.of(1, device.map(Swap::new)),
                Tuple.of(1, device.map(Missing::new))).list();
    }
}
