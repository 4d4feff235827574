package org.tarn.agent.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The agent's options, {@code key=value,key=value}: {@code state=DIR}
 * (default {@code ./tarn-agent-state}), {@code search=DIR[:DIR]} (default
 * {@code STATE/devices}), {@code jolokia=PORT} (default 0: no Jolokia).
 */
record AgentOptions(String text, Path stateDir, List<Path> searchPaths, int jolokiaPort) {
    static final Set<String> KEYS = Set.of("state", "search", "jolokia");

    static AgentOptions parse(String text) {
        String t = text == null ? "" : text.trim();
        Path state = Path.of("tarn-agent-state");
        String search = null;
        int jolokia = 0;
        for (String part : t.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("agent option '" + part + "' is not key=value; keys: " + KEYS);
            }
            String key = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            switch (key) {
                case "state" -> state = Path.of(requireValue(key, value));
                case "search" -> search = requireValue(key, value);
                case "jolokia" -> {
                    try {
                        jolokia = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("agent option jolokia=" + value + " is not a port number");
                    }
                    if (jolokia < 0 || jolokia > 65535) {
                        throw new IllegalArgumentException("agent option jolokia=" + value + " is not a port number");
                    }
                }
                default -> throw new IllegalArgumentException("unknown agent option '" + key + "'; keys: " + KEYS);
            }
        }
        state = state.toAbsolutePath().normalize();
        List<Path> paths = new ArrayList<>();
        if (search == null) {
            paths.add(state.resolve("devices"));
        } else {
            for (String s : search.split(java.io.File.pathSeparator)) {
                if (!s.isBlank()) {
                    paths.add(Path.of(s.trim()).toAbsolutePath().normalize());
                }
            }
        }
        return new AgentOptions(t, state, List.copyOf(paths), jolokia);
    }

    private static String requireValue(String key, String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("agent option " + key + "= needs a value");
        }
        return value;
    }
}
