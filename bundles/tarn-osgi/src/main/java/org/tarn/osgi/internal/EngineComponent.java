package org.tarn.osgi.internal;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
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
import org.tarn.api.PoolManager;
import org.tarn.api.TarnException;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.HostIdentity;
import org.tarn.engine.PathPolicy;
import org.tarn.engine.TarnEngine;

/**
 * Runs the engine in OSGi and publishes it as the {@link PoolManager}
 * service.
 *
 * <p>Lifecycle: activation starts an engine with the settings from
 * Configuration Admin (PID {@value #PID}, optional) and the
 * {@link VdevDriver} services present, which imports the pools of the cache
 * file, and registers the engine itself as the {@code PoolManager} service;
 * deactivation unregisters it and closes the engine, exporting every pool
 * cleanly (force-exporting one that does not finish in time) while keeping
 * them in the cache file. So stopping or updating this bundle leaves every
 * pool EXPORTED on disk, and starting it again imports them back. A caller
 * that keeps a stopped engine's service gets {@code ENGINE_STOPPED}; only this
 * component can close the engine ({@code PoolManager} has no close).
 *
 * <p>Drivers are a dynamic, multiple reference: a driver bundle deployed
 * while the engine runs is added to it ({@link Engine#addDriver}, which also
 * imports the cached pools that were waiting for it), and one that leaves is
 * removed ({@link Engine#removeDriver}), which force-exports exactly the pools
 * with a device of that driver. Neither restarts the engine, and the engine
 * runs with no driver at all (its cached pools then wait). Except while the
 * framework itself stops: it may stop driver bundles before this one, so the
 * first driver to leave then closes the engine, exporting every pool cleanly.
 * Settings are fixed for the life of an engine, so there is no
 * {@code @Modified}: a configuration change makes DS deactivate and
 * re-activate the component, i.e. export and re-import.
 *
 * <p>Immediate, so the pools in the cache file are imported when the bundle
 * starts rather than when someone first asks for the service.
 */
@Component(service = {}, immediate = true, configurationPid = EngineComponent.PID)
@Designate(ocd = EngineConfig.class)
public final class EngineComponent {
    /** Configuration PID of the engine. */
    public static final String PID = "org.tarn.engine";

    private static final Logger LOG = LoggerFactory.getLogger(EngineComponent.class);

    /** Drivers bound before activation; handed to the engine when it starts. */
    private final List<VdevDriver> early = new ArrayList<>();
    /** Every driver service bound, in binding order (guarded by {@link #early}): a refused duplicate of a type
     *  takes over when the driver in use of that type leaves. */
    private final List<VdevDriver> bound = new ArrayList<>();
    private volatile Engine engine;
    private volatile BundleContext context;
    private ServiceRegistration<PoolManager> registration;

    @Activate
    void activate(EngineConfig config, BundleContext context) {
        EngineSettings settings = settings(config, context);
        this.context = context;
        synchronized (early) {
            LOG.info("starting Tarn engine: state {}, search paths {} ({}), drivers {}",
                    settings.stateDir().orElse(null), settings.searchPaths(), settings.pathPolicy(),
                    early.stream().map(VdevDriver::type).toList());
            engine = TarnEngine.start(settings, List.copyOf(early));
            early.clear();
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(Constants.SERVICE_DESCRIPTION, "Tarn pool engine");
            registration = context.registerService(PoolManager.class, engine, props);
        }
    }

    @Reference(name = "drivers", service = VdevDriver.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC)
    void bindDriver(VdevDriver driver) {
        synchronized (early) {
            bound.add(driver);
            Engine e = engine;
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
            Engine e = engine;
            if (e == null) {
                early.remove(driver);
                return;
            }
            if (frameworkStopping()) {
                // the whole framework is going down and stops the driver bundles in whatever order: export
                // every pool cleanly now, rather than force-export the ones whose driver happens to go first
                LOG.info("framework stopping: exporting every pool before vdev driver '{}' leaves", driver.type());
                stop();
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
        if (config.blockCacheBytes() > 0) {
            s = s.withBlockCacheBytes(config.blockCacheBytes());
        }
        if (config.confinePaths()) {
            String[] targets = config.linkTargets() == null ? new String[0] : config.linkTargets();
            s = s.withPathPolicy(PathPolicy.searchPathsOnly("add their directory to the engine's search paths "
                    + "(searchPaths of configuration " + PID + "; search.paths of the standalone server)")
                    .allowingLinksInto(Arrays.stream(targets).filter(t -> !t.isBlank()).map(Path::of).toList()));
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
            stop();
        }
    }

    /** Unregisters the service, then closes the engine (every pool exported). Guarded by {@link #early}. */
    private void stop() {
        Engine e = engine;
        if (e == null) {
            return;
        }
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                LOG.debug("PoolManager service already unregistered");
            }
            registration = null;
        }
        LOG.info("stopping Tarn engine: exporting pools {}", e.pools());
        e.close();
        engine = null;
    }
}
