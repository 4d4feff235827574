package org.tarn.dist;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The server's OSGi framework: Apache Felix embedded in the launcher's JVM,
 * with the bundles listed in {@code bundles.list} ({@link ServerBundles}: SPI Fly and SLF4J, SCR,
 * Configuration Admin, then the Tarn bundles), installed from this jar.
 *
 * <p>Start order matters: the runtime bundles start first, then the launcher
 * writes the Tarn configurations into Configuration Admin, and only then do
 * the Tarn bundles start, so the engine's first activation already has the
 * server's settings (never a default engine that is replaced a moment later).
 * Felix stops bundles in reverse order, so {@code org.tarn.osgi} stops first
 * and its engine exports every pool while the drivers are still there.
 *
 * <p>The launcher shares no Tarn classes with the bundles: it talks to them
 * through the platform MBeanServer and, for Configuration Admin, through
 * reflection on the service ({@link Dictionary} is a JDK type). Implicit boot
 * delegation is off, so the launcher's own class path (SLF4J, the demo's
 * engine) never leaks into a bundle.
 */
final class TarnFramework {
    /** Bundles whose symbolic names start with this are started after the configuration is written. */
    static final String TARN_PREFIX = "org.tarn.";
    private static final String CONFIG_ADMIN = "org.osgi.service.cm.ConfigurationAdmin";
    private static final String CONFIGURATION = "org.osgi.service.cm.Configuration";

    /** SPI Fly logs each provider it registers through java.util.logging; kept here, as JUL holds loggers weakly. */
    private static final java.util.logging.Logger SPIFLY_LOG = java.util.logging.Logger.getLogger(
            "org.apache.aries.spifly.BaseActivator");

    private final Framework framework;

    private TarnFramework(Framework framework) {
        this.framework = framework;
    }

    /**
     * Starts Felix with its storage in {@code storage} (emptied first), the
     * runtime bundles, the given configurations (PID → properties), then the
     * Tarn bundles. On failure the framework is stopped again.
     */
    static TarnFramework start(Path storage, Map<String, Dictionary<String, Object>> configurations,
            long timeoutMillis) {
        Map<String, String> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // only the JDK and the framework are visible to bundles, never the launcher's class path
        props.put("felix.bootdelegation.implicit", "false");
        // no JVM-wide URL handler factory: the server may share its JVM (tests run several in turn)
        props.put("felix.service.urlhandlers", "false");
        props.put("felix.log.level", "1");
        props.put("ds.loglevel", "warn");
        SPIFLY_LOG.setLevel(java.util.logging.Level.WARNING);
        Framework framework = new FrameworkFactory().newFramework(props);
        TarnFramework f = new TarnFramework(framework);
        try {
            framework.init();
            List<Bundle> bundles = f.installAll();
            framework.start();
            for (Bundle b : bundles) {
                if (!b.getSymbolicName().startsWith(TARN_PREFIX)) {
                    b.start();
                }
            }
            for (Map.Entry<String, Dictionary<String, Object>> c : configurations.entrySet()) {
                f.configure(c.getKey(), c.getValue(), timeoutMillis);
            }
            for (Bundle b : bundles) {
                if (b.getSymbolicName().startsWith(TARN_PREFIX)) {
                    b.start();
                }
            }
            return f;
        } catch (BundleException | IOException | RuntimeException e) {
            f.stop(timeoutMillis);
            throw new IllegalStateException("cannot start the OSGi framework: " + e.getMessage(), e);
        }
    }

    /** Installs every bundle of {@code bundles.list} ({@link ServerBundles}), in order. */
    private List<Bundle> installAll() throws IOException, BundleException {
        List<Bundle> out = new ArrayList<>();
        for (ServerBundles.Bundle b : ServerBundles.list()) {
            try (InputStream in = ServerBundles.class.getResourceAsStream(b.resource())) {
                if (in == null) {
                    throw new IllegalStateException("bundle " + b.resource() + " is missing next to "
                            + ServerBundles.class.getName() + "; build dist with mvn install (it copies them)");
                }
                out.add(framework.getBundleContext().installBundle("tarn-dist:" + b.artifactId(), in));
            }
        }
        return out;
    }

    /** Writes one configuration through the Configuration Admin service (multi-location binding). */
    private void configure(String pid, Dictionary<String, Object> properties, long timeoutMillis) {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(framework.getBundleContext(), CONFIG_ADMIN, null);
        tracker.open(true);
        try {
            Object admin = tracker.waitForService(timeoutMillis);
            ServiceReference<Object> ref = tracker.getServiceReference();
            if (admin == null || ref == null) {
                throw new IllegalStateException("no Configuration Admin service within " + timeoutMillis + " ms");
            }
            Bundle cm = ref.getBundle();
            Object configuration = cm.loadClass(CONFIG_ADMIN).getMethod("getConfiguration", String.class,
                    String.class).invoke(admin, pid, "?");
            cm.loadClass(CONFIGURATION).getMethod("update", Dictionary.class).invoke(configuration, properties);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while configuring " + pid, e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("cannot write configuration " + pid + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot write configuration " + pid + ": " + e, e);
        } finally {
            tracker.close();
        }
    }

    /** The bundles other than the system bundle, by symbolic name, with their state (ACTIVE, RESOLVED, ...). */
    Map<String, String> bundleStates() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Bundle b : framework.getBundleContext().getBundles()) {
            if (b.getBundleId() != 0) {
                out.put(b.getSymbolicName(), stateName(b.getState()));
            }
        }
        return out;
    }

    private static String stateName(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            default -> "UNINSTALLED";
        };
    }

    /** The framework's name and version, e.g. {@code Apache Felix 7.0.5}. */
    String description() {
        Bundle system = framework.getBundleContext().getBundle(0);
        return "Apache Felix " + system.getVersion();
    }

    /** One service object of a class, or null; the caller uses it reflectively (tests play target clients). */
    Object service(String className) {
        try {
            // all references: the launcher's class path may hold a class of that name too (tests), which is
            // not the bundle's, and would hide the service from getServiceReference
            ServiceReference<?>[] refs = framework.getBundleContext().getAllServiceReferences(className, null);
            return refs == null ? null : framework.getBundleContext().getService(refs[0]);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * Stops the framework: the bundles stop in reverse order, the engine's
     * first, which exports every pool. False when it did not stop in time.
     */
    boolean stop(long timeoutMillis) {
        try {
            framework.stop();
            return framework.waitForStop(timeoutMillis).getType() != FrameworkEvent.WAIT_TIMEDOUT;
        } catch (BundleException e) {
            throw new IllegalStateException("cannot stop the OSGi framework: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
