package org.tarn.itests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What an MBean says about itself, as a client on one path sees it: its
 * description and those of its attributes, operations and their parameters
 * ({@code MBeanInfo} over JMX, the {@code list} answer over Jolokia).
 */
public record MBeanMetadata(String description, Map<String, String> attributes, List<Operation> operations) {
    private static final Pattern GENERATED_NAME = Pattern.compile("(p|arg|param)\\d+");

    /** One operation (an overload is one entry of its own). */
    public record Operation(String name, String description, List<Parameter> parameters) {
    }

    /** One parameter of an operation. */
    public record Parameter(String name, String description) {
    }

    /** What a client would miss: each undescribed part, and each parameter without a real name. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        if (blank(description)) {
            out.add("the MBean has no description");
        }
        attributes.forEach((name, desc) -> {
            if (blank(desc)) {
                out.add("attribute " + name + " has no description");
            }
        });
        for (Operation op : operations) {
            if (blank(op.description())) {
                out.add("operation " + op.name() + " has no description");
            }
            for (Parameter p : op.parameters()) {
                if (blank(p.name()) || GENERATED_NAME.matcher(p.name()).matches()) {
                    out.add("operation " + op.name() + " has a parameter without a real name: " + p.name());
                }
                if (blank(p.description()) || p.description().equals(p.name())) {
                    out.add("operation " + op.name() + " parameter " + p.name() + " has no description");
                }
            }
        }
        return out;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
