package org.tarn.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MBeanServerDelegate;
import javax.management.MBeanServerNotification;
import javax.management.NotificationListener;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import org.jolokia.jvmagent.JolokiaServer;
import org.jolokia.jvmagent.JolokiaServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.jmx.ObjectNames;

/**
 * The standalone Tarn server: a launcher that embeds Apache Felix with the
 * Tarn bundles ({@link TarnFramework}), configures the engine through
 * Configuration Admin, and serves the MBeans the bundles register in the
 * platform MBeanServer over remote JMX and Jolokia on loopback.
 *
 * <p>Usage: {@code TarnServer [--data DIR] [--config FILE]} ({@code bin/tarn-server}
 * of the distribution runs it; settings in {@link ServerConfig}); the data
 * directory defaults to {@code ./tarn-data}. It holds the lock file, the
 * engine's state ({@code state/}: host id, cache file), the devices of the
 * default search path ({@code devices/}) and Felix's storage
 * ({@code felix-cache/}, emptied at every start: the bundles come from this
 * jar). On first start it creates pool {@code tank} on two mirrored sparse
 * files under {@code DIR/devices}, through the PoolManager MBean; later starts
 * import the pools of the cache file (the engine bundle does that when it
 * starts). SIGTERM stops the framework, whose engine bundle exports every
 * pool (force-exporting those whose devices hang after
 * {@code shutdown.export.millis}) and keeps them cached. A second server on
 * the same data directory refuses to start.
 *
 * <p>Every setting is checked before the framework starts or anything
 * listens; the launcher itself never loads a Tarn class.
 */
public final class TarnServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TarnServer.class);
    /** Configuration PID of the engine component (bundle org.tarn.osgi). */
    static final String ENGINE_PID = "org.tarn.engine";
    /** Configuration PID of the fault driver component (bundle org.tarn.vdev.fault). */
    static final String FAULT_PID = "org.tarn.vdev.fault";
    /** Configuration PID of the storage targets component (bundle org.tarn.osgi). */
    static final String TARGETS_PID = "org.tarn.target";
    /** Configuration PID of the target protocol server (bundle org.tarn.target.server). */
    static final String TARGET_SERVER_PID = "org.tarn.target.server";
    /** Configuration PID of the Prometheus metrics endpoint (bundle org.tarn.metrics). */
    static final String METRICS_PID = "org.tarn.metrics";
    /** Configuration PID of the ZooKeeper HA membership (bundle org.tarn.ha), written only with ha.zookeeper. */
    static final String HA_PID = "org.tarn.ha";
    static final ObjectName POOL_MANAGER = ObjectNames.poolManager();
    /** The JDK HTTP server's switch for TCP_NODELAY on its connections. */
    static final String NODELAY = "sun.net.httpserver.nodelay";
    /** Jolokia's request threads: calls on a hung pool must leave some for the others. */
    private static final int JOLOKIA_THREADS = 8;

    private final ServerConfig config;
    private final MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
    private FileChannel lockChannel;
    private FileLock lock;
    private TarnFramework framework;
    private RemoteJmx jmx;
    private JolokiaServer jolokia;
    private String jmxUrl;
    private String jolokiaUrl;
    private String consoleUrl;
    private HttpServer httpServer;
    private ExecutorService httpExecutor;

    public TarnServer(ServerConfig config) {
        this.config = config;
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of("tarn-data");
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(value(args, ++i));
                case "--config" -> configFile = Path.of(value(args, ++i));
                case "-h", "--help" -> {
                    System.out.print(usage());
                    return;
                }
                default -> {
                    System.err.println("tarn-server: unknown argument '" + args[i] + "' (try --help)");
                    System.exit(2);
                }
            }
        }
        List<String> unknown = ServerConfig.unknownSystemProperties();
        if (!unknown.isEmpty()) {
            System.err.println("tarn-server: unknown setting " + String.join(", ", unknown.stream()
                    .map(k -> "-D" + k).toList()) + "; known keys: " + ServerConfig.defaults().keySet());
            System.exit(2);
        }
        String home = System.getProperty(ServerConfig.HOME_PROPERTY);
        TarnServer server;
        try {
            server = new TarnServer(ServerConfig.load(data.toAbsolutePath(), configFile,
                    home == null ? null : Path.of(home)));
            server.start();
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            // one line an operator can act on: the messages name the key or the file
            System.err.println("tarn-server: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        TarnServer running = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "tarn-shutdown"));
        stopped.await();
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            System.err.println("tarn-server: " + args[i - 1] + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    /** The {@code --help} text: the arguments, and every key with its default. */
    static String usage() {
        StringBuilder b = new StringBuilder();
        b.append("usage: tarn-server [--data DIR] [--config FILE] [-Dtarn.KEY=VALUE ...]\n")
                .append("  --data DIR     data directory: lock, state (host id, cache file), devices, felix-cache"
                        + " (default ./tarn-data)\n")
                .append("  --config FILE  settings file instead of DIR/tarn.properties\n")
                .append("  -Dtarn.KEY=V   one setting, over the files (bin/tarn-server passes -D options to the JVM)\n")
                .append("keys (default):\n");
        for (ServerConfig.Key k : ServerConfig.KEYS) {
            b.append(String.format("  %-32s %s%n", k.name() + " (" + k.defaultValue() + ")", k.description()));
        }
        return b.toString();
    }
    /**
     * Starts everything; on failure stops what was started and throws. The
     * order keeps a failure cheap: settings are checked first, then the data
     * directory is locked, then the JMX and Jolokia ports are checked free (a
     * busy port stops the server here, before any pool is imported or
     * created); then the framework starts the engine, and only once the pools
     * are there do JMX and Jolokia listen, so a client that reaches them finds
     * the engine ready.
     */
    public void start() throws IOException {
        Path data = config.dataDir();
        // every setting is checked before the framework starts or anything listens
        Secrets.configFileHoldsNoReadableSecret(config);
        RemoteJmx.Plan jmxPlan = RemoteJmx.check(config);
        Map<String, String> jolokiaSecurity = jolokiaSecurity();
        config.flag("console.enabled");
        Map<String, Dictionary<String, Object>> configurations = configurations();
        long timeoutMillis = config.longValue("framework.timeout.millis");
        Files.createDirectories(data);
        lockDataDir(data);
        List<String> pools;
        try {
            if (jmxPlan != null) {
                checkFree("jmx", jmxPlan.host(), jmxPlan.port(), "remote JMX");
            }
            if (config.intValue("jolokia.port") != 0) {
                checkFree("jolokia", config.get("jolokia.host"), config.intValue("jolokia.port"), "Jolokia");
            }
            for (Path p : config.searchPaths()) {
                Files.createDirectories(p);
            }
            Files.createDirectories(data.resolve("state"));
            framework = TarnFramework.start(data.resolve("felix-cache"), configurations, timeoutMillis);
            awaitEngine(timeoutMillis);
            Path marker = data.resolve("state").resolve("initialized");
            if (!Files.exists(marker)) {
                createDefaultPool();
                Files.writeString(marker, "default pool created\n");
            }
            pools = pools();
            startJmx(jmxPlan);
            startJolokia(jolokiaSecurity);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        System.out.println("Tarn server running: data " + data + ", hostid " + attribute("HostId") + ", pools "
                + pools);
        System.out.println("  OSGi:    " + framework.description() + " with " + framework.bundleStates().keySet()
                .stream().filter(n -> n.startsWith(TarnFramework.TARN_PREFIX)).toList());
        if (jmxUrl != null) {
            System.out.println("  JMX:     " + jmxUrl);
        }
        if (jolokiaUrl != null) {
            System.out.println("  Jolokia: " + jolokiaUrl);
        }
        if (consoleUrl != null) {
            System.out.println("  Console: " + consoleUrl);
        }
        if (config.intValue("target.server.port") != 0) {
            System.out.println("  Targets: " + config.get("target.server.host") + ":" + config.get("target.server.port")
                    + (config.flag("target.server.tls") ? " (TLS)" : "") + " (target protocol, for tarn-client)");
        }
        if (!config.get("ha.zookeeper").isEmpty()) {
            System.out.println("  HA:      ZooKeeper " + config.get("ha.zookeeper") + " (tarnctl ha status)");
        }
        if (config.intValue("metrics.port") > 0) {
            System.out.println("  Metrics: http://" + config.get("metrics.host") + ":" + config.intValue("metrics.port")
                    + "/metrics");
        }
        System.out.println("  stop with Ctrl-C or SIGTERM: pools are exported and re-imported at the next start");
    }

    /**
     * The Configuration Admin configurations of the Tarn bundles, from the
     * server's settings (checked here, so a bad value stops the server before
     * anything starts).
     */
    private Map<String, Dictionary<String, Object>> configurations() {
        Dictionary<String, Object> engine = new Hashtable<>();
        engine.put("stateDir", config.dataDir().resolve("state").toString());
        engine.put("searchPaths", config.searchPaths().stream().map(Path::toString).toArray(String[]::new));
        engine.put("linkTargets", config.linkTargets().stream().map(Path::toString).toArray(String[]::new));
        engine.put("ioTimeoutMillis", positive("io.timeout.millis"));
        engine.put("shutdownExportMillis", positive("shutdown.export.millis"));
        long cacheBytes = config.longValue("block.cache.bytes");
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("'block.cache.bytes' must be 0 (the default) or positive, got "
                    + cacheBytes);
        }
        engine.put("blockCacheBytes", cacheBytes);
        String hostId = config.get("hostid");
        if (!hostId.isEmpty()) {
            try {
                Long.parseLong(hostId, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'hostid' must be a hexadecimal host id, got '" + hostId + "'");
            }
            engine.put("hostId", hostId);
        }
        positive("framework.timeout.millis");
        positive("default.device.bytes");
        config.intValue("default.pool.devices");
        Dictionary<String, Object> fault = new Hashtable<>();
        fault.put("mbean", config.flag("fault.injection"));
        Map<String, Dictionary<String, Object>> out = new LinkedHashMap<>();
        Dictionary<String, Object> targets = new Hashtable<>();
        targets.put("recoveryWindowMillis", positive("target.recovery.window.millis"));
        out.put(ENGINE_PID, engine);
        out.put(FAULT_PID, fault);
        out.put(TARGETS_PID, targets);
        out.put(TARGET_SERVER_PID, targetServer());
        out.put(METRICS_PID, metricsConfiguration());
        Dictionary<String, Object> ha = haConfiguration();
        if (ha != null) {
            out.put(HA_PID, ha);
        }
        return out;
    }

    /** The target protocol server's configuration, checked like the JMX settings. */
    private Dictionary<String, Object> targetServer() {
        Dictionary<String, Object> d = new Hashtable<>();
        int port = config.intValue("target.server.port");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'target.server.port' must lie between 0 (off) and 65535, got " + port);
        }
        d.put("enabled", port != 0);
        d.put("port", port);
        String host = config.get("target.server.host");
        d.put("host", host);
        d.put("serverName", config.get("target.server.name"));
        Path secret = config.path("target.server.secret.file");
        if (secret != null) {
            Secrets.password("target.server.secret.file", secret);
            d.put("secretFile", secret.toString());
        }
        boolean tls = config.flag("target.server.tls");
        boolean clientAuth = config.flag("target.server.tls.need.client.auth");
        if (tls) {
            Path keystore = config.path("target.server.tls.keystore");
            String password = config.get("target.server.tls.keystore.password");
            if (keystore == null) {
                keystore = config.path("jmx.ssl.keystore");
                password = config.get("jmx.ssl.keystore.password");
            }
            if (keystore == null) {
                throw new IllegalArgumentException("target.server.tls=true needs target.server.tls.keystore (or "
                        + "jmx.ssl.keystore): a keystore with the server's key and certificate");
            }
            Secrets.keyStore("target.server.tls.keystore", keystore, password);
            d.put("tlsKeystore", keystore.toString());
            d.put("tlsKeystorePassword", password);
            Path trust = config.path("target.server.tls.truststore");
            if (trust != null) {
                String tp = config.get("target.server.tls.truststore.password");
                Secrets.keyStore("target.server.tls.truststore", trust, tp);
                d.put("tlsTruststore", trust.toString());
                d.put("tlsTruststorePassword", tp);
            } else if (clientAuth) {
                throw new IllegalArgumentException("target.server.tls.need.client.auth=true needs "
                        + "target.server.tls.truststore: the client certificates to trust");
            }
            d.put("tlsNeedClientAuth", clientAuth);
        } else if (clientAuth) {
            throw new IllegalArgumentException("target.server.tls.need.client.auth=true needs target.server.tls=true");
        }
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'target.server.host' " + host + " is not a known address", e);
        }
        if (port != 0 && !loopback && !(tls && (secret != null || clientAuth))) {
            if (!config.flag("target.server.insecure")) {
                throw new IllegalArgumentException("target.server.host " + host + " is not a loopback address, but "
                        + "the target protocol has " + (tls ? "no shared secret or client certificates" : "no TLS")
                        + ": any host that reaches it could change the targets' data. Set target.server.tls=true and "
                        + "target.server.secret.file (or target.server.tls.need.client.auth=true), or "
                        + "target.server.insecure=true to accept the risk");
            }
            LOG.warn("SECURITY: the target protocol listens on {} without TLS and client authentication "
                    + "(target.server.insecure=true)", host);
        }
        return d;
    }

    /** The HA membership's configuration from the {@code ha.*} keys; null without {@code ha.zookeeper}. */
    private Dictionary<String, Object> haConfiguration() {
        String connect = config.get("ha.zookeeper");
        if (connect.isEmpty()) {
            return null;
        }
        if (!connect.matches("[^\\s,]+:[0-9]+(,[^\\s,]+:[0-9]+)*(/[^\\s]*)?")) {
            throw new IllegalArgumentException("'ha.zookeeper' must be host:port[,host:port...], got '" + connect
                    + "'");
        }
        String id = config.get("ha.server.id");
        if (!id.isEmpty() && !id.matches("[A-Za-z][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException("'ha.server.id' must be a letter, then letters, digits and _.-, got '"
                    + id + "'");
        }
        String base = config.get("ha.base.path");
        if (!base.matches("(/[A-Za-z0-9_.-]+)+")) {
            throw new IllegalArgumentException("'ha.base.path' must look like /tarn or /a/b, got '" + base + "'");
        }
        long session = positive("ha.session.timeout.millis");
        if (session < 1_000) {
            throw new IllegalArgumentException("'ha.session.timeout.millis' must be at least 1000, got " + session);
        }
        Dictionary<String, Object> ha = new Hashtable<>();
        ha.put("connectString", connect);
        ha.put("serverId", id);
        ha.put("basePath", base);
        ha.put("sessionTimeoutMillis", session);
        return ha;
    }

    /** The metrics endpoint's configuration: {@code metrics.host}, {@code metrics.port} (0: none). */
    private Dictionary<String, Object> metricsConfiguration() {
        int port = config.intValue("metrics.port");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'metrics.port' must be 0..65535, got " + port);
        }
        Dictionary<String, Object> metrics = new Hashtable<>();
        metrics.put("host", config.get("metrics.host"));
        metrics.put("port", port);
        return metrics;
    }

    private long positive(String key) {
        long v = config.longValue(key);
        if (v <= 0) {
            throw new IllegalArgumentException("'" + key + "' must be positive, got " + v);
        }
        return v;
    }

    private void lockDataDir(Path data) throws IOException {
        Path lockFile = data.resolve("server.lock");
        lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException sameJvm) {
            lock = null;
        }
        if (lock == null) {
            String holder = Files.readString(lockFile, StandardCharsets.UTF_8).trim();
            lockChannel.close();
            throw new IllegalStateException("another Tarn server (" + (holder.isEmpty() ? "unknown pid" : holder)
                    + ") is using data directory " + data + "; stop it or use --data");
        }
        lockChannel.truncate(0);
        lockChannel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n")
                .getBytes(StandardCharsets.UTF_8)), 0);
    }

    /**
     * Waits until the engine bundle has registered {@code tarn:type=PoolManager}
     * and checks that the engine runs with the server's search paths.
     */
    private void awaitEngine(long timeoutMillis) {
        ObjectName name = POOL_MANAGER;
        CountDownLatch registered = new CountDownLatch(1);
        NotificationListener listener = (n, handback) -> {
            if (n instanceof MBeanServerNotification r && name.equals(r.getMBeanName())
                    && MBeanServerNotification.REGISTRATION_NOTIFICATION.equals(r.getType())) {
                registered.countDown();
            }
        };
        ObjectName delegate = MBeanServerDelegate.DELEGATE_NAME;
        try {
            mbeans.addNotificationListener(delegate, listener, null, null);
            try {
                if (!mbeans.isRegistered(name) && !registered.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
                    Map<String, String> notActive = new LinkedHashMap<>(framework.bundleStates());
                    notActive.values().removeIf("ACTIVE"::equals);
                    throw new IllegalStateException("the Tarn engine did not register " + POOL_MANAGER + " within "
                            + timeoutMillis + " ms (bundles not active: " + notActive + "); see the log above");
                }
            } finally {
                mbeans.removeNotificationListener(delegate, listener);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the Tarn engine", e);
        } catch (JMException e) {
            throw new IllegalStateException("cannot watch the MBeanServer: " + e.getMessage(), e);
        }
        List<String> expected = config.searchPaths().stream().map(Path::toString).toList();
        List<String> actual = Arrays.asList((String[]) attribute("SearchPaths"));
        if (!actual.equals(expected)) {
            throw new IllegalStateException(POOL_MANAGER + " reports search paths " + actual + ", not the configured "
                    + expected + ": another Tarn engine is registered in this JVM");
        }
    }

    /** Creates the default pool through the PoolManager MBean, on fresh sparse files in the first search path. */
    private void createDefaultPool() throws IOException {
        String name = config.get("default.pool");
        if (name.isEmpty() || pools().contains(name)) {
            return;
        }
        Path dir = config.searchPaths().get(0);
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < config.intValue("default.pool.devices"); i++) {
            Path p = dir.resolve(name + "-" + i);
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                // a sparse file: only the blocks written later take space
                f.setLength(Math.max(f.length(), config.longValue("default.device.bytes")));
            }
            devices.add(p.toString());
        }
        String layout = (devices.size() > 1 ? "mirror " : "") + String.join(" ", devices);
        invoke("createPool", new Object[] {name, layout, "comment=default pool"},
                new String[] {String.class.getName(), String.class.getName(), String.class.getName()});
        LOG.info("created default pool '{}' as {}", name, layout);
    }

    /** The pools imported now, from the PoolManager MBean. */
    private List<String> pools() {
        return List.of((String[]) attribute("Pools"));
    }

    private Object attribute(String attribute) {
        try {
            return mbeans.getAttribute(POOL_MANAGER, attribute);
        } catch (RuntimeMBeanException e) {
            throw e.getTargetException();
        } catch (JMException e) {
            throw new IllegalStateException("cannot read " + POOL_MANAGER + " " + attribute + ": " + e.getMessage(),
                    e);
        }
    }

    private Object invoke(String operation, Object[] args, String[] signature) {
        try {
            return mbeans.invoke(POOL_MANAGER, operation, args, signature);
        } catch (RuntimeMBeanException e) {
            // the MBean's IllegalArgumentException / IllegalStateException, with the engine's message
            throw e.getTargetException();
        } catch (JMException e) {
            throw new IllegalStateException(POOL_MANAGER + " " + operation + " failed: " + e.getMessage(), e);
        }
    }

    private void startJmx(RemoteJmx.Plan plan) {
        if (plan == null) {
            return;
        }
        try {
            jmx = plan.start(ManagementFactory.getPlatformMBeanServer());
        } catch (IOException e) {
            throw cannotListen("jmx", plan.host(), plan.port(), "remote JMX", e);
        }
        jmxUrl = jmx.url();
    }

    /**
     * Binds {@code host:port} and lets it go again: a port another process
     * holds stops the server before the engine starts. (A process that takes
     * the port in the moment between this check and the real bind still gets
     * the same one-line error, only after the pools were imported.)
     */
    private static void checkFree(String prefix, String host, int port, String what) {
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress(InetAddress.getByName(host), port), 1);
        } catch (IOException e) {
            throw cannotListen(prefix, host, port, what, e);
        }
    }

    /**
     * A port that cannot be bound, as one line naming the key: the RMI and
     * HTTP exceptions bury the cause ({@code BindException}) a level or two down.
     */
    static IllegalStateException cannotListen(String prefix, String host, int port, String what, IOException e) {
        Throwable cause = e;
        while (!(cause instanceof java.net.BindException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String why = cause instanceof java.net.BindException b ? String.valueOf(b.getMessage()).toLowerCase()
                : String.valueOf(e.getMessage());
        return new IllegalStateException(prefix + ".port=" + port + ": cannot listen on " + host + ":" + port + " ("
                + why + "); stop what uses the port, or set " + prefix + ".port to a free port (0 turns " + what
                + " off)", e);
    }

    /**
     * Jolokia, and the web console beside it, on one HTTP server of our own
     * (Jolokia's constructor for an existing server): its executor gives
     * several request threads, so a call stuck on a hung pool does not block
     * management of the others, and {@link #close()} stops both.
     */
    private void startJolokia(Map<String, String> security) throws IOException {
        int port = config.intValue("jolokia.port");
        if (port == 0) {
            return;
        }
        Path policy = jolokiaPolicy();
        Console console = config.flag("console.enabled") ? Console.load() : null;
        Map<String, String> cfg = new HashMap<>();
        cfg.put("host", config.get("jolokia.host"));
        cfg.put("port", Integer.toString(port));
        cfg.put("policyLocation", policy.toUri().toString());
        cfg.put("discoveryEnabled", "false");
        cfg.putAll(security);
        // Nagle off on the JDK HTTP server: with it, every other request on a keep-alive connection waits
        // for the client's delayed ACK (~40 ms) before its response leaves. Read once, when the JDK's
        // HttpServer is first used in this JVM; bin/tarn-server also sets it on the command line.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(config.get("jolokia.host")), port);
        try {
            if ("https".equals(security.get("protocol"))) {
                HttpsServer https = HttpsServer.create(address, 0);
                https.setHttpsConfigurator(new HttpsConfigurator(sslContext(security)));
                httpServer = https;
            } else {
                httpServer = HttpServer.create(address, 0);
            }
        } catch (IOException e) {
            throw cannotListen("jolokia", config.get("jolokia.host"), port, "Jolokia", e);
        }
        AtomicInteger threads = new AtomicInteger();
        httpExecutor = Executors.newFixedThreadPool(JOLOKIA_THREADS, r -> {
            Thread t = new Thread(r, "tarn-jolokia-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        httpServer.setExecutor(httpExecutor);
        JolokiaServerConfig jolokiaConfig = new OwnServerConfig(cfg);
        jolokia = new JolokiaServer(httpServer, jolokiaConfig, null);
        jolokia.start();
        if (console != null) {
            // the same authentication as Jolokia's: a browser asks once, for both
            for (String path : List.of("/", Console.PATH.substring(0, Console.PATH.length() - 1))) {
                HttpContext context = httpServer.createContext(path, console);
                if (jolokiaConfig.getAuthenticator() != null) {
                    context.setAuthenticator(jolokiaConfig.getAuthenticator());
                }
            }
        }
        httpServer.start();
        jolokiaUrl = jolokia.getUrl();
        if (console != null) {
            consoleUrl = jolokiaUrl.substring(0, jolokiaUrl.indexOf('/', jolokiaUrl.indexOf("//") + 2))
                    + Console.PATH;
        }
    }

    /**
     * Jolokia's settings for a server it does not create: Jolokia builds the
     * basic authenticator from {@code user}/{@code password} only when it
     * creates the HTTP server itself, so this does it at once; without it an
     * own server would serve Jolokia with no login at all.
     */
    private static final class OwnServerConfig extends JolokiaServerConfig {
        OwnServerConfig(Map<String, String> cfg) {
            super(cfg);
            initAuthenticator();
        }
    }

    /** The TLS context of Jolokia's HTTPS: the keystore {@link #jolokiaSecurity()} checked. */
    private static SSLContext sslContext(Map<String, String> security) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance(security.get("keyStoreType"));
            char[] password = security.get("keystorePassword") == null ? new char[0]
                    : security.get("keystorePassword").toCharArray();
            try (InputStream in = Files.newInputStream(Path.of(security.get("keystore")))) {
                ks.load(in, password);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), null, null);
            return ssl;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("jolokia.https: cannot use keystore " + security.get("keystore") + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The Jolokia policy: {@code jolokia.policy}; else the data directory's
     * {@code jolokia-access.xml}; else the distribution's
     * {@code etc/jolokia-access.xml}; else the built-in one, written into the
     * data directory so it can be edited.
     */
    private Path jolokiaPolicy() throws IOException {
        if (!config.get("jolokia.policy").isEmpty()) {
            return config.path("jolokia.policy");
        }
        Path own = config.dataDir().resolve("jolokia-access.xml");
        if (Files.exists(own)) {
            return own;
        }
        String home = System.getProperty(ServerConfig.HOME_PROPERTY);
        if (home != null && Files.exists(Path.of(home, "etc", "jolokia-access.xml"))) {
            return Path.of(home, "etc", "jolokia-access.xml");
        }
        try (InputStream in = TarnServer.class.getResourceAsStream("jolokia-access.xml")) {
            Files.copy(in, own, StandardCopyOption.REPLACE_EXISTING);
        }
        return own;
    }

    /**
     * The Jolokia settings of basic authentication and HTTPS, checked; a
     * warning when the agent is open to a network without them.
     */
    private Map<String, String> jolokiaSecurity() {
        Map<String, String> cfg = new HashMap<>();
        if (config.intValue("jolokia.port") == 0) {
            return cfg;
        }
        String user = config.get("jolokia.user");
        Path passwordFile = config.path("jolokia.password.file");
        if (user.isEmpty() != (passwordFile == null)) {
            throw new IllegalArgumentException("jolokia.user and jolokia.password.file go together: set both or "
                    + "neither");
        }
        if (!user.isEmpty()) {
            cfg.put("user", user);
            cfg.put("password", Secrets.password("jolokia.password.file", passwordFile));
        }
        boolean https = config.flag("jolokia.https");
        if (https) {
            boolean own = !config.get("jolokia.https.keystore").isEmpty();
            String keyKey = own ? "jolokia.https.keystore" : "jmx.ssl.keystore";
            Path keystore = config.path(keyKey);
            if (keystore == null) {
                throw new IllegalArgumentException("jolokia.https=true needs jolokia.https.keystore (or "
                        + "jmx.ssl.keystore) and its password");
            }
            String password = config.get(own ? "jolokia.https.keystore.password" : "jmx.ssl.keystore.password");
            KeyStore ks = Secrets.keyStore(keyKey, keystore, password);
            cfg.put("protocol", "https");
            cfg.put("keystore", keystore.toString());
            cfg.put("keystorePassword", password);
            cfg.put("keyStoreType", ks.getType());
        }
        boolean loopback;
        try {
            loopback = InetAddress.getByName(config.get("jolokia.host")).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("jolokia.host: unknown host '" + config.get("jolokia.host") + "'", e);
        }
        if (!loopback && (user.isEmpty() || !https)) {
            LOG.warn("SECURITY: Jolokia listens on {} without {}; only its policy's <remote> hosts limit who may "
                    + "manage this server", config.get("jolokia.host"),
                    user.isEmpty() && !https ? "authentication and HTTPS" : user.isEmpty() ? "authentication"
                            : "HTTPS");
        }
        return cfg;
    }

    /**
     * Stops everything: Jolokia and JMX first, then the framework, whose
     * engine bundle exports the pools (kept in the cache); the lock last.
     */
    @Override
    public void close() {
        if (jolokia != null) {
            try {
                jolokia.stop();
            } catch (IllegalStateException shuttingDown) {
                // Jolokia unregisters its own shutdown hook, which the JVM refuses while exiting; it stops anyway
            }
            jolokia = null;
        }
        if (httpServer != null) {
            httpServer.stop(0);
            httpServer = null;
        }
        if (httpExecutor != null) {
            httpExecutor.shutdownNow();
            httpExecutor = null;
        }
        if (jmx != null) {
            jmx.close();
            jmx = null;
        }
        if (framework != null) {
            List<String> pools;
            try {
                pools = pools();
            } catch (RuntimeException noEngine) {
                pools = List.of();
            }
            long deadline = config.longValue("shutdown.export.millis") + config.longValue("framework.timeout.millis");
            if (framework.stop(deadline)) {
                System.out.println("Tarn server stopped; exported " + pools);
            } else {
                LOG.warn("the OSGi framework did not stop within {} ms; pools {} may not be exported", deadline, pools);
            }
            framework = null;
        }
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            LOG.warn("releasing the data directory lock: {}", e.toString());
        }
    }

    /**
     * The framework's bundles (not the system bundle) by symbolic name, with
     * their state; empty when the server is not running.
     */
    public Map<String, String> bundleStates() {
        TarnFramework f = framework;
        return f == null ? Map.of() : f.bundleStates();
    }

    /**
     * A service of the running framework by class name, or null. The
     * launcher shares no classes with the bundles: use it reflectively (tests
     * play target clients through {@code org.tarn.target.TargetService}).
     */
    public Object service(String className) {
        TarnFramework f = framework;
        return f == null ? null : f.service(className);
    }

    public String jmxUrl() {
        return jmxUrl;
    }

    public String jolokiaUrl() {
        return jolokiaUrl;
    }

    /** The web console's URL ({@code http://HOST:PORT/console/}), or null when it is off. */
    public String consoleUrl() {
        return consoleUrl;
    }
}
