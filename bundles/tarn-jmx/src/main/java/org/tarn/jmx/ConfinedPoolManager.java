package org.tarn.jmx;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.Pool;
import org.tarn.api.PoolEventListener;
import org.tarn.api.PoolManager;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;

/**
 * The pool manager as management callers see it: every device and
 * directory they name must lie under the configured search paths, so a JMX
 * or Jolokia caller cannot read or overwrite arbitrary files. Register the
 * MBeans over this, not over the engine itself.
 */
public final class ConfinedPoolManager implements PoolManager {
    private final PoolManager engine;
    private final List<Path> roots;
    private final String howToWiden;

    /**
     * @param engine     the engine
     * @param roots      the directories management may name devices in
     * @param howToWiden what an operator changes to allow another directory, for the error message
     */
    public ConfinedPoolManager(PoolManager engine, List<Path> roots, String howToWiden) {
        this.engine = engine;
        this.roots = List.copyOf(roots);
        this.howToWiden = howToWiden;
    }

    private void check(String path) {
        String file = path.startsWith("fault:") ? path.substring("fault:".length()) : path;
        file = file.startsWith("file:") ? file.substring("file:".length()) : file;
        Path p = Path.of(file).toAbsolutePath().normalize();
        for (Path root : roots) {
            if (p.startsWith(root)) {
                return;
            }
        }
        throw new TarnException(ErrorCode.INVALID_ARGUMENT, "path '" + path + "' is outside the search paths "
                + roots + "; put devices there or " + howToWiden);
    }

    @Override
    public Pool createPool(String name, VdevLayout layout, Map<String, String> properties, boolean force) {
        layout.devices().forEach(this::check);
        return engine.createPool(name, layout, properties, force);
    }

    @Override
    public Pool openPool(List<String> devices, boolean readOnly) {
        devices.forEach(this::check);
        return engine.openPool(devices, readOnly);
    }

    @Override
    public ImportScan scan(List<String> dirs) {
        dirs.forEach(this::check);
        return engine.scan(dirs);
    }

    @Override
    public Pool importPool(String nameOrGuid, ImportOptions options) {
        if (options != null) {
            options.dirs().forEach(this::check);
        }
        return engine.importPool(nameOrGuid, options);
    }

    @Override
    public long hostId() {
        return engine.hostId();
    }

    @Override
    public String hostname() {
        return engine.hostname();
    }

    @Override
    public List<String> searchPaths() {
        return engine.searchPaths();
    }

    @Override
    public void addEventListener(PoolEventListener listener) {
        engine.addEventListener(listener);
    }

    @Override
    public void removeEventListener(PoolEventListener listener) {
        engine.removeEventListener(listener);
    }

    @Override
    public Optional<Pool> pool(String name) {
        return engine.pool(name);
    }

    @Override
    public List<String> pools() {
        return engine.pools();
    }

    @Override
    public void exportPool(String name, boolean force) {
        engine.exportPool(name, force);
    }

    @Override
    public void destroyPool(String name, boolean force) {
        engine.destroyPool(name, force);
    }

    @Override
    public void forceExport(String name) {
        engine.forceExport(name);
    }

    @Override
    public void close() {
        engine.close();
    }
}
