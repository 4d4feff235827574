package org.tarn.engine;

import java.util.List;

import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.pool.SpaNamespace;

/** Entry point: starts an engine over a set of vdev drivers. */
public final class TarnEngine {
    private TarnEngine() {
    }

    /**
     * Starts an engine and imports the pools its cache file lists (when it has
     * a state directory); close it to export every pool.
     */
    public static Engine start(EngineSettings settings, List<VdevDriver> drivers) {
        return SpaNamespace.start(settings, drivers);
    }
}
