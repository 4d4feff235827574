package org.tarn.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.Engine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * One engine with one pool on one sparse file device, and one open dataset:
 * what every Tarn measurement runs against. Closing exports the pool and
 * deletes the device file.
 */
final class TarnSession implements AutoCloseable {
    /** Bound on one device I/O; generous, so a slow shared disk cannot fault the device mid-run. */
    static final long IO_TIMEOUT_MILLIS = 120_000;

    final Path device;
    final TimedVdevDriver driver;
    final Engine engine;
    final Pool pool;
    final Dataset ds;

    TarnSession(Path dir, long deviceBytes, Map<String, String> properties) throws IOException {
        this.device = dir.resolve("tarn-device.img");
        Files.deleteIfExists(device);
        FileVdevDriver.createSparseFile(device, deviceBytes);
        this.driver = new TimedVdevDriver(new FileVdevDriver());
        this.engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(IO_TIMEOUT_MILLIS),
                List.of(driver));
        Pool p = null;
        Dataset d = null;
        try {
            p = engine.createPool("bench", new VdevLayout(List.of(
                    new VdevLayout.TopLevel(false, List.of(device.toString())))), properties, false);
            p.createDataset("data");
            p.sync();
            d = p.openDataset("data");
        } catch (RuntimeException e) {
            engine.close();
            Files.deleteIfExists(device);
            throw e;
        }
        this.pool = p;
        this.ds = d;
    }

    /** Creates an empty object and syncs it, so the measured part starts from a clean pool. */
    long newObject() {
        long obj;
        try (Transaction tx = pool.begin()) {
            obj = ds.createObject(tx);
        }
        pool.sync();
        return obj;
    }

    /** Writes {@code total} bytes from offset 0, one transaction per chunk. No sync. */
    void writeSequential(long obj, long total, int chunk, byte[] pattern, int patternPeriod) {
        for (long off = 0; off < total; off += chunk) {
            int n = (int) Math.min(chunk, total - off);
            try (Transaction tx = pool.begin()) {
                ds.write(tx, obj, off, ByteBuffer.wrap(pattern, (int) (off % patternPeriod), n));
            }
        }
    }

    TimedVdevDriver.Snapshot io() {
        return driver.counters().snapshot();
    }

    @Override
    public void close() throws IOException {
        try {
            ds.close();
            engine.close();
        } finally {
            Files.deleteIfExists(device);
        }
    }
}
