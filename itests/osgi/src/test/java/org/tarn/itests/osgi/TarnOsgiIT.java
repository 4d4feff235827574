package org.tarn.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import javax.management.MBeanServer;
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
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.ImportablePool;
import org.tarn.api.Pool;
import org.tarn.api.PoolManager;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
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
public class TarnOsgiIT extends OsgiTestSupport {

    @Configuration
    public Option[] config() {
        return container("tarn-api", "tarn-vdev-file", "tarn-vdev-fault", "tarn-target", "tarn-jmx", "tarn-osgi");
    }

    @Before
    public void freshEngine() throws Exception {
        freshWork();
        ensureStarted();
        configure(work.resolve("state"), List.of(work.toString()));
    }

    // ---- positive cases ----------------------------------------------------------

    @Test
    public void engineServiceDriversAndMBeansAppear_pos() throws Exception {
        PoolManager engine = engine();
        assertNotNull(engine);
        List<String> types = context.getServiceReferences(VdevDriver.class, null).stream()
                .map(r -> (String) r.getProperty("tarn.vdev.type")).sorted().collect(Collectors.toList());
        assertEquals(List.of("fault", "file"), types);
        List<String> owners = context.getServiceReferences(VdevDriver.class, null).stream()
                .map(r -> r.getBundle().getSymbolicName()).sorted().collect(Collectors.toList());
        assertEquals("each driver is a service of its own bundle", List.of("org.tarn.vdev.fault", "org.tarn.vdev.file"),
                owners);
        ObjectName name = new ObjectName("tarn:type=PoolManager");
        await("MBean " + name, () -> ManagementFactory.getPlatformMBeanServer().isRegistered(name));
        Object hostId = ManagementFactory.getPlatformMBeanServer().getAttribute(name, "HostId");
        assertEquals(engine.hostId(), Long.parseLong(hostId.toString(), 16));
    }

    @Test
    public void mbeansAreConfinedToTheSearchPathsAndManageTargets_pos() throws Exception {
        Path devices = devices("d0");
        Path elsewhere = devices("x0");
        configure(work.resolve("state"), List.of(devices.toString()));
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        ObjectName manager = new ObjectName("tarn:type=PoolManager");
        // the MBeans of the engine with these search paths (a reconfiguration registers them again)
        await("MBeans over search paths " + devices, () -> searchPathsOf(mbs, manager).equals(List.of(
                devices.toString())));
        String[] sig = {String.class.getName(), String.class.getName(), String.class.getName()};

        // a JMX caller may not name a file outside the search paths, as in the standalone server
        String refused = failure(() -> mbs.invoke(manager, "createPool", new Object[] {"evil",
                elsewhere.resolve("x0").toString(), ""}, sig));
        assertTrue(refused, refused.contains("outside the search paths"));
        refused = failure(() -> mbs.invoke(manager, "importPool", new Object[] {"evil", "dir=/etc"},
                new String[] {String.class.getName(), String.class.getName()}));
        assertTrue(refused, refused.contains("outside the search paths"));
        assertEquals(List.of(), engine().pools());

        // inside them it works, and the targets are managed through the OSGi wiring too
        mbs.invoke(manager, "createPool", new Object[] {"conf", devices.resolve("d0").toString(), ""}, sig);
        assertEquals(List.of("conf"), engine().pools());
        ObjectName targets = new ObjectName("tarn:type=TargetManager");
        await("MBean " + targets, () -> mbs.isRegistered(targets));
        mbs.invoke(targets, "createTarget", new Object[] {"conf", "ost0", "OST"}, sig);
        ObjectName ost0 = new ObjectName("tarn:type=Target,pool=" + ObjectName.quote("conf") + ",name="
                + ObjectName.quote("ost0"));
        await("MBean " + ost0, () -> mbs.isRegistered(ost0));
        // a clean export through the MBean unmounts the target first
        mbs.invoke(manager, "exportPool", new Object[] {"conf", false},
                new String[] {String.class.getName(), boolean.class.getName()});
        assertEquals(List.of(), engine().pools());
        await("target MBean gone", () -> !mbs.isRegistered(ost0));
    }

    private static List<String> searchPathsOf(MBeanServer mbs, ObjectName manager) {
        try {
            return List.of((String[]) mbs.getAttribute(manager, "SearchPaths"));
        } catch (Exception notThereYet) {
            return List.of();
        }
    }

    /** The messages of the failure of a call, causes included; fails when it succeeds. */
    private static String failure(java.util.concurrent.Callable<?> call) {
        try {
            call.call();
        } catch (Exception e) {
            StringBuilder messages = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                messages.append(t).append(" / ");
            }
            return messages.toString();
        }
        throw new AssertionError("expected a failure");
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

    @Test
    public void updatingTheEngineBundleExportsAndReimportsWithDataIntact_pos() throws Exception {
        Path devices = devices("d0", "d1", "e0");
        PoolManager engine = engine();
        Pool mirror = engine.createPool("upd", VdevLayout.parse("mirror " + devices.resolve("d0") + " "
                + devices.resolve("d1")), Map.of(), false);
        Pool single = engine.createPool("upd2", VdevLayout.parse(devices.resolve("e0").toString()), Map.of(), false);
        byte[] data = new byte[300_000];
        new Random(42).nextBytes(data);
        long obj = writeSynced(mirror, "ost0", data);
        long obj2 = writeSynced(single, "mdt0", data);
        List<String> events = new CopyOnWriteArrayList<>();
        engine.addEventListener((name, guid, e) -> events.add(name + " " + e.type()));
        long bundleId = osgiBundle().getBundleId();

        osgiBundle().update();

        // the old engine exported both pools cleanly (not force) before its bundle was replaced
        assertEquals(PoolState.EXPORTED, mirror.state());
        assertEquals(PoolState.EXPORTED, single.state());
        await("exported events", () -> events.contains("upd exported") && events.contains("upd2 exported"));
        assertFalse(events.toString(), events.stream().anyMatch(e -> e.endsWith("force-exported")));
        // the new revision's engine imported them back from its cache file, data intact
        assertEquals(bundleId, osgiBundle().getBundleId());
        await("pools re-imported after the update", () -> {
            PoolManager e = currentEngine();
            return e != null && e != engine && e.pools().equals(List.of("upd", "upd2"));
        });
        PoolManager updated = engine();
        assertData(updated.pool("upd").orElseThrow(), "ost0", obj, data);
        assertData(updated.pool("upd2").orElseThrow(), "mdt0", obj2, data);
        assertEquals(PoolState.ACTIVE, updated.pool("upd").orElseThrow().state());
        updated.exportPool("upd", false);
        updated.exportPool("upd2", false);
    }

    // ---- negative cases ----------------------------------------------------------

    @Test
    public void aServiceKeptAfterItsEngineStoppedRefusesCalls_neg() throws Exception {
        // PoolManager has no close(): only the component stops its engine; a caller that keeps the service of a
        // stopped engine gets a clear error instead of a half-working engine
        PoolManager stale = engine();
        osgiBundle().stop();
        try {
            stale.scan(List.of());
            fail("a stopped engine must refuse calls");
        } catch (TarnException expected) {
            assertEquals(ErrorCode.ENGINE_STOPPED, expected.code());
            assertTrue(expected.getMessage(), expected.getMessage().contains("stopped"));
        }
        osgiBundle().start();
        assertNotSame(stale, engine());
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
        // the component registers its service from activate(): ACTIVE once activate (and the components the
        // registration activates on its thread, JMX and targets) has returned, a moment after the service shows
        await("engine component ACTIVE", () -> engineState() == ComponentConfigurationDTO.ACTIVE);
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

    private static ImportablePool only(ImportScan scan) {
        assertEquals(scan.toString(), 1, scan.pools().size());
        assertFalse(scan.pools().isEmpty());
        return scan.pools().get(0);
    }
}
