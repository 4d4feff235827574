package org.tarn.dist;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.NotCompliantMBeanException;
import javax.management.StandardMBean;

import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.fault.FaultVdevDriver;

/**
 * {@code tarn:type=FaultInjection}: drives the fault vdev driver of a running
 * server, for failover drills and end-to-end tests. Registered only when
 * {@code fault.injection=true}; it acts on {@code fault:} devices only.
 */
final class FaultInjection extends StandardMBean implements FaultInjectionControl {

    private final FaultVdevDriver driver;

    FaultInjection(FaultVdevDriver driver) throws NotCompliantMBeanException {
        super(FaultInjectionControl.class);
        this.driver = driver;
    }

    @Override
    public void hangWrites(String device) {
        driver.injector(device).add(FaultRule.hang().on(FaultRule.Op.WRITE));
    }

    @Override
    public void failWrites(String device) {
        driver.injector(device).add(FaultRule.error().on(FaultRule.Op.WRITE));
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
            case "hungIo" -> "How many device I/O calls are hung on the device right now";
            default -> "Removes every fault of the device and releases hung I/O";
        };
    }

    @Override
    protected String getParameterName(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        return "device";
    }

    @Override
    protected String getDescription(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        return "The device path, with or without the fault: prefix";
    }

    @Override
    protected int getImpact(MBeanOperationInfo info) {
        return info.getName().equals("hungIo") ? MBeanOperationInfo.INFO : MBeanOperationInfo.ACTION;
    }
}
