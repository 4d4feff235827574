package org.tarn.jmx.internal;

import javax.management.StandardMBean;

/** The bridge from the exported {@code DescribedMBeans} to this package's {@link DescribedMBean}. */
public final class Described {
    private Described() {
    }

    public static <T> StandardMBean mbean(T implementation, Class<T> mbeanInterface) {
        return new DescribedMBean(implementation, mbeanInterface);
    }
}
