package org.tarn.osgi.internal;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.osgi.service.component.annotations.ReferencePolicy;
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
import org.tarn.engine.pool.HostIdentity;
import org.tarn.engine.pool.SpaNamespace;

/**
 * The engine as a service.
 *
 * <p>Lifecycle: activation starts an engine with the settings from
 * Configuration Admin (PID {@value #PID}, optional) and the
 * {@link VdevDriver} services present, which imports the pools of the cache
 * file; deactivation closes it, exporting every pool cleanly (force-exporting
 * one that does not finish in time) while keeping them in the cache file. So
 * stopping or updating this bundle leaves every pool EXPORTED on disk, and
 * starting it again imports them back.
 *
 * <p>Drivers are a dynamic, multiple reference: a driver bundle deployed
 * while the engine runs is added to it ({@link SpaNamespace#addDriver}, which
 * also imports the cached pools that were waiting for it), and one that leaves
 * is removed ({@link SpaNamespace#removeDriver}), which force-exports exactly
 * the pools with a device of that driver. Neither restarts the engine, and the
 * engine runs with no driver at all (its cached pools then wait). Except
 * while the framework itself stops: it may stop driver bundles before this
 * one, so the first driver to leave then closes the engine, exporting every
 * pool cleanly. Settings are
 * fixed for the life of an engine, so there is no {@code @Modified}: a
 * configuration change makes DS deactivate and re-activate the component,
 * i.e. export and re-import.
 *
 * <p>Immediate, so the pools in the cache file are imported when the bundle
 * starts rather than when someone first asks for the service.
 */
@Component(service = PoolManager.class, immediate = true, configurationPid = EngineComponent.PID,
        property = "service.description=Tarn pool engine")
@Designate(ocd = EngineConfig.class)
public final class EngineComponent implements PoolManager {
    /** Configuration PID of the engine. */
    public static final String PID = "org.tarn.engine";

    private static final Logger LOG = LoggerFactory.getLogger(EngineComponent.class);

    /** Drivers bound before activation; handed to the engine when it starts. */
    private final List<VdevDriver> early = new ArrayList<>();
    /** Every driver service bound, in binding order (guarded by {@link #early}): a refused duplicate of a type
     *  takes over when the driver in use of that type leaves. */
    private final List<VdevDriver> bound = new ArrayList<>();
    private volatile SpaNamespace engine;
    private volatile BundleContext context;

    @Activate
    void activate(EngineConfig config, BundleContext context) {
        EngineSettings settings = settings(config, context);
        this.context = context;
        synchronized (early) {
            LOG.info("starting Tarn engine: state {}, search paths {}, drivers {}",
                    settings.stateDir().orElse(null), settings.searchPaths(),
                    early.stream().map(VdevDriver::type).toList());
            engine = TarnEngine.start(settings, List.copyOf(early));
            early.clear();
        }
    }

    @Reference(name = "drivers", service = VdevDriver.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC)
    void bindDriver(VdevDriver driver) {
        synchronized (early) {
            bound.add(driver);
            SpaNamespace e = engine;
            if (e == null) {
                early.add(driver);
                return;
            }
            try {
                e.addDriver(driver);
            } catch (TarnException refused) {
                LOG.warn("vdev driver service of type '{}' not used: {}", driver.type(), refused.getMessage());
            }
        }
    }

    void unbindDriver(VdevDriver driver) {
        synchronized (early) {
            bound.remove(driver);
            SpaNamespace e = engine;
            if (e == null) {
                early.remove(driver);
                return;
            }
            if (frameworkStopping()) {
                // the whole framework is going down and stops the driver bundles in whatever order: export
                // every pool cleanly now, rather than force-export the ones whose driver happens to go first
                LOG.info("framework stopping: exporting every pool before vdev driver '{}' leaves", driver.type());
                e.close();
                engine = null;
                return;
            }
            // only the driver instance the engine uses: a refused duplicate of its type leaves quietly
            if (e.driver(driver.type()).orElse(null) == driver) {
                List<String> failed = e.removeDriver(driver.type());
                if (!failed.isEmpty()) {
                    LOG.warn("vdev driver '{}' left: force-exported pools {}", driver.type(), failed);
                }
                // another service of the same type, refused while this one served, takes over
                bound.stream().filter(d -> d.type().equals(driver.type())).findFirst().ifPresent(next -> {
                    LOG.info("vdev driver '{}': another service of that type takes over", driver.type());
                    e.addDriver(next);
                });
            }
        }
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
        if (config.shutdownExportMillis() > 0) {
            s = s.withShutdownExportMillis(config.shutdownExportMillis());
        }
        String hostId = config.hostId() == null ? "" : config.hostId().trim();
        if (!hostId.isEmpty()) {
            try {
                s = s.withHost(new HostIdentity(Long.parseLong(hostId, 16), s.host().hostname()));
            } catch (NumberFormatException e) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "hostId '" + hostId + "' in " + PID
                        + " is not a hexadecimal host id");
            }
        }
        return s;
    }

    private boolean frameworkStopping() {
        BundleContext c = context;
        try {
            return c != null && c.getBundle(0).getState() == Bundle.STOPPING;
        } catch (IllegalStateException contextGone) {
            return true;
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (early) {
            SpaNamespace e = engine;
            if (e != null) {
                LOG.info("stopping Tarn engine: exporting pools {}", e.pools());
                e.close();
                engine = null;
            }
        }
    }

    /** The running engine; a caller holding the service of a stopped component gets a clear error. */
    private SpaNamespace engine() {
        SpaNamespace e = engine;
        if (e == null) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "the Tarn engine of this service has stopped; "
                    + "get the PoolManager service again");
        }
        return e;
    }

    /** The settings this engine runs with (for tests inside the bundle). */
    EngineSettings engineSettings() {
        return engine().settings();
    }

    @Override
    public Pool createPool(String name, VdevLayout layout, Map<String, String> properties, boolean force) {
        return engine().createPool(name, layout, properties, force);
    }

    @Override
    public Pool openPool(List<String> devices, boolean readOnly) {
        return engine().openPool(devices, readOnly);
    }

    @Override
    public ImportScan scan(List<String> dirs) {
        return engine().scan(dirs);
    }

    @Override
    public Pool importPool(String nameOrGuid, ImportOptions options) {
        return engine().importPool(nameOrGuid, options);
    }

    @Override
    public long hostId() {
        return engine().hostId();
    }

    @Override
    public String hostname() {
        return engine().hostname();
    }

    @Override
    public List<String> searchPaths() {
        return engine().searchPaths();
    }

    @Override
    public void addEventListener(PoolEventListener listener) {
        engine().addEventListener(listener);
    }

    @Override
    public void removeEventListener(PoolEventListener listener) {
        SpaNamespace e = engine;
        if (e != null) { // a stopped engine keeps no listeners
            e.removeEventListener(listener);
        }
    }

    @Override
    public Optional<Pool> pool(String name) {
        return engine().pool(name);
    }

    @Override
    public List<String> pools() {
        return engine().pools();
    }

    @Override
    public void exportPool(String name, boolean force) {
        engine().exportPool(name, force);
    }

    @Override
    public void destroyPool(String name, boolean force) {
        engine().destroyPool(name, force);
    }

    @Override
    public void forceExport(String name) {
        engine().forceExport(name);
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
