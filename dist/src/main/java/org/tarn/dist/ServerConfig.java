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

import org.tarn.jmx.ObjectNames;

/**
 * The server's settings. Each key has its default and its description in
 * {@link #KEYS}; a value comes from, last one winning:
 * <ol>
 * <li>the default;</li>
 * <li>{@code $TARN_HOME/etc/tarn.properties} when the server runs from a
 * distribution ({@code bin/tarn-server} sets {@code tarn.home}; the file ships
 * with every key commented out, {@link #template()} writes it);</li>
 * <li>{@code <data dir>/tarn.properties}, or {@code --config FILE} instead;</li>
 * <li>{@code -Dtarn.<key>=...} system properties.</li>
 * </ol>
 * Relative paths are resolved against the data directory. {@link #sources()}
 * tells which file set a key (none for defaults and system properties).
 */
public record ServerConfig(Path dataDir, Map<String, String> values, Map<String, Path> sources) {

    /** One setting: its name, default value and what it does (one or more lines of text). */
    public record Key(String name, String defaultValue, String description) {
    }

    /** Every key, with its default and description, in the order the template lists them. */
    public static final List<Key> KEYS = List.of(
            new Key("hostid", "", "hex host id; empty: created once in <data>/state/hostid"),
            new Key("search.paths", "devices", "comma-separated device directories, relative to the data directory;"
                    + " management may name devices only under them"),
            new Key("search.link.targets", "", "comma-separated directories that symbolic links under the search"
                    + " paths may point into (e.g. /dev, for /dev/disk/by-id links); empty: none, links out are"
                    + " refused"),
            new Key("jmx.host", "127.0.0.1", "remote JMX (RMI registry and connector) address"),
            new Key("jmx.port", "9010", "remote JMX port; 0: off"),
            new Key("jmx.password.file", "", "JDK-format password file (\"user password\" lines, owner-only):"
                    + " clients must authenticate; empty: no authentication"),
            new Key("jmx.access.file", "", "JDK-format access file (\"user readonly|readwrite\" lines); empty:"
                    + " every authenticated user may read and write"),
            new Key("jmx.ssl", "false", "TLS for the JMX connector and its RMI registry"),
            new Key("jmx.ssl.keystore", "", "keystore (PKCS12 or JKS) with the server's key and certificate"),
            new Key("jmx.ssl.keystore.password", "", "its password (a config file holding it must be owner-only)"),
            new Key("jmx.ssl.need.client.auth", "false", "require client certificates"),
            new Key("jmx.ssl.truststore", "", "certificates trusted for client authentication"),
            new Key("jmx.ssl.truststore.password", "", "its password"),
            new Key("jmx.insecure", "false", "allow a jmx.host other than loopback without authentication and TLS"),
            new Key("jolokia.host", "127.0.0.1", "Jolokia HTTP agent address"),
            new Key("jolokia.port", "8778", "Jolokia port; 0: off"),
            new Key("jolokia.policy", "", "Jolokia policy file; empty: <data>/jolokia-access.xml if it exists,"
                    + " else etc/jolokia-access.xml of the distribution, else the built-in policy (written to"
                    + " <data>/jolokia-access.xml)"),
            new Key("jolokia.user", "", "HTTP basic authentication user; empty: none"),
            new Key("jolokia.password.file", "", "file whose first line is that user's password (owner-only)"),
            new Key("jolokia.https", "false", "serve Jolokia over HTTPS"),
            new Key("jolokia.https.keystore", "", "its keystore; empty: jmx.ssl.keystore"),
            new Key("jolokia.https.keystore.password", "", "its password; empty with an empty keystore:"
                    + " jmx.ssl.keystore.password"),
            new Key("console.enabled", "true", "serve the web console at http://JOLOKIA_HOST:JOLOKIA_PORT/console/"
                    + " (static pages that use Jolokia, behind its authentication and policy); false: Jolokia only"),
            new Key("default.pool", "tank", "pool created on first start; empty: none"),
            new Key("default.pool.devices", "2", "its mirrored sparse file devices, in the first search path"),
            new Key("default.device.bytes", Long.toString(256L * 1024 * 1024), "size of each"),
            new Key("io.timeout.millis", "10000", "device I/O deadline"),
            new Key("shutdown.export.millis", "10000", "clean-export deadline at shutdown, before force export"),
            new Key("block.cache.bytes", "0", "bytes of blocks the engine caches, one budget for all pools; 0: an"
                    + " eighth of the server's heap (at least 16 MiB, at most half the heap)"),
            new Key("fault.injection", "false", "register " + ObjectNames.faultInjection()
                    + " (tarnctl inject) for drills and tests: never on a production server"),
            new Key("target.recovery.window.millis", "15000", "how long a mounted target waits for its known"
                    + " clients to replay"),
            new Key("target.server.host", "127.0.0.1", "address the target protocol (remote clients) listens on"),
            new Key("target.server.port", "9988", "its TCP port; 0: off"),
            new Key("target.server.name", "", "the server name it tells clients; empty: the host name"),
            new Key("target.server.secret.file", "", "file whose first line is the shared secret clients must"
                    + " prove (owner-only); empty: none"),
            new Key("target.server.tls", "false", "TLS for the target protocol"),
            new Key("target.server.tls.keystore", "", "its key and certificate; empty: jmx.ssl.keystore"),
            new Key("target.server.tls.keystore.password", "", "its password; empty with an empty keystore:"
                    + " jmx.ssl.keystore.password"),
            new Key("target.server.tls.truststore", "", "client certificates to trust"),
            new Key("target.server.tls.truststore.password", "", "its password"),
            new Key("target.server.tls.need.client.auth", "false", "clients must present a trusted certificate"),
            new Key("target.server.insecure", "false", "allow a non-loopback target.server.host without TLS and a"
                    + " secret or client certificates"),
            new Key("metrics.host", "127.0.0.1", "address of the Prometheus metrics endpoint"),
            new Key("metrics.port", "0", "its port (http://HOST:PORT/metrics); 0: off"),
            new Key("ha.zookeeper", "", "ZooKeeper ensemble (host:port,host:port) for automatic failover of the"
                    + " pools this server manages (tarnctl ha); empty: no HA"),
            new Key("ha.server.id", "", "this server's name in the HA cluster, unique and stable; empty: 'h' and"
                    + " the host id"),
            new Key("ha.base.path", "/tarn", "ZooKeeper path under which the cluster keeps its nodes"),
            new Key("ha.session.timeout.millis", "6000", "a server unheard of for this long loses its pools to"
                    + " another; it force-exports them itself after two thirds of it"),
            new Key("framework.timeout.millis", "60000", "how long the bundles may take to start the engine, and"
                    + " the framework to stop beyond shutdown.export.millis"));

    /** Keys whose values are secrets: a config file that sets one must be readable by its owner only. */
    static final List<String> SECRET_KEYS = List.of("jmx.ssl.keystore.password", "jmx.ssl.truststore.password",
            "jolokia.https.keystore.password", "target.server.tls.keystore.password",
            "target.server.tls.truststore.password");

    /** System property naming the distribution's directory (set by {@code bin/tarn-server}); not a key. */
    public static final String HOME_PROPERTY = "tarn.home";

    /** Every key with its default, in one place. */
    public static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        for (Key k : KEYS) {
            d.put(k.name(), k.defaultValue());
        }
        return d;
    }

    /** Loads the configuration of a data directory, outside a distribution. */
    public static ServerConfig load(Path dataDir, Path configFile) throws IOException {
        return load(dataDir, configFile, null);
    }

    /**
     * Loads the configuration of a data directory: the defaults, then
     * {@code home/etc/tarn.properties} (when {@code home} is not null and the
     * file exists), then {@code configFile} or {@code dataDir/tarn.properties},
     * then {@code -Dtarn.KEY} system properties.
     */
    public static ServerConfig load(Path dataDir, Path configFile, Path home) throws IOException {
        Map<String, String> v = defaults();
        Map<String, Path> sources = new LinkedHashMap<>();
        if (home != null) {
            Path etc = home.resolve("etc").resolve("tarn.properties");
            if (Files.exists(etc)) {
                read(etc, v, sources);
            }
        }
        Path file = configFile != null ? configFile : dataDir.resolve("tarn.properties");
        if (Files.exists(file)) {
            read(file, v, sources);
        } else if (configFile != null) {
            throw new IllegalArgumentException("config file " + configFile + " does not exist");
        }
        for (String k : List.copyOf(v.keySet())) {
            String sys = System.getProperty("tarn." + k);
            if (sys != null) {
                v.put(k, sys.trim());
                sources.remove(k);
            }
        }
        return new ServerConfig(dataDir, v, Map.copyOf(sources));
    }

    private static void read(Path file, Map<String, String> into, Map<String, Path> sources) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        for (String k : p.stringPropertyNames()) {
            if (!into.containsKey(k)) {
                throw new IllegalArgumentException("unknown key '" + k + "' in " + file + "; known: " + into.keySet());
            }
            into.put(k, p.getProperty(k).trim());
            sources.put(k, file);
        }
    }

    /**
     * The {@code tarn.*} system properties that name no key (a typo such as
     * {@code -Dtarn.jolokia.prot=...} would otherwise be ignored silently).
     */
    public static List<String> unknownSystemProperties() {
        List<String> out = new ArrayList<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("tarn.") && !name.equals(HOME_PROPERTY)
                    && !defaults().containsKey(name.substring("tarn.".length()))) {
                out.add(name);
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * {@code etc/tarn.properties} of the distribution: every key commented
     * out with its default and description, so the file changes nothing until
     * a line is uncommented.
     */
    public static String template() {
        StringBuilder b = new StringBuilder();
        b.append("# Tarn server settings. Every key is listed with its default, commented out: uncomment a line\n")
                .append("# to change it. Values here apply to every data directory; <data>/tarn.properties (or\n")
                .append("# --config FILE) overrides them for one server, and -Dtarn.KEY=VALUE on the bin/tarn-server\n")
                .append("# command line overrides both. Relative paths are resolved against the data directory.\n");
        for (Key k : KEYS) {
            b.append('\n');
            for (String line : wrap(k.description(), 96)) {
                b.append("# ").append(line).append('\n');
            }
            b.append("#").append(k.name()).append('=').append(k.defaultValue()).append('\n');
        }
        return b.toString();
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(line.toString());
        return lines;
    }

    /** Writes {@link #template()} to the file given as the only argument (the build's etc/tarn.properties). */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, template());
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
    /** {@code search.link.targets}, each resolved against the data directory. */
    public List<Path> linkTargets() {
        List<Path> out = new ArrayList<>();
        for (String s : get("search.link.targets").split(",")) {
            if (!s.isBlank()) {
                out.add(dataDir.resolve(s.trim()).toAbsolutePath().normalize());
            }
        }
        return out;
    }

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
