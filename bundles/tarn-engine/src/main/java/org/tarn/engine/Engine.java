package org.tarn.engine;

import org.tarn.api.PoolManager;

/**
 * A running engine, as {@link TarnEngine#start} returns it to its owner: the
 * {@link PoolManager} every caller uses, the drivers it runs on, and
 * {@link #close}, which only the owner calls. Management adapters (JMX, the
 * agent, OSGi) are handed the engine itself; its policies (path confinement,
 * export hooks) apply to every call, whoever makes it.
 */
public interface Engine extends PoolManager, VdevDrivers, AutoCloseable {

    /** The settings this engine runs with. */
    EngineSettings settings();

    /**
     * Exports every pool (force-exporting those that do not finish within
     * {@link EngineSettings#shutdownExportMillis}) but keeps them in the
     * cache file, so the next start imports them again; then stops the
     * engine's threads. Every later call fails with {@code ENGINE_STOPPED}.
     */
    @Override
    void close();
}
