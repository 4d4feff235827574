package org.tarn.dist;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The server's settings: defaults here, overridden by
 * {@code <data dir>/tarn.properties} (or {@code --config FILE}), then by
 * {@code -Dtarn.<key>=...} system properties.
 *
 * <pre>
 * hostid                  hex host id; default: created once in state/hostid
 * search.paths            comma-separated device directories (default: devices)
 * jmx.host / jmx.port     remote JMX (RMI) endpoint (127.0.0.1 / 9010; port 0: off)
 * jmx.password.file       JDK-format password file ("user password" lines, owner-only): clients must
 *                         authenticate (empty: no authentication)
 * jmx.access.file         JDK-format access file ("user readonly|readwrite"); empty: every
 *                         authenticated user has read-write access
 * jmx.ssl                 TLS for the JMX connector and its RMI registry (false)
 * jmx.ssl.keystore        keystore (PKCS12 or JKS) holding the server's key and certificate
 * jmx.ssl.keystore.password  its password (a config file holding it must be owner-only)
 * jmx.ssl.need.client.auth   require client certificates (false)
 * jmx.ssl.truststore / jmx.ssl.truststore.password   certificates trusted for client authentication
 * jmx.insecure            allow a jmx.host other than loopback without authentication and TLS (false)
 * jolokia.host / .port    Jolokia HTTP agent (127.0.0.1 / 8778; port 0: off)
 * jolokia.policy          Jolokia policy file (default: the bundled jolokia-access.xml)
 * jolokia.user            HTTP basic authentication user (empty: none)
 * jolokia.password.file   file whose first line is that user's password (owner-only)
 * jolokia.https           serve Jolokia over HTTPS (false)
 * jolokia.https.keystore / jolokia.https.keystore.password   (default: the jmx.ssl.keystore ones)
 * default.pool            pool created on first start (tank; empty: none)
 * default.pool.devices    its mirrored file devices (2)
 * default.device.bytes    size of each (268435456)
 * io.timeout.millis       device I/O deadline (10000)
 * shutdown.export.millis  clean-export deadline at shutdown before force export (10000)
 * fault.injection         register tarn:type=FaultInjection for drills and tests (false)
 * target.recovery.window.millis  how long a mounted target waits for its known clients to replay (60000)
 * framework.timeout.millis  how long the bundles may take to start the engine, and the framework to stop
 *                         beyond shutdown.export.millis (60000)
 * metrics.host / .port    Prometheus metrics at http://HOST:PORT/metrics (127.0.0.1 / 0; port 0: off)
 * </pre>
 */
public record ServerConfig(Path dataDir, Map<String, String> values, Path file) {

    /** Keys whose values are secrets: a config file that sets one must be readable by its owner only. */
    static final List<String> SECRET_KEYS = List.of("jmx.ssl.keystore.password", "jmx.ssl.truststore.password",
            "jolokia.https.keystore.password");

    /** Every key with its default, in one place. */
    public static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("hostid", "");
        d.put("search.paths", "devices");
        d.put("jmx.host", "127.0.0.1");
        d.put("jmx.port", "9010");
        d.put("jmx.password.file", "");
        d.put("jmx.access.file", "");
        d.put("jmx.ssl", "false");
        d.put("jmx.ssl.keystore", "");
        d.put("jmx.ssl.keystore.password", "");
        d.put("jmx.ssl.need.client.auth", "false");
        d.put("jmx.ssl.truststore", "");
        d.put("jmx.ssl.truststore.password", "");
        d.put("jmx.insecure", "false");
        d.put("jolokia.host", "127.0.0.1");
        d.put("jolokia.port", "8778");
        d.put("jolokia.policy", "");
        d.put("jolokia.user", "");
        d.put("jolokia.password.file", "");
        d.put("jolokia.https", "false");
        d.put("jolokia.https.keystore", "");
        d.put("jolokia.https.keystore.password", "");
        d.put("default.pool", "tank");
        d.put("default.pool.devices", "2");
        d.put("default.device.bytes", Long.toString(256L * 1024 * 1024));
        d.put("io.timeout.millis", "10000");
        d.put("shutdown.export.millis", "10000");
        d.put("fault.injection", "false");
        d.put("target.recovery.window.millis", "60000");
        d.put("framework.timeout.millis", "60000");
        d.put("metrics.host", "127.0.0.1");
        d.put("metrics.port", "0");
        return d;
    }

    /** Loads the configuration of a data directory. */
    public static ServerConfig load(Path dataDir, Path configFile) throws IOException {
        Map<String, String> v = defaults();
        Path file = configFile != null ? configFile : dataDir.resolve("tarn.properties");
        boolean loaded = Files.exists(file);
        if (loaded) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            for (String k : p.stringPropertyNames()) {
                if (!v.containsKey(k)) {
                    throw new IllegalArgumentException("unknown key '" + k + "' in " + file + "; known: " + v.keySet());
                }
                v.put(k, p.getProperty(k).trim());
            }
        } else if (configFile != null) {
            throw new IllegalArgumentException("config file " + configFile + " does not exist");
        }
        for (String k : List.copyOf(v.keySet())) {
            String sys = System.getProperty("tarn." + k);
            if (sys != null) {
                v.put(k, sys.trim());
            }
        }
        return new ServerConfig(dataDir, v, loaded ? file : null);
    }

    public String get(String key) {
        return values.get(key);
    }

    /** A {@code true}/{@code false} key; anything else is refused. */
    public boolean flag(String key) {
        String v = get(key);
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException("'" + key + "' must be true or false, got '" + v + "'");
    }

    /** A path key resolved against the data directory, or null when it is empty. */
    public Path path(String key) {
        String v = get(key);
        return v.isEmpty() ? null : dataDir.resolve(v).toAbsolutePath().normalize();
    }

    public int intValue(String key) {
        try {
            return Integer.parseInt(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + key + "' must be a number, got '" + get(key) + "'");
        }
    }

    public long longValue(String key) {
        try {
            return Long.parseLong(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + key + "' must be a number, got '" + get(key) + "'");
        }
    }

    /** Search paths, relative ones resolved against the data directory. */
    public List<Path> searchPaths() {
        List<Path> out = new ArrayList<>();
        for (String s : get("search.paths").split(",")) {
            if (!s.isBlank()) {
                out.add(dataDir.resolve(s.trim()).toAbsolutePath().normalize());
            }
        }
        return out;
    }
}
