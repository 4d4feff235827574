package org.tarn.jmx.internal;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.StandardMBean;

/**
 * A standard MBean (open types only) whose metadata comes from the
 * annotations on its interface.
 */
public final class DescribedMBean extends StandardMBean {
    private final Describer describer;

    <T> DescribedMBean(T implementation, Class<T> mbeanInterface) {
        super(implementation, mbeanInterface, false);
        this.describer = new Describer(mbeanInterface);
    }

    /** The described MBean of an implementation. */
    public static <T> DescribedMBean of(T implementation, Class<T> mbeanInterface) {
        return new DescribedMBean(implementation, mbeanInterface);
    }

    @Override
    protected String getDescription(MBeanInfo info) {
        return describer.mbean(info);
    }

    @Override
    protected String getDescription(MBeanAttributeInfo info) {
        return describer.attribute(info);
    }

    @Override
    protected String getDescription(MBeanOperationInfo info) {
        return describer.operation(info);
    }

    @Override
    protected int getImpact(MBeanOperationInfo info) {
        return describer.impact(info, MBeanOperationInfo.UNKNOWN);
    }

    @Override
    protected String getParameterName(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        return describer.parameterName(op, param, sequence);
    }

    @Override
    protected String getDescription(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        return describer.parameterDescription(op, param, sequence);
    }
}
