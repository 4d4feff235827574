package org.tarn.itests;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Access over Jolokia HTTP. A Jolokia error becomes a {@link ManagementFailure}
 * with the response's {@code error_type}, {@code error} and {@code status}.
 */
public final class JolokiaAccess implements MBeanAccess {
    private final JolokiaHttp jolokia;

    public JolokiaAccess(String url) {
        this.jolokia = new JolokiaHttp(url);
    }

    @Override
    public String name() {
        return "jolokia";
    }

    @Override
    public Object getAttribute(ObjectName mbean, String attribute) {
        return value(jolokia.read(mbean.toString(), attribute));
    }

    @Override
    public Object invoke(ObjectName mbean, String operation, Object... args) {
        return value(jolokia.exec(mbean.toString(), operation, args));
    }

    @Override
    public boolean isRegistered(ObjectName mbean) {
        return value(jolokia.search(mbean.toString())) instanceof List<?> names && !names.isEmpty();
    }

    @Override
    public MBeanMetadata metadata(ObjectName mbean) {
        JolokiaHttp.Response r = jolokia.list(mbean.toString());
        if (r.status() != 200) {
            throw new IllegalStateException("list of " + mbean + " answered " + r.body());
        }
        JsonNode info = r.value();
        Map<String, String> attributes = new LinkedHashMap<>();
        info.path("attr").fields().forEachRemaining(a -> attributes.put(a.getKey(), text(a.getValue().get("desc"))));
        List<MBeanMetadata.Operation> operations = new ArrayList<>();
        info.path("op").fields().forEachRemaining(o -> {
            // an overloaded operation is listed as an array of its signatures
            List<JsonNode> overloads = new ArrayList<>();
            if (o.getValue().isArray()) {
                o.getValue().forEach(overloads::add);
            } else {
                overloads.add(o.getValue());
            }
            for (JsonNode op : overloads) {
                List<MBeanMetadata.Parameter> params = new ArrayList<>();
                op.path("args").forEach(a -> params.add(new MBeanMetadata.Parameter(text(a.get("name")),
                        text(a.get("desc")))));
                operations.add(new MBeanMetadata.Operation(o.getKey(), text(op.get("desc")), params));
            }
        });
        return new MBeanMetadata(text(info.get("desc")), attributes, operations);
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    private static Object value(JolokiaHttp.Response r) {
        if (r.status() != 200) {
            String type = r.body().path("error_type").asText("");
            String error = r.body().path("error").asText("");
            // error is "<exception class> : <message>"; keep the whole text, it names the TARN code
            throw new ManagementFailure(type, error, r.status(), r.httpStatus());
        }
        return neutral(r.value());
    }

    static Object neutral(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isArray()) {
            List<Object> out = new ArrayList<>();
            n.forEach(e -> out.add(neutral(e)));
            return out;
        }
        if (n.isObject()) {
            Map<String, Object> out = new LinkedHashMap<>();
            n.fields().forEachRemaining(e -> out.put(e.getKey(), neutral(e.getValue())));
            return out;
        }
        return n.toString();
    }

    @Override
    public void close() {
        // stateless HTTP
    }
}
