package org.tarn.engine;

import java.util.List;

import org.tarn.api.PoolManager;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.pool.SpaNamespace;

/** Entry point: starts an engine over a set of vdev drivers. */
public final class TarnEngine {
    private TarnEngine() {
    }

    /** Starts an engine; close it to export every pool. */
    public static SpaNamespace start(EngineSettings settings, List<VdevDriver> drivers) {
        return new SpaNamespace(settings, drivers);
    }
}
