package org.tarn.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.ScanStatus;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Resilver and scrub throughput against raw copies and reads of the same
 * bytes, and foreground writes during a scrub against writes without one
 * (docs/PERFORMANCE.md, "Resilver and scrub"). Arguments: {@code DIR
 * [MiB [runs]]}; prints a Markdown table.
 */
public final class ScanBench {
    private static final int MIB = 1 << 20;

    private ScanBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Files.createDirectories(dir);
        List<double[]> resilver = new ArrayList<>();
        List<double[]> scrub = new ArrayList<>();
        List<double[]> foreground = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            double[] res = new double[2];
            double[] scr = new double[2];
            double[] fg = new double[2];
            runOnce(dir.resolve("run" + r), mib, res, scr, fg);
            resilver.add(res);
            scrub.add(scr);
            foreground.add(fg);
            System.err.printf(Locale.ROOT, "run %d: resilver %.0f MiB/s (raw copy %.0f), scrub %.0f MiB/s (raw read "
                    + "%.0f), writes %.0f MiB/s during a scrub, %.0f without%n", r, res[0], res[1], scr[0], scr[1],
                    fg[0], fg[1]);
        }
        System.out.printf(Locale.ROOT, "| measurement (%d MiB, %d runs, medians) | Tarn MiB/s | baseline MiB/s | ratio |%n",
                mib, runs);
        System.out.println("|---|---:|---:|---:|");
        row("resilver of a mirror side vs raw copy", resilver);
        row("scrub of a two-way mirror vs raw read of both sides", scrub);
        row("foreground writes during a scrub (default throttle) vs without", foreground);
    }

    private static void row(String name, List<double[]> values) {
        double a = median(values.stream().mapToDouble(v -> v[0]).toArray());
        double b = median(values.stream().mapToDouble(v -> v[1]).toArray());
        double ratio = median(values.stream().mapToDouble(v -> v[0] / v[1]).toArray());
        System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.2f |%n", name, a, b, ratio);
    }

    private static double median(double[] v) {
        java.util.Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void runOnce(Path dir, int mib, double[] resilver, double[] scrub, double[] foreground)
            throws Exception {
        Files.createDirectories(dir);
        long deviceBytes = (long) mib * MIB * 3 / 2 + 256L * MIB;
        Path a = FileVdevDriver.createSparseFile(dir.resolve("a"), deviceBytes);
        Path b = FileVdevDriver.createSparseFile(dir.resolve("b"), deviceBytes);
        Random rnd = new Random(1);
        byte[] chunk = new byte[MIB];
        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()))) {
            Pool pool = engine.createPool("bench", VdevLayout.parse("mirror " + a + " " + b), Map.of(), false);
            pool.createDataset("d");
            pool.offline(b.toString(), false);
            try (Dataset ds = pool.openDataset("d")) {
                long obj;
                try (Transaction tx = pool.begin()) {
                    obj = ds.createObject(tx);
                }
                for (int i = 0; i < mib; i++) {
                    rnd.nextBytes(chunk);
                    try (Transaction tx = pool.begin()) {
                        ds.write(tx, obj, (long) i * MIB, ByteBuffer.wrap(chunk));
                    }
                }
            }
            pool.sync();
            // resilver: b missed every txg with data
            long t0 = System.nanoTime();
            pool.online(b.toString());
            waitFinished(pool, ScanStatus.RESILVER);
            double secs = (System.nanoTime() - t0) / 1e9;
            resilver[0] = pool.scanStatus().repairedBytes() / (double) MIB / secs;
            long copied = pool.scanStatus().repairedBytes();
            resilver[1] = rawCopy(a, dir.resolve("copy"), copied) / (double) MIB;
            // scrub: every block from both sides
            t0 = System.nanoTime();
            pool.scrub();
            waitFinished(pool, ScanStatus.SCRUB);
            secs = (System.nanoTime() - t0) / 1e9;
            long read = pool.scanStatus().issuedBytes();
            scrub[0] = read / (double) MIB / secs;
            scrub[1] = (rawRead(a, read / 2) + rawRead(b, read / 2)) / 2 / (double) MIB;
            // foreground writes with and without a scrub
            foreground[1] = writeRate(pool, Math.min(256, mib / 2), rnd);
            pool.scrub();
            foreground[0] = writeRate(pool, Math.min(256, mib / 2), rnd);
            if (pool.scanStatus().active()) {
                pool.stopScrub();
            }
            engine.destroyPool("bench", true);
        }
        Files.deleteIfExists(a);
        Files.deleteIfExists(b);
        Files.deleteIfExists(dir.resolve("copy"));
    }

    private static double writeRate(Pool pool, int mib, Random rnd) {
        byte[] chunk = new byte[MIB];
        long t0 = System.nanoTime();
        try (Dataset ds = pool.openDataset("d")) {
            long obj;
            try (Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
            }
            for (int i = 0; i < mib; i++) {
                rnd.nextBytes(chunk);
                try (Transaction tx = pool.begin()) {
                    ds.write(tx, obj, (long) i * MIB, ByteBuffer.wrap(chunk));
                }
            }
        }
        pool.sync();
        return mib / ((System.nanoTime() - t0) / 1e9);
    }

    private static void waitFinished(Pool pool, String function) throws InterruptedException {
        while (!(function.equals(pool.scanStatus().function())
                && ScanStatus.FINISHED.equals(pool.scanStatus().state()))) {
            Thread.sleep(5);
        }
    }

    /** Bytes per second of copying {@code bytes} from the data region of {@code from} to a new file. */
    private static double rawCopy(Path from, Path to, long bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(MIB);
        long t0 = System.nanoTime();
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long off = 0; off < bytes; off += MIB) {
                buf.clear();
                in.read(buf, 4L * MIB + off);
                buf.flip();
                out.write(buf, off);
            }
            out.force(true);
        }
        return bytes / ((System.nanoTime() - t0) / 1e9);
    }

    /** Bytes per second of reading {@code bytes} sequentially from the data region of a device file. */
    private static double rawRead(Path file, long bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(MIB);
        long t0 = System.nanoTime();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long off = 0; off < bytes; off += MIB) {
                buf.clear();
                in.read(buf, 4L * MIB + off);
            }
        }
        return bytes / ((System.nanoTime() - t0) / 1e9);
    }
}
