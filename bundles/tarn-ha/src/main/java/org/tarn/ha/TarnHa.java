package org.tarn.ha;

import org.tarn.api.PoolManager;
import org.tarn.ha.internal.ZkHaService;

/** Joins a server's pools to a ZooKeeper HA cluster. */
public final class TarnHa {
    private TarnHa() {
    }

    /**
     * Connects to the ensemble, registers this server and starts taking part
     * in ownership and placement. Returns at once; the service acts once
     * connected.
     */
    public static HaService start(PoolManager pools, HaSettings settings) {
        return ZkHaService.start(pools, settings);
    }
}
