package org.tarn.jmx.internal;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Unregistering an MBean that may already be gone, for the registries. */
final class Unregister {
    private static final Logger LOG = LoggerFactory.getLogger(Unregister.class);

    private Unregister() {
    }

    /** Unregisters {@code on}; one already gone is fine, any other failure is logged. */
    static void quietly(MBeanServer server, ObjectName on) {
        try {
            server.unregisterMBean(on);
        } catch (InstanceNotFoundException gone) {
            LOG.debug("{} was already unregistered", on);
        } catch (JMException e) {
            LOG.warn("cannot unregister {}: {}", on, e.toString());
        }
    }
}
