package org.tarn.vdev.fault;

import java.util.Objects;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MalformedObjectNameException;
import javax.management.NotCompliantMBeanException;
import javax.management.ObjectName;
import javax.management.StandardMBean;

/**
 * {@code tarn:type=FaultInjection}: drives a fault vdev driver in a running
 * server, for failover drills and end-to-end tests. It acts on {@code fault:}
 * devices only. Whoever owns the driver registers it, and only when asked:
 * the standalone server with {@code fault.injection=true}, the driver's OSGi
 * bundle with {@code mbean=true} in configuration {@code org.tarn.vdev.fault}.
 */
public final class FaultInjection extends StandardMBean implements FaultInjectionControl {

    /** The ObjectName it is registered under. */
    public static final String OBJECT_NAME = "tarn:type=FaultInjection";

    private final FaultVdevDriver driver;

    /** An MBean acting on the devices of {@code driver}. */
    public FaultInjection(FaultVdevDriver driver) throws NotCompliantMBeanException {
        super(FaultInjectionControl.class);
        this.driver = Objects.requireNonNull(driver, "driver");
    }

    /** {@value #OBJECT_NAME} as an ObjectName. */
    public static ObjectName objectName() {
        try {
            return new ObjectName(OBJECT_NAME);
        } catch (MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void hangWrites(String device) {
        driver.openInjector(device).add(FaultRule.hang().on(FaultRule.Op.WRITE));
    }

    @Override
    public void failWrites(String device) {
        driver.openInjector(device).add(FaultRule.error().on(FaultRule.Op.WRITE));
    }

    @Override
    public void failReads(String device) {
        driver.openInjector(device).add(FaultRule.error().on(FaultRule.Op.READ));
    }

    @Override
    public void noSpace(String device) {
        driver.openInjector(device).add(FaultRule.noSpace().on(FaultRule.Op.WRITE));
    }

    @Override
    public void delayIo(String device, long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("delay must be 0 or more milliseconds, got " + millis);
        }
        driver.openInjector(device).add(FaultRule.latency(millis));
    }

    @Override
    public void clear(String device) {
        driver.injector(device).clear();
    }

    @Override
    public int hungIo(String device) {
        return driver.injector(device).hungCount();
    }

    @Override
    protected String getDescription(MBeanInfo info) {
        return "Injects device faults through the fault vdev driver (fault: devices only); for drills and tests";
    }

    @Override
    protected String getDescription(MBeanAttributeInfo info) {
        return info.getName();
    }

    @Override
    protected String getDescription(MBeanOperationInfo op) {
        return switch (op.getName()) {
            case "hangWrites" -> "Makes every later write to the device never return, like a hung disk";
            case "failWrites" -> "Makes every later write to the device fail with an I/O error";
            case "failReads" -> "Makes every later read of the device fail with an I/O error";
            case "noSpace" -> "Makes every later write to the device fail with ENOSPC (no space left on device)";
            case "delayIo" -> "Makes every later read, write and flush of the device take longer by the given delay";
            case "hungIo" -> "How many device I/O calls are hung on the device right now";
            default -> "Removes every fault of the device and releases hung I/O";
        };
    }

    @Override
    protected String getParameterName(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        return sequence == 0 ? "device" : "millis";
    }

    @Override
    protected String getDescription(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        return sequence == 0 ? "The device path, with or without the fault: prefix"
                : "Added latency of each device call, in milliseconds";
    }

    @Override
    protected int getImpact(MBeanOperationInfo info) {
        return info.getName().equals("hungIo") ? MBeanOperationInfo.INFO : MBeanOperationInfo.ACTION;
    }
}
