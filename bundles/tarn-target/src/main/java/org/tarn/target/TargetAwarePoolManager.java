package org.tarn.target;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.Pool;
import org.tarn.api.PoolEventListener;
import org.tarn.api.PoolManager;
import org.tarn.api.VdevLayout;

/**
 * A pool manager whose exports close the targets first, for management
 * (JMX, the agent, the server): a clean export unmounts the pool's targets
 * (waiting for changes in progress and syncing) before the engine exports
 * it, and mounts them again when the unmount or the export fails (they then
 * recover like after any mount); a force export marks them
 * failed as soon as it returns. Closing closes the target service before the
 * engine.
 */
public final class TargetAwarePoolManager implements PoolManager {
    private final PoolManager pools;
    private final TargetService targets;

    public TargetAwarePoolManager(PoolManager pools, TargetService targets) {
        this.pools = pools;
        this.targets = targets;
    }

    /** The target service this manager closes targets through. */
    public TargetService targets() {
        return targets;
    }

    @Override
    public void exportPool(String name, boolean force) {
        unmountedAround(name, () -> pools.exportPool(name, force));
    }

    /** As {@link #exportPool}: the pool's targets are unmounted first, and mounted again if it fails. */
    @Override
    public void destroyPool(String name, boolean force) {
        unmountedAround(name, () -> pools.destroyPool(name, force));
    }

    private void unmountedAround(String name, Runnable export) {
        try {
            if (pools.pool(name).isPresent()) {
                targets.unmountAll(name);
            }
            export.run();
        } catch (RuntimeException e) {
            if (pools.pool(name).isPresent()) {
                targets.mountAll(name);
            }
            throw e;
        }
    }

    @Override
    public void forceExport(String name) {
        pools.forceExport(name);
        targets.failAll(name, "pool '" + name + "' was force-exported");
    }

    @Override
    public void close() {
        targets.close();
        pools.close();
    }

    @Override
    public Pool createPool(String name, VdevLayout layout, Map<String, String> properties, boolean force) {
        return pools.createPool(name, layout, properties, force);
    }

    @Override
    public Pool openPool(List<String> devices, boolean readOnly) {
        return pools.openPool(devices, readOnly);
    }

    @Override
    public ImportScan scan(List<String> dirs) {
        return pools.scan(dirs);
    }

    @Override
    public Pool importPool(String nameOrGuid, ImportOptions options) {
        return pools.importPool(nameOrGuid, options);
    }

    @Override
    public long hostId() {
        return pools.hostId();
    }

    @Override
    public String hostname() {
        return pools.hostname();
    }

    @Override
    public List<String> searchPaths() {
        return pools.searchPaths();
    }

    @Override
    public void addEventListener(PoolEventListener listener) {
        pools.addEventListener(listener);
    }

    @Override
    public void removeEventListener(PoolEventListener listener) {
        pools.removeEventListener(listener);
    }

    @Override
    public Optional<Pool> pool(String name) {
        return pools.pool(name);
    }

    @Override
    public List<String> pools() {
        return pools.pools();
    }
}
