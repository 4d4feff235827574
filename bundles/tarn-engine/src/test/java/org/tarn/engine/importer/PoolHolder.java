package org.tarn.engine.importer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.Engine;
import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A second host in its own JVM, for {@link CrossProcessImportTest}: its own
 * state directory, hence its own host id.
 *
 * <p>Usage: {@code PoolHolder STATE_DIR POOL SEED DEVICE...}. It creates pool
 * POOL as a mirror of the devices (opened through the fault driver), writes
 * {@link #syncedData} to one object, syncs, and then keeps changing that
 * object and creating others without syncing: the pool's txg timeout and dirty
 * limits are raised so that nothing syncs on its own. Lines on stdout:
 * <pre>
 * HOST hex name              the engine's host id and host name
 * SYNCED txg object           the known data is on disk at txg
 * UNSYNCED object             an object that exists only in memory
 * DIRTY bytes                 unsynced changes are in memory
 * HUNG n                      (after "hang") n writes hang on the devices
 * FORCE_EXPORTED millis       (after "hang") how long forceExport took
 * SYNC_FAILED code            the sync caught by the hang ended with that error
 * WRITER_STOPPED code         the unsynced writer ended with that error
 * </pre>
 * Commands on stdin: {@code hang} hangs every write of the devices, starts a
 * sync that hangs on them, and force-exports the pool. The process lives
 * until it is killed or stdin closes.
 */
public final class PoolHolder {
    /** The dataset holding the known data. */
    public static final String DATASET = "ost0";

    private PoolHolder() {
    }

    /** The content of the synced object, a function of the seed. */
    public static byte[] syncedData(long seed) {
        byte[] b = new byte[300_000];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        Path stateDir = Path.of(args[0]);
        String name = args[1];
        long seed = Long.parseLong(args[2]);
        List<String> files = Arrays.asList(args).subList(3, args.length);

        FileVdevDriver file = new FileVdevDriver();
        FaultVdevDriver fault = new FaultVdevDriver(file);
        // a hung write must stay hung: the I/O deadline is far beyond the test
        Engine engine = TarnEngine.start(EngineSettings.persistent(stateDir).withIoTimeoutMillis(600_000),
                List.of(fault, file));
        say("HOST " + engine.settings().host().hex() + " " + engine.hostname());

        String layout = "mirror " + String.join(" ", files.stream().map(f -> FaultVdevDriver.PREFIX + f).toList());
        Pool pool = engine.createPool(name, VdevLayout.parse(layout), Map.of(
                PoolProperty.TXG_TIMEOUT_MILLIS, "3600000",
                PoolProperty.TXG_DIRTY_LIMIT_BYTES, Long.toString(256L << 20),
                PoolProperty.DIRTY_MAX_BYTES, Long.toString(256L << 20)), false);
        pool.createDataset(DATASET);
        Dataset ds = pool.openDataset(DATASET);
        byte[] known = syncedData(seed);
        long obj;
        try (Transaction tx = pool.begin()) {
            obj = ds.createObject(tx);
            ds.write(tx, obj, 0, ByteBuffer.wrap(known));
        }
        pool.sync();
        say("SYNCED " + pool.syncedTxg() + " " + obj);

        Thread writer = new Thread(() -> writeUnsynced(pool, ds, obj, known.length, seed), "unsynced-writer");
        writer.setDaemon(true);
        writer.start();

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().equals("hang")) {
                hangAndForceExport(engine, fault, pool, name, files);
            }
        }
        // the test is gone; hung device threads must not keep this JVM alive
        Runtime.getRuntime().halt(0);
    }

    private static void writeUnsynced(Pool pool, Dataset ds, long obj, int length, long seed) {
        Random rnd = new Random(seed + 1);
        boolean first = true;
        try {
            while (true) {
                long created = -1;
                try (Transaction tx = pool.begin()) {
                    if (first) {
                        created = ds.createObject(tx);
                        ds.write(tx, created, 0, ByteBuffer.wrap(new byte[10_000]));
                    }
                    byte[] b = new byte[4096];
                    rnd.nextBytes(b);
                    ds.write(tx, obj, rnd.nextInt(length - b.length), ByteBuffer.wrap(b));
                }
                if (first) {
                    say("UNSYNCED " + created);
                    say("DIRTY " + pool.dirtyBytes());
                    first = false;
                }
                // pace the writer, so its dirty data stays far below any limit that would start a sync
                TimeUnit.MILLISECONDS.sleep(20);
            }
        } catch (TarnException e) {
            say("WRITER_STOPPED " + e.code());
        } catch (InterruptedException e) {
            say("WRITER_STOPPED interrupted");
        }
    }

    private static int hungWrites(FaultVdevDriver fault, List<String> files) {
        return files.stream().mapToInt(f -> fault.injector(f).hungCount()).sum();
    }

    private static void hangAndForceExport(Engine engine, FaultVdevDriver fault, Pool pool, String name,
                                           List<String> files) {
        for (String f : files) {
            fault.injector(f).add(FaultRule.hang().on(FaultRule.Op.WRITE));
        }
        Thread syncer = new Thread(() -> {
            try {
                pool.sync();
                say("SYNC_RETURNED");
            } catch (TarnException e) {
                say("SYNC_FAILED " + e.code());
            }
        }, "hung-sync");
        syncer.setDaemon(true);
        syncer.start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                    .until(() -> hungWrites(fault, files) > 0);
        } catch (ConditionTimeoutException e) {
            // reported as HUNG 0; the test fails on it
        }
        say("HUNG " + hungWrites(fault, files));
        long t0 = System.nanoTime();
        engine.forceExport(name);
        say("FORCE_EXPORTED " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
}
