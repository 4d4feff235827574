package org.tarn.jmx;

import javax.management.StandardMBean;

import org.tarn.jmx.internal.Described;

/**
 * Makes an MBean whose descriptions, impacts and parameter names come from
 * the {@link Description}, {@link Operation} and {@link Parameter}
 * annotations on its interface, as Tarn's own MBeans do, for bundles that
 * register MBeans of their own (tarn-ha). Open types only.
 */
public final class DescribedMBeans {
    private DescribedMBeans() {
    }

    /** A standard MBean for {@code implementation}, described by the annotations on {@code mbeanInterface}. */
    public static <T> StandardMBean of(T implementation, Class<T> mbeanInterface) {
        return Described.mbean(implementation, mbeanInterface);
    }
}
