package org.tarn.dist;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.Engine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A tour of the engine on file devices: create a mirrored pool, write
 * objects in transactions, export, reopen from the devices, verify, and dump
 * a device's labels. Arguments: {@code [DATA_DIR]} (default {@code tarn-data/demo}).
 */
public final class Demo {
    private static final long DEVICE_BYTES = 64L * 1024 * 1024;

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "tarn-data/demo").toAbsolutePath();
        Files.createDirectories(dir);
        List<String> devices = new ArrayList<>();
        for (String n : List.of("d0", "d1")) {
            Path p = dir.resolve(n);
            Files.deleteIfExists(p);
            FileVdevDriver.createSparseFile(p, DEVICE_BYTES);
            devices.add(p.toString());
        }
        FileVdevDriver file = new FileVdevDriver();
        Random rnd = new Random(2026);
        byte[][] payloads = new byte[8][];
        long[] ids = new long[payloads.length];

        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(file))) {
            String layout = "mirror " + devices.get(0) + " " + devices.get(1);
            Pool pool = engine.createPool("demo", VdevLayout.parse(layout), Map.of("comment", "tarn demo"), false);
            say("created pool 'demo' (guid %016x) as %s", pool.guid(), layout);
            pool.createDataset("ost0");
            try (Dataset ds = pool.openDataset("ost0")) {
                for (int i = 0; i < payloads.length; i++) {
                    payloads[i] = new byte[1 + rnd.nextInt(3 * 1024 * 1024)];
                    rnd.nextBytes(payloads[i]);
                    try (Transaction tx = pool.begin()) {
                        ids[i] = ds.createObject(tx);
                        ds.write(tx, ids[i], 0, ByteBuffer.wrap(payloads[i]));
                        long txg = tx.txg();
                        tx.onCommit((t, status) -> say("  txg %d: %s", t, status));
                        say("wrote object %d (%d bytes) in txg %d", ids[i], payloads[i].length, txg);
                    }
                }
            }
            pool.sync();
            say("synced: txg %d on disk, %d of %d bytes allocated", pool.syncedTxg(), pool.allocatedBytes(),
                    pool.sizeBytes());
            engine.exportPool("demo", false);
            say("exported pool 'demo'");
        }

        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(file))) {
            Pool pool = engine.openPool(devices, false);
            say("reopened pool '%s' from its devices at txg %d, health %s", pool.name(), pool.syncedTxg(),
                    pool.health());
            try (Dataset ds = pool.openDataset("ost0")) {
                for (int i = 0; i < payloads.length; i++) {
                    ByteBuffer back = ByteBuffer.allocate(payloads[i].length);
                    ds.read(ids[i], 0, back);
                    if (!Arrays.equals(back.array(), payloads[i])) {
                        throw new IllegalStateException("object " + ids[i] + " does not match what was written");
                    }
                }
            }
            say("verified %d objects: every byte matches", payloads.length);
            engine.exportPool(pool.name(), false);
        }
        try (var dev = file.open(devices.get(0), true)) {
            String dump = TarnEngine.labelDump(dev);
            say("labels of %s (first lines of the dump):", devices.get(0));
            dump.lines().limit(24).forEach(l -> say("  %s", l));
        }
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
    }
}
