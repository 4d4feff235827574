package org.tarn.jmx;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

/** Lists what is wrong with an MBean's metadata; empty when every item is described. */
public final class MetadataCheck {
    private static final Pattern GENERATED_NAME = Pattern.compile("(p|arg|param)\\d+");
    private static final Set<Integer> IMPACTS = Set.of(MBeanOperationInfo.INFO, MBeanOperationInfo.ACTION,
            MBeanOperationInfo.ACTION_INFO);
    /** The types a JMX client can show without Tarn classes. */
    public static final Set<String> OPEN_TYPES = Set.of("java.lang.String", "long", "int", "boolean",
            "java.lang.Long", "java.lang.Integer", "java.lang.Boolean", "void", String[].class.getName(),
            TabularData.class.getName(), CompositeData.class.getName(), CompositeData[].class.getName());

    private MetadataCheck() {
    }

    public static List<String> problems(MBeanInfo info) {
        List<String> out = new ArrayList<>();
        if (blank(info.getDescription())) {
            out.add("MBean " + info.getClassName() + " has no description");
        }
        for (MBeanAttributeInfo a : info.getAttributes()) {
            if (blank(a.getDescription())) {
                out.add("attribute " + a.getName() + " has no description");
            }
            if (!OPEN_TYPES.contains(a.getType())) {
                out.add("attribute " + a.getName() + " has a non-open type " + a.getType());
            }
        }
        for (MBeanOperationInfo op : info.getOperations()) {
            if (blank(op.getDescription())) {
                out.add("operation " + op.getName() + " has no description");
            }
            if (!IMPACTS.contains(op.getImpact())) {
                out.add("operation " + op.getName() + " has no impact (" + op.getImpact() + ")");
            }
            if (!OPEN_TYPES.contains(op.getReturnType())) {
                out.add("operation " + op.getName() + " returns a non-open type " + op.getReturnType());
            }
            for (MBeanParameterInfo p : op.getSignature()) {
                if (blank(p.getName()) || GENERATED_NAME.matcher(p.getName()).matches()) {
                    out.add("operation " + op.getName() + " has a parameter without a real name: " + p.getName());
                }
                if (blank(p.getDescription())) {
                    out.add("operation " + op.getName() + " parameter " + p.getName() + " has no description");
                }
                if (!OPEN_TYPES.contains(p.getType())) {
                    out.add("operation " + op.getName() + " parameter " + p.getName() + " is not an open type");
                }
            }
        }
        return out;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
