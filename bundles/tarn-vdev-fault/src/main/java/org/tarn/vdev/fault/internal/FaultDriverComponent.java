package org.tarn.vdev.fault.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.vdev.fault.FaultInjection;
import org.tarn.vdev.fault.FaultVdevDriver;

/**
 * The fault-injecting driver ({@code fault:} paths) as a {@link VdevDriver}
 * service (service property {@code tarn.vdev.type=fault}), wrapping the
 * {@code file} driver service. With {@code mbean=true} in configuration
 * {@value #PID} it also registers {@code tarn:type=FaultInjection} in the
 * platform MBeanServer, to make devices hang or fail in drills.
 *
 * <p>Immediate, so the MBean is there as soon as it is configured. A
 * configuration change only adds or removes the MBean ({@code @Modified}):
 * re-registering the driver would force-export every pool on it. The file
 * driver service leaving takes this one with it (static reference), since
 * every open fault device wraps a device of that driver.
 *
 * <p>I/O hung by an injector stays hung when this component goes away, as on
 * a hung disk: clear the device first to release it.
 */
@Component(service = VdevDriver.class, immediate = true, configurationPid = FaultDriverComponent.PID,
        property = "tarn.vdev.type=" + FaultVdevDriver.TYPE)
@Designate(ocd = FaultDriverComponent.Config.class)
public final class FaultDriverComponent implements VdevDriver {
    /** Configuration PID of the fault driver. */
    public static final String PID = "org.tarn.vdev.fault";

    /** Configuration of the fault driver, PID {@value FaultDriverComponent#PID}. */
    @ObjectClassDefinition(name = "Tarn fault vdev driver", description = "The fault-injecting vdev driver "
            + "(fault: devices over files), for drills and tests.")
    public @interface Config {
        @AttributeDefinition(name = "FaultInjection MBean", description = "Register tarn:type=FaultInjection "
                + "in the platform MBeanServer (hangWrites, failWrites, clear, hungIo on fault: devices).")
        boolean mbean() default false;
    }

    private final FaultVdevDriver driver;
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private ObjectName registered;

    @Activate
    public FaultDriverComponent(@Reference(name = "file", target = "(tarn.vdev.type=file)") VdevDriver file,
            Config config) {
        this.driver = new FaultVdevDriver(file);
        apply(config);
    }

    @Modified
    synchronized void apply(Config config) {
        if (config.mbean() && registered == null) {
            try {
                registered = server.registerMBean(new FaultInjection(driver), FaultInjection.objectName())
                        .getObjectName();
            } catch (JMException e) {
                throw new IllegalStateException("cannot register " + FaultInjection.OBJECT_NAME + ": "
                        + e.getMessage(), e);
            }
        } else if (!config.mbean()) {
            unregister();
        }
    }

    @Deactivate
    synchronized void unregister() {
        if (registered != null) {
            try {
                server.unregisterMBean(registered);
            } catch (JMException e) {
                // already gone: nothing of ours is left
            }
            registered = null;
        }
    }

    @Override
    public String type() {
        return driver.type();
    }

    @Override
    public boolean accepts(String path) {
        return driver.accepts(path);
    }

    @Override
    public BlockDevice open(String path, boolean readOnly) throws IOException {
        return driver.open(path, readOnly);
    }
}
