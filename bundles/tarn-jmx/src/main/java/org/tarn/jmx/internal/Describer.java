package org.tarn.jmx.internal;

import java.lang.reflect.Method;
import java.util.Arrays;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;

import org.tarn.jmx.Description;
import org.tarn.jmx.Operation;
import org.tarn.jmx.Parameter;

/**
 * Reads {@link Description}, {@link Operation} and {@link Parameter} from an
 * MBean interface for the MBeanInfo. What is not annotated gets an empty
 * description, {@link MBeanOperationInfo#UNKNOWN} impact or the JMX default
 * parameter name, so the metadata test catches it.
 */
final class Describer {
    private final Class<?> mbeanInterface;

    Describer(Class<?> mbeanInterface) {
        this.mbeanInterface = mbeanInterface;
    }

    String mbean(MBeanInfo info) {
        Description d = mbeanInterface.getAnnotation(Description.class);
        return d == null ? "" : d.value();
    }

    String attribute(MBeanAttributeInfo info) {
        Method getter = find(info.isIs() ? "is" + info.getName() : "get" + info.getName(), new String[0]);
        Description d = getter == null ? null : getter.getAnnotation(Description.class);
        return d == null ? "" : d.value();
    }

    String operation(MBeanOperationInfo info) {
        Operation op = operationAnnotation(info);
        return op == null ? "" : op.desc();
    }

    int impact(MBeanOperationInfo info, int fallback) {
        Operation op = operationAnnotation(info);
        return op == null ? fallback : op.impact();
    }

    String parameterName(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        Parameter p = parameter(op, sequence);
        return p == null ? param.getName() : p.name();
    }

    String parameterDescription(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        Parameter p = parameter(op, sequence);
        return p == null ? "" : p.desc();
    }

    private Operation operationAnnotation(MBeanOperationInfo info) {
        Method m = find(info.getName(), types(info));
        return m == null ? null : m.getAnnotation(Operation.class);
    }

    private Parameter parameter(MBeanOperationInfo op, int sequence) {
        Method m = find(op.getName(), types(op));
        if (m == null || sequence < 0 || sequence >= m.getParameterCount()) {
            return null;
        }
        return Arrays.stream(m.getParameterAnnotations()[sequence]).filter(Parameter.class::isInstance)
                .map(Parameter.class::cast).findFirst().orElse(null);
    }

    private static String[] types(MBeanOperationInfo info) {
        return Arrays.stream(info.getSignature()).map(MBeanParameterInfo::getType).toArray(String[]::new);
    }

    /** The interface method of that name whose parameter types have these class names. */
    private Method find(String name, String[] typeNames) {
        for (Method m : mbeanInterface.getMethods()) {
            if (!m.getName().equals(name) || m.getParameterCount() != typeNames.length) {
                continue;
            }
            Class<?>[] params = m.getParameterTypes();
            boolean same = true;
            for (int i = 0; i < params.length && same; i++) {
                same = params[i].getName().equals(typeNames[i]);
            }
            if (same) {
                return m;
            }
        }
        return null;
    }
}
