package org.tarn.dist;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.jolokia.jvmagent.JolokiaServer;
import org.jolokia.jvmagent.JolokiaServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.Pool;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.pool.HostIdentity;
import org.tarn.engine.pool.SpaNamespace;
import org.tarn.jmx.ConfinedPoolManager;
import org.tarn.jmx.TargetMBeans;
import org.tarn.jmx.TarnMBeans;
import org.tarn.target.TargetAwarePoolManager;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.vdev.fault.FaultInjection;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The standalone Tarn server: the engine over the file (and fault) drivers,
 * its MBeans in the platform MBeanServer, remote JMX and Jolokia on
 * loopback. A plain Java main for now (the OSGi packaging comes with the
 * deployment work).
 *
 * <p>Usage: {@code TarnServer [--data DIR] [--config FILE]}; the data
 * directory defaults to {@code ./tarn-data}. On first start it creates pool
 * {@code tank} on two mirrored sparse files under {@code DIR/devices}; later
 * starts import the pools of the cache file. SIGTERM exports every pool
 * (force-exporting those whose devices hang) and keeps them cached. A second
 * server on the same data directory refuses to start.
 */
public final class TarnServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TarnServer.class);

    private final ServerConfig config;
    private FileChannel lockChannel;
    private FileLock lock;
    private SpaNamespace engine;
    private FaultVdevDriver fault;
    private javax.management.ObjectName faultInjection;
    private TarnMBeans mbeans;
    private TargetService targets;
    private TargetMBeans targetMBeans;
    private RemoteJmx jmx;
    private JolokiaServer jolokia;
    private String jmxUrl;
    private String jolokiaUrl;

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
                    System.out.println("usage: TarnServer [--data DIR] [--config FILE]   (see ServerConfig for keys)");
                    return;
                }
                default -> {
                    System.err.println("tarn-server: unknown argument '" + args[i] + "' (try --help)");
                    System.exit(2);
                }
            }
        }
        TarnServer server;
        try {
            server = new TarnServer(ServerConfig.load(data.toAbsolutePath(), configFile));
            server.start();
        } catch (IllegalArgumentException | IllegalStateException | org.tarn.api.TarnException e) {
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

    /** Starts everything; on failure stops what was started and throws. */
    public void start() throws IOException {
        Path data = config.dataDir();
        // every security setting is checked before the engine starts or anything listens
        Secrets.configFileHoldsNoReadableSecret(config);
        RemoteJmx.Plan jmxPlan = RemoteJmx.check(config);
        Map<String, String> jolokiaSecurity = jolokiaSecurity();
        Files.createDirectories(data);
        lockDataDir(data);
        try {
            startEngine();
            // targets mount with their pools; management exports through them so targets unmount first
            targets = Targets.start(engine, TargetSettings.defaults());
            mbeans = TarnMBeans.register(new TargetAwarePoolManager(new ConfinedPoolManager(engine,
                    config.searchPaths(), "add their directory to search.paths"), targets),
                    ManagementFactory.getPlatformMBeanServer());
            targetMBeans = TargetMBeans.register(targets, ManagementFactory.getPlatformMBeanServer());
            if (Boolean.parseBoolean(config.get("fault.injection"))) {
                faultInjection = FaultInjection.objectName();
                ManagementFactory.getPlatformMBeanServer().registerMBean(new FaultInjection(fault), faultInjection);
            }
            startJmx(jmxPlan);
            startJolokia(jolokiaSecurity);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        } catch (javax.management.JMException e) {
            close();
            throw new IllegalStateException("cannot register the fault injection MBean: " + e.getMessage(), e);
        }
        System.out.println("Tarn server running: data " + data + ", hostid " + String.format("%08x", engine.hostId())
                + ", pools " + engine.pools());
        if (jmxUrl != null) {
            System.out.println("  JMX:     " + jmxUrl);
        }
        if (jolokiaUrl != null) {
            System.out.println("  Jolokia: " + jolokiaUrl);
        }
        System.out.println("  stop with Ctrl-C or SIGTERM: pools are exported and re-imported at the next start");
    }

    private void lockDataDir(Path data) throws IOException {
        Path lockFile = data.resolve("server.lock");
        lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        try {
            lock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException sameJvm) {
            lock = null;
        }
        if (lock == null) {
            String holder = Files.readString(lockFile, StandardCharsets.UTF_8).trim();
            lockChannel.close();
            throw new IllegalStateException("another Tarn server (" + (holder.isEmpty() ? "unknown pid" : holder)
                    + ") is using data directory " + data + "; stop it or use --data");
        }
        lockChannel.truncate(0);
        lockChannel.write(java.nio.ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n")
                .getBytes(StandardCharsets.UTF_8)), 0);
    }

    private void startEngine() throws IOException {
        Path data = config.dataDir();
        EngineSettings settings = EngineSettings.persistent(data.resolve("state"))
                .withSearchPaths(config.searchPaths())
                .withIoTimeoutMillis(config.longValue("io.timeout.millis"))
                .withShutdownExportMillis(config.longValue("shutdown.export.millis"));
        if (!config.get("hostid").isEmpty()) {
            settings = settings.withHost(new HostIdentity(Long.parseLong(config.get("hostid"), 16),
                    settings.host().hostname()));
        }
        for (Path p : config.searchPaths()) {
            Files.createDirectories(p);
        }
        FileVdevDriver file = new FileVdevDriver();
        fault = new FaultVdevDriver(file);
        engine = TarnEngine.start(settings, List.of(fault, file));
        Path marker = data.resolve("state").resolve("initialized");
        if (!Files.exists(marker)) {
            createDefaultPool();
            Files.writeString(marker, "default pool created\n");
        }
    }

    private void createDefaultPool() throws IOException {
        String name = config.get("default.pool");
        if (name.isEmpty() || engine.pools().contains(name)) {
            return;
        }
        Path dir = config.searchPaths().get(0);
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < config.intValue("default.pool.devices"); i++) {
            Path p = dir.resolve(name + "-" + i);
            FileVdevDriver.createSparseFile(p, config.longValue("default.device.bytes"));
            devices.add(p.toString());
        }
        String layout = (devices.size() > 1 ? "mirror " : "") + String.join(" ", devices);
        Pool pool = engine.createPool(name, VdevLayout.parse(layout), Map.of("comment", "default pool"), false);
        LOG.info("created default pool '{}' as {}", pool.name(), layout);
    }

    private void startJmx(RemoteJmx.Plan plan) throws IOException {
        jmx = plan == null ? null : plan.start(ManagementFactory.getPlatformMBeanServer());
        jmxUrl = jmx == null ? null : jmx.url();
    }

    private void startJolokia(Map<String, String> security) throws IOException {
        int port = config.intValue("jolokia.port");
        if (port == 0) {
            return;
        }
        Path policy = config.get("jolokia.policy").isEmpty() ? config.dataDir().resolve("jolokia-access.xml")
                : Path.of(config.get("jolokia.policy"));
        if (!Files.exists(policy)) {
            try (InputStream in = TarnServer.class.getResourceAsStream("jolokia-access.xml")) {
                Files.copy(in, policy, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Map<String, String> cfg = new HashMap<>();
        cfg.put("host", config.get("jolokia.host"));
        cfg.put("port", Integer.toString(port));
        cfg.put("policyLocation", policy.toUri().toString());
        cfg.put("discoveryEnabled", "false");
        // several request threads: a call stuck on a hung pool must not block management of the others
        cfg.put("executor", "fixed");
        cfg.put("threadNr", "8");
        cfg.putAll(security);
        jolokia = new JolokiaServer(new JolokiaServerConfig(cfg));
        jolokia.start();
        jolokiaUrl = jolokia.getUrl();
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
            java.security.KeyStore ks = Secrets.keyStore(keyKey, keystore, password);
            cfg.put("protocol", "https");
            cfg.put("keystore", keystore.toString());
            cfg.put("keystorePassword", password);
            cfg.put("keyStoreType", ks.getType());
        }
        boolean loopback;
        try {
            loopback = InetAddress.getByName(config.get("jolokia.host")).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
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

    /** Stops everything: Jolokia and JMX first, then exports the pools (kept in the cache). */
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
        if (jmx != null) {
            jmx.close();
            jmx = null;
        }
        if (targetMBeans != null) {
            targetMBeans.close();
            targetMBeans = null;
        }
        if (mbeans != null) {
            mbeans.close();
            mbeans = null;
        }
        if (targets != null) {
            // unmount (sync) every target before the engine exports its pools
            targets.close();
            targets = null;
        }
        if (faultInjection != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(faultInjection);
            } catch (javax.management.JMException ignored) {
                // already gone
            }
            faultInjection = null;
        }
        if (engine != null) {
            List<String> pools = engine.pools();
            engine.close();
            System.out.println("Tarn server stopped; exported " + pools);
            engine = null;
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

    public SpaNamespace engine() {
        return engine;
    }

    public TargetService targets() {
        return targets;
    }

    public String jmxUrl() {
        return jmxUrl;
    }

    public String jolokiaUrl() {
        return jolokiaUrl;
    }
}
