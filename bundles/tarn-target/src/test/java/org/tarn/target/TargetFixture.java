package org.tarn.target;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * An engine on sparse files with a target service over it, as a server runs
 * them (the service is the engine's export hook, so exports unmount first). Transaction groups sync only when
 * asked (a long txg timeout), so tests decide what is committed. A second
 * fixture on the same directory acts as the failover server.
 */
final class TargetFixture implements AutoCloseable {
    static final long DEVICE_BYTES = 64L * 1024 * 1024;
    /** Long enough that no transaction group syncs on its own during a test. */
    static final String TXG_TIMEOUT_MILLIS = "3600000";

    final Path dir;
    final Engine engine;
    final TargetService targets;

    TargetFixture(Path dir, long recoveryWindowMillis) {
        this.dir = dir;
        this.engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(2000),
                List.of(new FileVdevDriver()));
        this.targets = Targets.start(engine, TargetSettings.defaults().withRecoveryWindowMillis(recoveryWindowMillis)
                .withUnmountWaitMillis(5000));
    }

    /** A clean export; the engine unmounts the targets (its export hook) first. */
    void exportPool(String name) {
        engine.exportPool(name, false);
    }

    /** A force export; the engine fails the targets at once. */
    void forceExport(String name) {
        engine.forceExport(name);
    }

    Pool createPool(String name) throws IOException {
        Path dev = dir.resolve(name + "-d0");
        FileVdevDriver.createSparseFile(dev, DEVICE_BYTES);
        return engine.createPool(name, VdevLayout.parse(dev.toString()),
                Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, TXG_TIMEOUT_MILLIS), false);
    }

    /** Imports a pool from the fixture's directory, forced (its labels may still say ACTIVE). */
    Pool importPool(String name) {
        return engine.importPool(name, ImportOptions.defaults().withDirs(List.of(dir.toString())).withForce(true));
    }

    Pool pool(String name) {
        return engine.pool(name).orElseThrow();
    }

    Target target(String pool, String name) {
        return targets.target(pool, name).orElseThrow(() -> new AssertionError("no target " + pool + "/" + name));
    }

    @Override
    public void close() {
        targets.close();
        engine.close();
    }

    // ---- updates that make double execution visible --------------------------------------------

    /** Creates the log object; the reply is its id. */
    static TargetUpdate createLog() {
        return data -> ByteBuffer.allocate(8).putLong(data.createObject()).array();
    }

    static long id(Reply reply) {
        return ByteBuffer.wrap(reply.data()).getLong();
    }

    /** Appends {@code tag;} to the log object; the reply is the tag. Executed twice, it appears twice. */
    static TargetUpdate append(long log, String tag) {
        return data -> {
            byte[] b = (tag + ";").getBytes(StandardCharsets.UTF_8);
            data.write(log, data.size(log), b);
            return tag.getBytes(StandardCharsets.UTF_8);
        };
    }

    static String log(Target t, long log) {
        return t.read(data -> new String(data.read(log, 0, (int) data.size(log)), StandardCharsets.UTF_8));
    }

    static String text(Reply r) {
        return new String(r.data(), StandardCharsets.UTF_8);
    }
}
