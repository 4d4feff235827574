package org.tarn.ha;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;

import org.tarn.ha.internal.HaControl;
import org.tarn.jmx.DescribedMBeans;
import org.tarn.jmx.ObjectNames;

/** Registers {@code tarn:type=HaManager} for an {@link HaService} in a caller-supplied MBeanServer. */
public final class HaMBeans implements AutoCloseable {
    private final MBeanServer server;

    private HaMBeans(MBeanServer server) {
        this.server = server;
    }

    public static HaMBeans register(HaService ha, String connectString, MBeanServer server) {
        try {
            server.registerMBean(DescribedMBeans.of(new HaControl(ha, connectString), HaManagerMXBean.class),
                    ObjectNames.haManager());
        } catch (JMException e) {
            throw new IllegalStateException("cannot register " + ObjectNames.haManager() + ": " + e, e);
        }
        return new HaMBeans(server);
    }

    @Override
    public void close() {
        try {
            server.unregisterMBean(ObjectNames.haManager());
        } catch (InstanceNotFoundException e) {
            // already gone
        } catch (JMException e) {
            throw new IllegalStateException("cannot unregister " + ObjectNames.haManager() + ": " + e, e);
        }
    }
}
