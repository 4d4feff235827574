package org.tarn.agent.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The agent's options, {@code key=value,key=value}: {@code state=DIR}
 * (default {@code ./tarn-agent-state}), {@code search=DIR[:DIR]} (default
 * {@code STATE/devices}), {@code jolokia=PORT} (default 0: no Jolokia),
 * {@code targets=PORT} (default 0: the storage targets are not served to
 * remote clients; else the target protocol on 127.0.0.1:PORT),
 * {@code links=DIR[:DIR]} (default none: directories that symbolic links
 * under the search paths may lead into, such as {@code /dev} for
 * {@code /dev/disk/by-id} links; any other link out is refused),
 * {@code cache=BYTES} (default 0: the engine's default block cache budget,
 * an eighth of the application's heap; else bytes, with an optional
 * {@code k}, {@code m} or {@code g} suffix).
 */
record AgentOptions(String text, Path stateDir, List<Path> searchPaths, int jolokiaPort, int targetPort,
                    List<Path> linkTargets, long blockCacheBytes) {
    static final Set<String> KEYS = Set.of("state", "search", "jolokia", "targets", "links", "cache");

    static AgentOptions parse(String text) {
        String t = text == null ? "" : text.trim();
        Path state = Path.of("tarn-agent-state");
        String search = null;
        String links = "";
        int jolokia = 0;
        int targets = 0;
        long cache = 0;
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
                case "jolokia" -> jolokia = port(key, value);
                case "targets" -> targets = port(key, value);
                case "links" -> links = requireValue(key, value);
                case "cache" -> cache = bytes(key, value);
                default -> throw new IllegalArgumentException("unknown agent option '" + key + "'; keys: " + KEYS);
            }
        }
        state = state.toAbsolutePath().normalize();
        List<Path> paths = search == null ? List.of(state.resolve("devices")) : directories(search);
        return new AgentOptions(t, state, paths, jolokia, targets, directories(links), cache);
    }

    /** A byte count with an optional binary suffix: {@code 268435456}, {@code 256m}, {@code 1g}. */
    private static long bytes(String key, String value) {
        String v = value.toLowerCase(java.util.Locale.ROOT);
        int shift = v.endsWith("k") ? 10 : v.endsWith("m") ? 20 : v.endsWith("g") ? 30 : 0;
        try {
            long n = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1));
            if (n >= 0 && n <= (Long.MAX_VALUE >> shift)) {
                return n << shift;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("agent option " + key + "=" + value + " is not a byte count "
                + "(such as 268435456, 256m or 1g)");
    }

    /** {@code DIR[:DIR]}, each absolute and normalized. */
    private static List<Path> directories(String list) {
        List<Path> out = new ArrayList<>();
        for (String s : list.split(java.io.File.pathSeparator)) {
            if (!s.isBlank()) {
                out.add(Path.of(s.trim()).toAbsolutePath().normalize());
            }
        }
        return List.copyOf(out);
    }

    private static int port(String key, String value) {
        try {
            int p = Integer.parseInt(value);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("agent option " + key + "=" + value + " is not a port number");
    }

    private static String requireValue(String key, String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("agent option " + key + "= needs a value");
        }
        return value;
    }
}
