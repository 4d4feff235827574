package org.tarn.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.management.ObjectName;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.ImportablePool;
import org.tarn.api.PoolManager;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.VdevDriver;

/**
 * The Tarn bundles in Felix with SCR and Configuration Admin: the engine
 * component publishes a {@link PoolManager}, follows its configuration and
 * exports every pool when its bundle stops. One container for the class;
 * each test gives the engine a fresh state directory, so tests do not share
 * pools or host ids.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TarnOsgiIT {
    private static final String PID = "org.tarn.engine";
    private static final String OSGI_BUNDLE = "org.tarn.osgi";
    private static final long DEVICE_BYTES = 64L * 1024 * 1024;
    private static final long WAIT_MILLIS = 20_000;

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    private Path work;

    @Configuration
    public Option[] config() {
        return options(
                systemProperty("org.slf4j.simpleLogger.defaultLogLevel").value("info"),
                // pax-logging-api (Pax Exam's own) prints SPI Fly's and its own DEBUG lines otherwise
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"),
                // the test class path holds slf4j too: never let Felix fall back to it (implicit boot
                // delegation made slf4j-simple's provider "not a subtype" of slf4j-api's interface)
                frameworkProperty("felix.bootdelegation.implicit").value("false"),
                systemProperty("tarn.itest.workDir").value(System.getProperty("tarn.itest.workDir")),
                junitBundles(),
                // SPI Fly first: it must weave slf4j-api before slf4j-api looks for its provider
                jar("asm"), jar("asm-tree"), jar("asm-analysis"), jar("asm-commons"), jar("asm-util"),
                jar("spifly"),
                jar("slf4j-api"), jar("slf4j-simple"),
                jar("function"), jar("promise"), jar("component"), jar("scr"),
                jar("configadmin"),
                jar("tarn-api"), jar("tarn-vdev-file"), jar("tarn-vdev-fault"), jar("tarn-jmx"),
                jar("tarn-osgi"));
    }

    /** A bundle from the jar whose path the build passes as system property {@code bundle.<name>}. */
    private static Option jar(String name) {
        String path = System.getProperty("bundle." + name);
        if (path == null || path.isBlank() || path.startsWith("${")) {
            throw new IllegalStateException("system property bundle." + name + " is not set; run with mvn verify");
        }
        return bundle(new File(path).toURI().toString());
    }

    @Before
    public void freshEngine() throws Exception {
        work = Files.createDirectories(Path.of(System.getProperty("tarn.itest.workDir", "target/itest-work"))
                .toAbsolutePath().resolve(UUID.randomUUID().toString()));
        ensureStarted();
        configure(work.resolve("state"), List.of());
    }

    // ---- positive cases ----------------------------------------------------------

    @Test
    public void engineServiceDriversAndMBeansAppear_pos() throws Exception {
        PoolManager engine = engine();
        assertNotNull(engine);
        List<String> types = context.getServiceReferences(VdevDriver.class, null).stream()
                .map(r -> (String) r.getProperty("tarn.vdev.type")).sorted().collect(Collectors.toList());
        assertEquals(List.of("fault", "file"), types);
        ObjectName name = new ObjectName("tarn:type=PoolManager");
        await("MBean " + name, () -> ManagementFactory.getPlatformMBeanServer().isRegistered(name));
        Object hostId = ManagementFactory.getPlatformMBeanServer().getAttribute(name, "HostId");
        assertEquals(engine.hostId(), Long.parseLong(hostId.toString(), 16));
    }

    @Test
    public void createExportImportThroughService_pos() throws Exception {
        PoolManager engine = engine();
        Path devices = devices("d0", "d1");
        engine.createPool("tank", VdevLayout.parse("mirror " + devices.resolve("d0") + " " + devices.resolve("d1")),
                Map.of(), false);
        assertEquals(List.of("tank"), engine.pools());

        engine.exportPool("tank", false);
        assertEquals(List.of(), engine.pools());
        ImportablePool found = only(engine.scan(List.of(devices.toString())));
        assertEquals("tank", found.name());
        assertEquals("EXPORTED", found.state());

        engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(devices.toString())));
        assertEquals(List.of("tank"), engine.pools());
        engine.exportPool("tank", false);
    }

    @Test
    public void searchPathsFromConfigAdminTakeEffect_pos() throws Exception {
        Path devices = devices("d0");
        PoolManager before = engine();
        before.createPool("sp", VdevLayout.parse(devices.resolve("d0").toString()), Map.of(), false);
        before.exportPool("sp", false);

        configure(work.resolve("state"), List.of(devices.toString()));
        PoolManager after = engine();
        assertEquals(List.of(devices.toString()), after.searchPaths());
        // no directories named: the configured search paths are scanned
        after.importPool("sp", ImportOptions.defaults());
        assertEquals(List.of("sp"), after.pools());
        after.exportPool("sp", false);
    }

    @Test
    public void reconfigurationExportsAndReimportsCachedPools_pos() throws Exception {
        Path devices = devices("d0");
        engine().createPool("keep", VdevLayout.parse(devices.resolve("d0").toString()), Map.of(), false);

        configure(work.resolve("state"), List.of(devices.toString()));
        PoolManager restarted = engine();
        assertEquals(List.of(devices.toString()), restarted.searchPaths());
        assertEquals("the cache file brings the pool back", List.of("keep"), restarted.pools());
        restarted.exportPool("keep", false);
    }

    @Test
    public void stoppingTheBundleExportsEveryPool_pos() throws Exception {
        Path devices = devices("a0", "b0");
        PoolManager engine = engine();
        long hostId = engine.hostId();
        engine.createPool("pa", VdevLayout.parse(devices.resolve("a0").toString()), Map.of(), false);
        engine.createPool("pb", VdevLayout.parse(devices.resolve("b0").toString()), Map.of(), false);

        Bundle osgi = osgiBundle();
        osgi.stop();
        assertNull(context.getServiceReference(PoolManager.class));

        // another host (fresh state directory, so a new host id and no cache) sees both pools EXPORTED
        configure(work.resolve("other-host"), List.of(devices.toString()));
        osgi.start();
        PoolManager other = engine();
        assertNotEquals(hostId, other.hostId());
        assertEquals(List.of(), other.pools());
        ImportScan scan = other.scan(List.of());
        assertEquals(2, scan.pools().size());
        for (ImportablePool p : scan.pools()) {
            assertEquals(p.name(), "EXPORTED", p.state());
            assertTrue(p.name() + ": " + p.problems(), p.importable());
        }
        // and imports them without force
        other.importPool("pa", ImportOptions.defaults());
        other.importPool("pb", ImportOptions.defaults());
        assertEquals(List.of("pa", "pb"), other.pools());
        other.exportPool("pa", false);
        other.exportPool("pb", false);
    }

    // ---- negative cases ----------------------------------------------------------

    @Test
    public void callersCannotCloseTheEngineService_neg() throws Exception {
        PoolManager engine = engine();
        try {
            engine.close();
            fail("close() through the service must be refused");
        } catch (RuntimeException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("cannot be closed"));
        }
        assertEquals(engine.hostId(), engine().hostId());
    }

    @Test
    public void restartingTheBundleReimportsCachedPools_pos() throws Exception {
        Path devices = devices("d0");
        PoolManager engine = engine();
        engine.createPool("busy", VdevLayout.parse(devices.resolve("d0").toString()), Map.of(), false);
        osgiBundle().stop();
        osgiBundle().start();
        // same state directory: the cache brings it back on this host
        assertEquals(List.of("busy"), engine().pools());
        engine().exportPool("busy", false);
    }

    @Test
    public void unusableStateDirFailsActivationUntilFixed_neg() throws Exception {
        Path notADir = Files.writeString(work.resolve("not-a-directory"), "x");
        configure(notADir, List.of());
        await("engine component FAILED_ACTIVATION", () -> engineState() == ComponentConfigurationDTO.FAILED_ACTIVATION);
        // SCR may keep the registration, but nobody gets an engine from it
        assertNull(currentEngine());

        configure(work.resolve("state"), List.of());
        assertNotNull(engine());
        assertEquals(ComponentConfigurationDTO.ACTIVE, engineState());
    }

    // ---- helpers ------------------------------------------------------------------

    /** State of the engine component's configuration, or -1 when it has none. */
    private int engineState() {
        ServiceReference<ServiceComponentRuntime> ref = context.getServiceReference(ServiceComponentRuntime.class);
        ServiceComponentRuntime scr = context.getService(ref);
        try {
            ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(osgiBundle(),
                    "org.tarn.osgi.internal.EngineComponent");
            return scr.getComponentConfigurationDTOs(d).stream().mapToInt(c -> c.state).findFirst().orElse(-1);
        } finally {
            context.ungetService(ref);
        }
    }

    private static void assertNull(Object o) {
        assertEquals(null, o);
    }

    private Bundle osgiBundle() {
        return Arrays.stream(context.getBundles()).filter(b -> OSGI_BUNDLE.equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new AssertionError("bundle " + OSGI_BUNDLE + " not installed"));
    }

    private void ensureStarted() throws Exception {
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
    private void configure(Path stateDir, List<String> searchPaths) throws Exception {
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
        }
    }

    private PoolManager currentEngine() {
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

    private PoolManager engine() throws InterruptedException {
        await("PoolManager service", () -> currentEngine() != null);
        return currentEngine();
    }

    private Path devices(String... names) throws IOException {
        Path dir = Files.createDirectories(work.resolve("dev-" + UUID.randomUUID()));
        for (String n : names) {
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve(n).toFile(), "rw")) {
                f.setLength(DEVICE_BYTES);
            }
        }
        return dir;
    }

    private static ImportablePool only(ImportScan scan) {
        assertEquals(scan.toString(), 1, scan.pools().size());
        assertFalse(scan.pools().isEmpty());
        return scan.pools().get(0);
    }

    /** Waits for a condition (polling), failing with its description after {@value #WAIT_MILLIS} ms. */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT_MILLIS + " ms waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
