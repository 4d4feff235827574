package org.tarn.osgi.internal;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.Pool;
import org.tarn.api.PoolEventListener;
import org.tarn.api.PoolManager;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.pool.SpaNamespace;

/**
 * The engine as a service.
 *
 * <p>Lifecycle: activation starts an engine with the settings from
 * Configuration Admin (PID {@value #PID}, optional) and the
 * {@link VdevDriver} services present, which imports the pools of the cache
 * file; deactivation closes it, exporting every pool cleanly (force-exporting
 * one that does not finish in time) while keeping them in the cache file. So
 * stopping this bundle leaves every pool EXPORTED on disk, and starting it
 * again imports them back.
 *
 * <p>Settings and drivers are fixed for the life of an engine
 * ({@link SpaNamespace} takes its drivers at construction and offers no way
 * to add one), so there is no {@code @Modified}: a configuration change, or a
 * driver service arriving or leaving (static, greedy reference), makes DS
 * deactivate and re-activate the component, i.e. export and re-import.
 * While the bundle is stopping, re-activation is refused: otherwise each
 * driver component disposed before this one would restart the engine with
 * fewer drivers.
 *
 * <p>Immediate, so the pools in the cache file are imported when the bundle
 * starts rather than when someone first asks for the service.
 */
@Component(service = PoolManager.class, immediate = true, configurationPid = EngineComponent.PID,
        property = {"service.description=Tarn pool engine",
            // wait for both drivers of this bundle (file, fault): an engine started without the driver of
            // a cached pool cannot import it, and drops it from the cache file (DS minimum cardinality;
            // a configuration may raise it when more driver bundles are deployed)
            "drivers.cardinality.minimum:Integer=2"})
@Designate(ocd = EngineConfig.class)
public final class EngineComponent implements PoolManager {
    /** Configuration PID of the engine. */
    public static final String PID = "org.tarn.engine";

    private static final Logger LOG = LoggerFactory.getLogger(EngineComponent.class);

    private final SpaNamespace engine;

    @Activate
    public EngineComponent(EngineConfig config, BundleContext context,
            @Reference(name = "drivers", cardinality = ReferenceCardinality.AT_LEAST_ONE,
                    policyOption = ReferencePolicyOption.GREEDY) List<VdevDriver> drivers) {
        if (context.getBundle().getState() == Bundle.STOPPING) {
            // SCR disposes this bundle's driver components one by one; each departure would restart the
            // engine with fewer drivers, and an engine missing a driver cannot import the cached pools.
            throw new IllegalStateException("bundle " + context.getBundle().getSymbolicName()
                    + " is stopping: not starting an engine");
        }
        EngineSettings settings = settings(config, context);
        LOG.info("starting Tarn engine: state {}, search paths {}, drivers {}", settings.stateDir().orElse(null),
                settings.searchPaths(), drivers.stream().map(VdevDriver::type).toList());
        this.engine = TarnEngine.start(settings, drivers);
    }

    static EngineSettings settings(EngineConfig config, BundleContext context) {
        Path stateDir;
        if (config.stateDir() == null || config.stateDir().isBlank()) {
            File data = context.getDataFile("state");
            if (data == null) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "no stateDir configured in " + PID
                        + " and the framework gives this bundle no data area; set stateDir");
            }
            stateDir = data.toPath();
        } else {
            stateDir = Path.of(config.stateDir());
        }
        EngineSettings s = EngineSettings.persistent(stateDir);
        String[] paths = config.searchPaths() == null ? new String[0] : config.searchPaths();
        s = s.withSearchPaths(Arrays.stream(paths).filter(p -> !p.isBlank()).map(Path::of).toList());
        if (config.ioTimeoutMillis() > 0) {
            s = s.withIoTimeoutMillis(config.ioTimeoutMillis());
        }
        return s;
    }

    @Deactivate
    void deactivate() {
        LOG.info("stopping Tarn engine: exporting pools {}", engine.pools());
        engine.close();
    }

    /** The settings this engine runs with (for tests inside the bundle). */
    EngineSettings engineSettings() {
        return engine.settings();
    }

    @Override
    public Pool createPool(String name, VdevLayout layout, Map<String, String> properties, boolean force) {
        return engine.createPool(name, layout, properties, force);
    }

    @Override
    public Pool openPool(List<String> devices, boolean readOnly) {
        return engine.openPool(devices, readOnly);
    }

    @Override
    public ImportScan scan(List<String> dirs) {
        return engine.scan(dirs);
    }

    @Override
    public Pool importPool(String nameOrGuid, ImportOptions options) {
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
    public void forceExport(String name) {
        engine.forceExport(name);
    }

    /**
     * Refused: the engine belongs to its component. Stop the bundle, disable
     * the component or change its configuration instead.
     */
    @Override
    public void close() {
        throw new TarnException(ErrorCode.INVALID_ARGUMENT, "the Tarn engine service cannot be closed by a "
                + "caller; stop bundle org.tarn.osgi (every pool is exported) or export pools one by one");
    }
}
