package org.tarn.ha;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.tarn.api.PoolManager;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * One Tarn server in this JVM: an engine with a state directory of its own
 * (so a host id of its own) searching the shared device directory, joined to
 * the HA cluster. Used where no process is needed; {@link HaNodeMain} is
 * the same in a child JVM, for kill -9.
 */
final class TarnNode implements AutoCloseable {
    final String id;
    final PoolManager engine;
    final HaService ha;
    final FaultVdevDriver faults;

    private TarnNode(String id, PoolManager engine, HaService ha, FaultVdevDriver faults) {
        this.id = id;
        this.engine = engine;
        this.ha = ha;
        this.faults = faults;
    }

    static PoolManager engine(Path state, Path shared, FaultVdevDriver faults, FileVdevDriver file) throws Exception {
        Files.createDirectories(state);
        return TarnEngine.start(EngineSettings.persistent(state).withSearchPaths(List.of(shared))
                .withIoTimeoutMillis(1_000), List.of(faults, file));
    }

    static TarnNode start(String id, Path state, Path shared, String connectString, long sessionTimeoutMillis)
            throws Exception {
        FileVdevDriver file = new FileVdevDriver();
        FaultVdevDriver faults = new FaultVdevDriver(file);
        PoolManager engine = engine(state, shared, faults, file);
        HaService ha = TarnHa.start(engine, HaSettings.of(connectString, id).withSessionTimeoutMillis(sessionTimeoutMillis)
                .withReconcileMillis(250));
        return new TarnNode(id, engine, ha, faults);
    }

    /** Closes an engine (exporting its pools), whichever type the engine's start returned. */
    static void close(PoolManager engine) {
        try {
            ((AutoCloseable) engine).close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    String hostId() {
        return Long.toHexString(engine.hostId());
    }

    boolean holds(String pool) {
        return engine.pool(pool).map(p -> p.state() == org.tarn.api.PoolState.ACTIVE).orElse(false);
    }

    @Override
    public void close() {
        try {
            ha.close();
        } finally {
            close(engine);
        }
    }
}
