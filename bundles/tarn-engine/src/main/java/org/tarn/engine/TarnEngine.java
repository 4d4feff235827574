package org.tarn.engine;

import java.util.List;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.label.LabelDump;
import org.tarn.engine.pool.SpaNamespace;

/** Entry points: starts an engine over a set of vdev drivers; renders a device's labels. */
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

    /**
     * The text of {@code tarnctl label DEVICE}, like {@code zdb -l}: each of
     * the device's labels with its status and config, then every uberblock
     * found, newest first, the best one marked. Needs no engine and no pool:
     * only the open device, which it reads and leaves open.
     */
    public static String labelDump(BlockDevice device) {
        return LabelDump.dump(device);
    }
}
