package org.tarn.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.PoolManager;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.VdevDriver;

/**
 * Vdev drivers as separately deployable bundles: the container starts with
 * the file driver only; each test installs the fault driver bundle into the
 * running framework, uses it, and removes it again, while the engine keeps
 * running and pools on the file driver are never touched.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DriverHotDeployIT extends OsgiTestSupport {
    private static final String[] DEVICE = {String.class.getName()};
    /** The engine aims at well under a second; a loaded CI machine gets slack. */
    private static final long FORCE_EXPORT_BOUND_MILLIS = 5_000;

    private final MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();

    @Configuration
    public Option[] config() {
        // the fault driver is left out: the tests deploy it into the running framework
        return container("tarn-vdev-fault", TARGET_SERVER, METRICS, HA);
    }

    @Before
    public void freshEngine() throws Exception {
        freshWork();
        ensureStarted();
        configure(work.resolve("state"), List.of(work.toString()));
        assertEquals("no fault driver before a test installs it", null, bundle(FAULT_BUNDLE));
    }

    @After
    public void removeFaultBundle() throws Exception {
        Bundle fault = bundle(FAULT_BUNDLE);
        if (fault != null) {
            fault.uninstall();
        }
        org.osgi.service.cm.Configuration c = configAdmin.getConfiguration(FAULT_PID, "?");
        c.delete();
    }

    // ---- positive cases ----------------------------------------------------------

    @Test
    public void hotDeployedFaultDriverHangsAndForceExportsInBoundedTime_pos() throws Exception {
        Path devices = devices("f0", "p0");
        String faultDev = "fault:" + devices.resolve("f0");
        PoolManager engine = engine();
        Pool onFile = engine.createPool("cold", VdevLayout.parse(devices.resolve("p0").toString()), Map.of(), false);

        // deploy the fault driver, with its MBean, into the running framework
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("mbean", Boolean.TRUE);
        configAdmin.getConfiguration(FAULT_PID, "?").update(props);
        installFaultBundle();
        ObjectName faults = new ObjectName("tarn:type=FaultInjection");
        await("MBean " + faults, () -> mbeans.isRegistered(faults));
        assertTrue("the engine was not restarted", engine == currentEngine());
        assertEquals(List.of("cold"), engine.pools());

        Pool hot = engine.createPool("hot", VdevLayout.parse(faultDev), Map.of(), false);
        writeSynced(hot, "ost0", new byte[100_000]);

        // the device hangs under a write; a sync waits on it
        mbeans.invoke(faults, "hangWrites", new Object[] {faultDev}, DEVICE);
        try (Dataset ds = hot.openDataset("ost0"); Transaction tx = hot.begin()) {
            ds.write(tx, ds.createObject(tx), 0, ByteBuffer.wrap(new byte[100_000]));
        }
        CompletableFuture<Throwable> sync = CompletableFuture.supplyAsync(() -> {
            try {
                hot.sync();
                return null;
            } catch (TarnException e) {
                return e;
            }
        });
        await("a write hung on " + faultDev,
                () -> hungIo(faults, faultDev) > 0);

        long t0 = System.nanoTime();
        engine.forceExport("hot");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue("force export took " + millis + " ms", millis < FORCE_EXPORT_BOUND_MILLIS);
        assertEquals(PoolState.EXPORTED, hot.state());
        Throwable failed = sync.get(10, TimeUnit.SECONDS);
        assertTrue(String.valueOf(failed), failed instanceof TarnException
                && failed.getMessage().startsWith("TARN-11 ") && failed.getMessage().contains("force-exported"));

        // release the hung write, then take the driver away again
        mbeans.invoke(faults, "clear", new Object[] {faultDev}, DEVICE);
        bundle(FAULT_BUNDLE).uninstall();
        await("fault driver service gone", () -> !driverService("fault"));
        await("MBean unregistered", () -> !mbeans.isRegistered(faults));

        // the file pool never noticed
        assertTrue("the engine was not restarted", engine == currentEngine());
        assertEquals(List.of("cold"), engine.pools());
        assertEquals(PoolState.ACTIVE, onFile.state());
        byte[] data = new byte[50_000];
        new Random(7).nextBytes(data);
        long obj = writeSynced(onFile, "ost1", data);
        assertData(onFile, "ost1", obj, data);
        engine.exportPool("cold", false);
    }

    @Test
    public void removingTheDriverBundleFailsOnlyThePoolsThatUseIt_pos() throws Exception {
        Path devices = devices("f0", "f1", "p0");
        installFaultBundle();
        PoolManager engine = engine();
        Pool onFault = engine.createPool("onfault", VdevLayout.parse("mirror fault:" + devices.resolve("f0")
                + " fault:" + devices.resolve("f1")), Map.of(), false);
        Pool onFile = engine.createPool("onfile", VdevLayout.parse(devices.resolve("p0").toString()), Map.of(), false);
        byte[] data = new byte[200_000];
        new Random(3).nextBytes(data);
        long obj = writeSynced(onFile, "ost0", data);
        writeSynced(onFault, "ost0", data);
        List<String> events = new CopyOnWriteArrayList<>();
        engine.addEventListener((name, guid, e) -> events.add(name + " " + e.type() + ": " + e.detail()));

        bundle(FAULT_BUNDLE).uninstall();

        assertEquals(PoolState.EXPORTED, onFault.state());
        assertEquals(List.of("onfile"), engine.pools());
        await("force-exported event", () -> events.stream()
                .anyMatch(e -> e.startsWith("onfault force-exported: vdev driver 'fault' was removed")));
        assertFalse(events.toString(), events.stream().anyMatch(e -> e.startsWith("onfile ")));
        assertTrue("the engine was not restarted", engine == currentEngine());
        assertEquals(PoolState.ACTIVE, onFile.state());
        assertData(onFile, "ost0", obj, data);
        writeSynced(onFile, "ost1", data);
        engine.exportPool("onfile", false);
    }

    @Test
    public void cachedPoolWaitsForItsDriverBundle_pos() throws Exception {
        Path devices = devices("f0");
        installFaultBundle();
        byte[] data = new byte[100_000];
        new Random(5).nextBytes(data);
        long obj = writeSynced(engine().createPool("later", VdevLayout.parse("fault:" + devices.resolve("f0")),
                Map.of(), false), "ost0", data);

        // the engine stops (exporting, keeping the pool cached) and starts again without the fault driver
        osgiBundle().stop();
        bundle(FAULT_BUNDLE).uninstall();
        osgiBundle().start();
        PoolManager engine = engine();
        assertEquals("waits for its driver", List.of(), engine.pools());

        installFaultBundle();
        await("cached pool imported once its driver is deployed", () -> engine.pools().equals(List.of("later")));
        assertData(engine.pool("later").orElseThrow(), "ost0", obj, data);
        engine.exportPool("later", false);
    }

    @Test
    public void secondDriverOfATypeTakesOverWhenTheFirstLeaves_pos() throws Exception {
        Path devices = devices("f0");
        installFaultBundle();
        // a second "fault" driver service (over the file driver): refused while the bundle's serves
        VdevDriver file = context.getService(context.getServiceReferences(VdevDriver.class, "(tarn.vdev.type=file)")
                .iterator().next());
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("tarn.vdev.type", "fault");
        org.osgi.framework.ServiceRegistration<VdevDriver> second = context.registerService(VdevDriver.class,
                new VdevDriver() {
                    @Override
                    public String type() {
                        return "fault";
                    }

                    @Override
                    public boolean accepts(String path) {
                        return path.startsWith("fault:");
                    }

                    @Override
                    public org.tarn.api.vdev.BlockDevice open(String path, boolean readOnly)
                            throws java.io.IOException {
                        return file.open(path.substring("fault:".length()), readOnly);
                    }
                }, props);
        try {
            PoolManager engine = engine();
            bundle(FAULT_BUNDLE).uninstall();
            // the remaining "fault" service serves the type: creates on fault: devices work again
            await("the second driver takes over", () -> {
                try {
                    engine.createPool("taken", VdevLayout.parse("fault:" + devices.resolve("f0")), Map.of(), false);
                    return true;
                } catch (TarnException missing) {
                    return false;
                }
            });
            assertTrue("the engine was not restarted", engine == currentEngine());
            engine.exportPool("taken", false);
        } finally {
            second.unregister();
        }
    }

    // ---- negative cases ----------------------------------------------------------

    @Test
    public void createWithoutTheDriverNamesTheMissingType_neg() throws Exception {
        Path devices = devices("f0");
        String dev = "fault:" + devices.resolve("f0");
        try {
            engine().createPool("nodriver", VdevLayout.parse(dev), Map.of(), false);
            fail("create on fault: devices without the fault driver must be refused");
        } catch (TarnException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().startsWith("TARN-23 ")
                    && expected.getMessage().contains("type 'fault'") && expected.getMessage().contains(dev));
        }
        assertEquals(List.of(), engine().pools());

        installFaultBundle();
        engine().createPool("nodriver", VdevLayout.parse(dev), Map.of(), false);
        engine().exportPool("nodriver", false);
    }

    // ---- helpers ------------------------------------------------------------------

    private void installFaultBundle() throws Exception {
        Bundle b = context.installBundle(Path.of(System.getProperty(FAULT_JAR)).toUri().toString());
        b.start();
        await("fault driver service", () -> driverService("fault"));
    }

    private int hungIo(ObjectName faults, String device) {
        try {
            return (Integer) mbeans.invoke(faults, "hungIo", new Object[] {device}, DEVICE);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
