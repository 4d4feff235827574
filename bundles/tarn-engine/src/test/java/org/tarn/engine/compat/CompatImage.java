package org.tarn.engine.compat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.PoolManager;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A small pool image written by one engine version and imported by later
 * ones ({@link CompatImageTest}): a mirror of two 64 MiB devices, pool
 * properties set, two datasets, objects written, partly overwritten, a
 * record rewritten as zeros (a hole) and an object freed, and one side taken
 * offline before the last writes, so the image carries a dirty time log.
 * The contents come from a fixed seed, so a reader regenerates what it must
 * find. Uses only tarn-api and {@code TarnEngine.start}, so it runs against
 * any engine version:
 * {@code java -cp <engine, api, file driver jars, test classes> org.tarn.engine.compat.CompatImage OUTDIR}
 * writes {@code d0.gz} and {@code d1.gz}.
 */
public final class CompatImage {
    static final String POOL = "compat";
    static final long DEVICE_BYTES = 64L * 1024 * 1024;
    static final long SEED = 20261203L;
    /** Object sizes in datasets "big" and "small". */
    static final int[] BIG = {300_000, 131_072, 7_000};
    static final int[] SMALL = {40_000, 4_096};
    /** Written after the second device went offline: missing on it, in its DTL. */
    static final int LATE = 90_000;

    private CompatImage() {
    }

    /** Bytes from a 16-symbol alphabet: compressible, never all zero (zeros would be holes). */
    static byte[] content(Random rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + rnd.nextInt(16));
        }
        return b;
    }

    /** What the image holds, regenerated from the seed: per dataset, its objects' final contents in order. */
    record Expected(List<byte[]> big, List<byte[]> small, byte[] late) {
    }

    static Expected expected() {
        Random rnd = new Random(SEED);
        List<byte[]> big = new java.util.ArrayList<>();
        for (int n : BIG) {
            big.add(content(rnd, n));
        }
        List<byte[]> small = new java.util.ArrayList<>();
        for (int n : SMALL) {
            small.add(content(rnd, n));
        }
        // the overwrite: 10,000 bytes at offset 5,000 of the first big object
        byte[] patch = content(rnd, 10_000);
        System.arraycopy(patch, 0, big.get(0), 5_000, patch.length);
        // its second record rewritten as zeros: a hole
        java.util.Arrays.fill(big.get(0), 131_072, 262_144, (byte) 0);
        byte[] late = content(rnd, LATE);
        // the second small object is freed
        small.remove(1);
        return new Expected(big, small, late);
    }

    public static void main(String[] args) throws Exception {
        Path out = Files.createDirectories(Path.of(args[0]));
        Path work = Files.createTempDirectory("tarn-compat");
        String d0 = work.resolve("d0").toString();
        String d1 = work.resolve("d1").toString();
        for (String d : List.of(d0, d1)) {
            try (RandomAccessFile f = new RandomAccessFile(d, "rw")) {
                f.setLength(DEVICE_BYTES);
            }
        }
        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()))) {
            write(engine, d0, d1);
        }
        for (String d : List.of("d0", "d1")) {
            try (InputStream in = Files.newInputStream(work.resolve(d));
                 OutputStream o = new GZIPOutputStream(Files.newOutputStream(out.resolve(d + ".gz")))) {
                in.transferTo(o);
            }
            Files.delete(work.resolve(d));
        }
        Files.delete(work);
    }

    private static void write(PoolManager engine, String d0, String d1) {
        Random rnd = new Random(SEED);
        Pool pool = engine.createPool(POOL, VdevLayout.parse("mirror " + d0 + " " + d1),
                Map.of("comment", "compat image", "failmode", "continue"), false);
        pool.createDataset("big");
        pool.createDataset("small");
        long[] big = new long[BIG.length];
        long[] small = new long[SMALL.length];
        try (Dataset b = pool.openDataset("big"); Dataset s = pool.openDataset("small")) {
            for (int i = 0; i < BIG.length; i++) {
                try (Transaction tx = pool.begin()) {
                    big[i] = b.createObject(tx);
                    b.write(tx, big[i], 0, ByteBuffer.wrap(content(rnd, BIG[i])));
                }
            }
            for (int i = 0; i < SMALL.length; i++) {
                try (Transaction tx = pool.begin()) {
                    small[i] = s.createObject(tx);
                    s.write(tx, small[i], 0, ByteBuffer.wrap(content(rnd, SMALL[i])));
                }
            }
            pool.sync();
            try (Transaction tx = pool.begin()) {
                b.write(tx, big[0], 5_000, ByteBuffer.wrap(content(rnd, 10_000)));
            }
            try (Transaction tx = pool.begin()) {
                b.write(tx, big[0], 131_072, ByteBuffer.allocate(131_072));
            }
            try (Transaction tx = pool.begin()) {
                s.freeObject(tx, small[1]);
            }
            pool.sync();
            pool.offline(d1, false);
            try (Transaction tx = pool.begin()) {
                long late = b.createObject(tx);
                b.write(tx, late, 0, ByteBuffer.wrap(content(rnd, LATE)));
            }
            pool.sync();
        }
        engine.exportPool(POOL, false);
    }

    /** Unpacks the image's devices into {@code dir}; returns their paths (d0, d1). */
    static List<Path> unpack(String resourceDir, Path dir) throws IOException {
        List<Path> out = new java.util.ArrayList<>();
        for (String d : List.of("d0", "d1")) {
            Path to = dir.resolve(d);
            try (InputStream in = new GZIPInputStream(CompatImage.class.getResourceAsStream(resourceDir + "/" + d
                    + ".gz"))) {
                Files.copy(in, to);
            }
            out.add(to);
        }
        return out;
    }
}
