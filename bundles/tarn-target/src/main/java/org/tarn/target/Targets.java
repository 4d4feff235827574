package org.tarn.target;

import org.tarn.api.PoolManager;
import org.tarn.target.internal.TargetManager;

/** Entry point of the targets layer. */
public final class Targets {
    private Targets() {
    }

    /**
     * Starts a target service over a pool manager: mounts the targets of the
     * pools imported now and of every pool imported later.
     */
    public static TargetService start(PoolManager pools, TargetSettings settings) {
        return TargetManager.start(pools, settings);
    }
}
