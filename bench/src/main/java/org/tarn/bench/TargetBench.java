package org.tarn.bench;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.client.ClientSettings;
import org.tarn.client.TargetClient;
import org.tarn.client.TargetClients;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.target.protocol.TargetOp;
import org.tarn.target.server.TargetServer;
import org.tarn.target.server.TargetServerSettings;
import org.tarn.target.server.TargetServers;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The target protocol's throughput against the engine's: the same bytes, in
 * the same chunks, written (a) locally through the engine (one transaction
 * per chunk into a dataset) and (b) through the protocol (tarn-client, a
 * window of requests in flight, over loopback, to a target of the same
 * pool), each run ending with a sync that makes it durable. Runs alternate
 * (local, protocol, local, ...) in one JVM on one pool, so both see the same
 * machine; the report gives each run and the ratio of the medians.
 *
 * <p>Usage: {@code TargetBench --dir=DIR [--mib=256] [--chunk-kib=128] [--reps=3] [--in-flight=16]};
 * run it through {@code bench/run-targets.sh}. See docs/PERFORMANCE.md.
 */
public final class TargetBench {
    private TargetBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new java.util.HashMap<>(Map.of("mib", "256", "chunk-kib", "128", "reps", "3",
                "in-flight", "16", "dir", "bench-target-data"));
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) {
                System.err.println("usage: TargetBench --dir=DIR [--mib=256] [--chunk-kib=128] [--reps=3] "
                        + "[--in-flight=16]");
                System.exit(2);
            }
            o.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        long mib = Long.parseLong(o.get("mib"));
        int chunk = Integer.parseInt(o.get("chunk-kib")) * 1024;
        int reps = Integer.parseInt(o.get("reps"));
        int inFlight = Integer.parseInt(o.get("in-flight"));
        Path dir = Files.createDirectories(Path.of(o.get("dir")));
        long chunks = mib * 1024 * 1024 / chunk;
        byte[] data = new byte[chunk];
        new Random(42).nextBytes(data);

        Path dev = dir.resolve("tbench-0");
        Files.deleteIfExists(dev);
        FileVdevDriver.createSparseFile(dev, Math.max(4L << 30, mib * (reps * 2L + 2) << 20));
        Engine engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()));
        TargetService targets = Targets.start(engine, TargetSettings.defaults());
        TargetServer server = TargetServers.start(targets, TargetServerSettings.defaults().withPort(0)
                .withServerName("bench"));
        List<Double> local = new ArrayList<>();
        List<Double> remote = new ArrayList<>();
        try {
            Pool pool = engine.createPool("tbench", VdevLayout.parse(dev.toString()),
                    Map.of(PoolProperty.RECORD_SIZE_BYTES, Integer.toString(Math.min(chunk, 128 * 1024))), false);
            pool.createDataset("local");
            targets.createTarget("tbench", "ost0", TargetRole.OST);
            try (TargetClient client = TargetClients.connect(ClientSettings.of("ost0",
                    List.of("127.0.0.1:" + server.address().getPort())))) {
                // warm-up: a tenth of the bytes each way
                runLocal(pool, data, Math.max(1, chunks / 10));
                runRemote(client, data, Math.max(1, chunks / 10), inFlight);
                for (int r = 0; r < reps; r++) {
                    local.add(mibPerSec(mib, runLocal(pool, data, chunks)));
                    remote.add(mibPerSec(mib, runRemote(client, data, chunks, inFlight)));
                    System.err.printf(Locale.ROOT, "rep %d: local %.1f MiB/s, protocol %.1f MiB/s%n", r + 1,
                            local.get(r), remote.get(r));
                }
            }
        } finally {
            server.close();
            targets.close();
            engine.close();
            Files.deleteIfExists(dev);
        }
        double l = median(local);
        double p = median(remote);
        System.out.printf(Locale.ROOT, "| writes | chunk | runs | local engine MiB/s (median) | protocol MiB/s "
                + "(median) | ratio |%n|---|---|---|---|---|---|%n| %d MiB | %d KiB | %d | %.1f %s | %.1f %s | %.2f |%n",
                mib, chunk / 1024, reps, l, fmt(local), p, fmt(remote), p / l);
        System.out.printf(Locale.ROOT, "JVM %s, %d cores, in flight %d%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), inFlight);
    }

    /** Local engine writes: one transaction per chunk, appended to a new object; then a sync. */
    private static long runLocal(Pool pool, byte[] data, long chunks) {
        long t0 = System.nanoTime();
        try (Dataset ds = pool.openDataset("local")) {
            long obj;
            try (Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
            }
            for (long i = 0; i < chunks; i++) {
                try (Transaction tx = pool.begin()) {
                    ds.write(tx, obj, i * data.length, ByteBuffer.wrap(data));
                }
            }
            pool.sync();
        }
        return System.nanoTime() - t0;
    }

    /** Protocol writes: a window of requests in flight, appended to a new object; then a sync. */
    private static long runRemote(TargetClient client, byte[] data, long chunks, int inFlight) throws Exception {
        long t0 = System.nanoTime();
        long obj = client.createObject().get();
        Deque<CompletableFuture<Long>> window = new ArrayDeque<>();
        for (long i = 0; i < chunks; i++) {
            if (window.size() >= inFlight) {
                window.poll().get(60, TimeUnit.SECONDS);
            }
            window.add(client.write(obj, i * data.length, data));
        }
        while (!window.isEmpty()) {
            window.poll().get(60, TimeUnit.SECONDS);
        }
        client.sync().get(120, TimeUnit.SECONDS);
        return System.nanoTime() - t0;
    }

    private static double mibPerSec(long mib, long nanos) {
        return mib / (nanos / 1e9);
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }

    private static String fmt(List<Double> v) {
        return v.stream().map(x -> String.format(Locale.ROOT, "%.0f", x)).toList().toString();
    }
}
