package org.tarn.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import javax.inject.Inject;

import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.PoolManager;
import org.tarn.api.Transaction;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.dist.ServerBundles;

/**
 * What the Pax Exam tests in Felix share: the container's bundles, the
 * engine's configuration, device files and waiting for conditions.
 */
public abstract class OsgiTestSupport {
    static final String PID = "org.tarn.engine";
    static final String OSGI_BUNDLE = "org.tarn.osgi";
    static final String ENGINE_BUNDLE = "org.tarn.engine";
    static final String FAULT_BUNDLE = "org.tarn.vdev.fault";
    static final String FAULT_PID = "org.tarn.vdev.fault";
    static final long DEVICE_BYTES = 64L * 1024 * 1024;
    static final long WAIT_MILLIS = 20_000;
    /** Left out of these containers: it would listen on its fixed default port (127.0.0.1:9988), which other
     *  builds on the machine may hold; KarafFeatureIT and the server tests run it on a free port. */
    static final String TARGET_SERVER = "tarn-target-server";
    /** Left out of these containers: PrometheusScrapeTest covers it. */
    static final String METRICS = "tarn-metrics";
    /** Left out of these containers: it needs a ZooKeeper ensemble; tarn-ha's tests and HaServerFailoverTest run it. */
    static final String HA = "tarn-ha";
    /** System property (set by {@link #container}) with the path of the fault driver's jar, for tests that
     *  install it themselves from inside the framework. */
    static final String FAULT_JAR = "tarn.itest.faultJar";

    @Inject
    protected BundleContext context;

    @Inject
    protected ConfigurationAdmin configAdmin;

    protected Path work;

    /**
     * The framework: the standalone server's bundles (the one bundle list, as
     * {@code bundles.list} of the tarn-dist jar names them, in its order, from
     * the jars inside it) except those named in {@code without}.
     */
    static Option[] container(String... without) {
        List<Option> o = new ArrayList<>(List.of(
                systemProperty("org.slf4j.simpleLogger.defaultLogLevel").value("info"),
                // pax-logging-api (Pax Exam's own) prints SPI Fly's and its own DEBUG lines otherwise
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"),
                // the test class path holds slf4j too: never let Felix fall back to it (implicit boot
                // delegation made slf4j-simple's provider "not a subtype" of slf4j-api's interface)
                frameworkProperty("felix.bootdelegation.implicit").value("false"),
                systemProperty("tarn.itest.workDir").value(System.getProperty("tarn.itest.workDir")),
                systemProperty(FAULT_JAR).value(jarPath("tarn-vdev-fault").toString()),
                junitBundles()));
        Set<String> left = new HashSet<>(Arrays.asList(without));
        for (ServerBundles.Bundle b : serverBundles()) {
            if (!left.remove(b.artifactId())) {
                o.add(jar(b.artifactId()));
            }
        }
        if (!left.isEmpty()) {
            throw new IllegalArgumentException("not in the server's bundle list: " + left);
        }
        return options(o.toArray(new Option[0]));
    }

    /** The server's bundles, in order. */
    static List<ServerBundles.Bundle> serverBundles() {
        try {
            return ServerBundles.list();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The jar of one of the server's bundles: copied out of the tarn-dist jar
     * (on the test class path) into the work directory, once.
     */
    static Path jarPath(String artifactId) {
        Path to = Path.of(System.getProperty("tarn.itest.workDir", "target/itest-work")).toAbsolutePath()
                .resolve("bundles").resolve(artifactId + ".jar");
        try (InputStream in = ServerBundles.class.getResourceAsStream("bundles/" + artifactId + ".jar")) {
            if (in == null) {
                throw new IllegalStateException("bundles/" + artifactId + ".jar is not in the tarn-dist jar");
            }
            synchronized (OsgiTestSupport.class) {
                if (!Files.isRegularFile(to)) {
                    Files.createDirectories(to.getParent());
                    Path tmp = Files.createTempFile(to.getParent(), artifactId, ".part");
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return to;
    }

    /** One of the server's bundles, by artifactId. */
    static Option jar(String artifactId) {
        return CoreOptions.bundle(jarPath(artifactId).toUri().toString());
    }

    /** A fresh work directory per test, so tests share no pools, devices or host ids. */
    protected void freshWork() throws IOException {
        work = Files.createDirectories(Path.of(System.getProperty("tarn.itest.workDir", "target/itest-work"))
                .toAbsolutePath().resolve(UUID.randomUUID().toString()));
    }

    protected Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst().orElse(null);
    }

    protected Bundle osgiBundle() {
        Bundle b = bundle(OSGI_BUNDLE);
        if (b == null) {
            throw new AssertionError("bundle " + OSGI_BUNDLE + " not installed");
        }
        return b;
    }

    protected void ensureStarted() throws Exception {
        Bundle b = osgiBundle();
        if (b.getState() != Bundle.ACTIVE) {
            b.start();
        }
    }

    /**
     * Sets the engine's configuration and waits until the engine running is
     * the one started with it (its search paths match and its state directory
     * holds its host id).
     */
    protected void configure(Path stateDir, List<String> searchPaths) throws Exception {
        org.osgi.service.cm.Configuration c = configAdmin.getConfiguration(PID, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("stateDir", stateDir.toString());
        props.put("searchPaths", searchPaths.toArray(new String[0]));
        c.update(props);
        if (osgiBundle().getState() != Bundle.ACTIVE || !Files.isDirectory(stateDir.getParent())
                || Files.isRegularFile(stateDir)) {
            return;
        }
        await("engine with state " + stateDir + " and search paths " + searchPaths, () -> {
            PoolManager e = currentEngine();
            return e != null && e.searchPaths().equals(searchPaths) && hostIdIn(stateDir, e);
        });
    }

    private static boolean hostIdIn(Path stateDir, PoolManager e) {
        try {
            Path f = stateDir.resolve("hostid");
            return Files.exists(f) && Long.parseLong(Files.readString(f).trim(), 16) == e.hostId();
        } catch (IOException | NumberFormatException ex) {
            return false;
        } catch (RuntimeException stopped) {
            return false;
        }
    }

    protected PoolManager currentEngine() {
        ServiceReference<PoolManager> ref = context.getServiceReference(PoolManager.class);
        if (ref == null) {
            return null;
        }
        PoolManager e = context.getService(ref);
        if (e != null) {
            context.ungetService(ref);
        }
        return e;
    }

    protected PoolManager engine() throws InterruptedException {
        await("PoolManager service", () -> currentEngine() != null);
        return currentEngine();
    }

    /** Whether a {@link VdevDriver} service of that type is registered. */
    protected boolean driverService(String type) {
        try {
            return !context.getServiceReferences(VdevDriver.class, "(tarn.vdev.type=" + type + ")").isEmpty();
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    protected Path devices(String... names) throws IOException {
        Path dir = Files.createDirectories(work.resolve("dev-" + UUID.randomUUID()));
        for (String n : names) {
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve(n).toFile(), "rw")) {
                f.setLength(DEVICE_BYTES);
            }
        }
        return dir;
    }

    /** Writes {@code data} into a new object of a new dataset, syncs, and returns the object id. */
    protected static long writeSynced(Pool pool, String dataset, byte[] data) {
        pool.createDataset(dataset);
        long obj;
        try (Dataset ds = pool.openDataset(dataset); Transaction tx = pool.begin()) {
            obj = ds.createObject(tx);
            ds.write(tx, obj, 0, ByteBuffer.wrap(data));
        }
        pool.sync();
        return obj;
    }

    /** Reads back what {@link #writeSynced} wrote and checks it byte for byte. */
    protected static void assertData(Pool pool, String dataset, long obj, byte[] expected) {
        try (Dataset ds = pool.openDataset(dataset)) {
            assertEquals(expected.length, ds.size(obj));
            ByteBuffer back = ByteBuffer.allocate(expected.length);
            while (back.hasRemaining() && ds.read(obj, back.position(), back) > 0) {
                // reads may return fewer bytes than asked
            }
            assertEquals(ByteBuffer.wrap(expected), back.flip());
        }
    }

    /** Waits for a condition (polling), failing with its description after {@value #WAIT_MILLIS} ms. */
    protected static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT_MILLIS + " ms waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
