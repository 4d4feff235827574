package org.tarn.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading the plain shapes of {@link Backend} results. */
final class Values {
    private Values() {
    }

    static String string(Object v) {
        return v == null ? "" : v.toString();
    }

    static long number(Object v) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v instanceof String s && !s.isBlank()) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        return -1;
    }

    static boolean bool(Object v) {
        return v instanceof Boolean b ? b : Boolean.parseBoolean(string(v));
    }

    static List<String> strings(Object v) {
        List<String> out = new ArrayList<>();
        if (v instanceof List<?> list) {
            list.forEach(e -> out.add(string(e)));
        } else if (v != null) {
            out.add(string(v));
        }
        return out;
    }

    /** A flat name-to-value map (an MXBean-style map attribute) as strings; empty for anything else. */
    static Map<String, String> map(Object v) {
        Map<String, String> out = new LinkedHashMap<>();
        if (v instanceof Map<?, ?> m) {
            m.forEach((k, val) -> out.put(String.valueOf(k), string(val)));
        }
        return out;
    }

    /**
     * The rows of a table keyed by its index value; the index item is put back
     * into each row if a transport left it out.
     */
    static List<Map<String, Object>> rows(Object table, String indexName) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (table instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                Map<String, Object> row = new LinkedHashMap<>();
                if (e.getValue() instanceof Map<?, ?> r) {
                    r.forEach((k, v) -> row.put(String.valueOf(k), v));
                } else {
                    row.put("value", e.getValue());
                }
                row.putIfAbsent(indexName, String.valueOf(e.getKey()));
                out.add(row);
            }
        } else if (table instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> r) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    r.forEach((k, v) -> row.put(String.valueOf(k), v));
                    out.add(row);
                }
            }
        }
        return out;
    }
}
