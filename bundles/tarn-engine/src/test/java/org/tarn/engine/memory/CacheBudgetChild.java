package org.tarn.engine.memory;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.tarn.api.BlockCacheStats;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The child JVM of {@link CacheBudgetTest}: {@code CacheBudgetChild DIR MIB}
 * starts an engine with the default block cache budget, creates two pools,
 * writes MIB MiB into each in 1 MiB transactions and reads everything back
 * twice, comparing. Prints {@code OK maxHeap budget size hits evictions}
 * (the engine's cache counters) and exits 0; anything else exits non-zero.
 */
public final class CacheBudgetChild {
    static final int CHUNK = 1 << 20;

    private CacheBudgetChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int mib = Integer.parseInt(args[1]);
        Files.createDirectories(dir);
        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()))) {
            Pool[] pools = new Pool[2];
            long[] objects = new long[2];
            for (int p = 0; p < 2; p++) {
                String dev = FileVdevDriver.createSparseFile(dir.resolve("d" + p), (long) (mib + 32) << 20)
                        .toString();
                pools[p] = engine.createPool("p" + p, VdevLayout.parse(dev), Map.of(), false);
                pools[p].createDataset("data");
                try (Dataset ds = pools[p].openDataset("data")) {
                    byte[] chunk = new byte[CHUNK];
                    Random random = new Random(p);
                    for (int i = 0; i < mib; i++) {
                        random.nextBytes(chunk);
                        try (Transaction tx = pools[p].begin()) {
                            if (i == 0) {
                                objects[p] = ds.createObject(tx);
                            }
                            ds.write(tx, objects[p], (long) i * CHUNK, ByteBuffer.wrap(chunk));
                        }
                    }
                }
                pools[p].sync();
            }
            for (int round = 0; round < 2; round++) {
                for (int p = 0; p < 2; p++) {
                    try (Dataset ds = pools[p].openDataset("data")) {
                        byte[] expected = new byte[CHUNK];
                        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
                        Random random = new Random(p);
                        for (int i = 0; i < mib; i++) {
                            random.nextBytes(expected);
                            buf.clear();
                            ds.read(objects[p], (long) i * CHUNK, buf);
                            if (!Arrays.equals(expected, buf.array())) {
                                System.out.println("MISMATCH pool p" + p + " MiB " + i);
                                System.exit(2);
                            }
                        }
                    }
                }
            }
            BlockCacheStats s = engine.blockCacheStats();
            System.out.println("OK " + Runtime.getRuntime().maxMemory() + " " + s.budgetBytes() + " "
                    + s.sizeBytes() + " " + s.hits() + " " + s.evictions());
        }
    }
}
