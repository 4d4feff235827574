package org.tarn.agent.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.sun.net.httpserver.HttpServer;

import org.jolokia.jvmagent.JolokiaServer;
import org.jolokia.jvmagent.JolokiaServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.PathPolicy;
import org.tarn.engine.TarnEngine;
import org.tarn.jmx.ObjectNames;
import org.tarn.jmx.TargetMBeans;
import org.tarn.jmx.TarnMBeans;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.target.server.TargetServer;
import org.tarn.target.server.TargetServerSettings;
import org.tarn.target.server.TargetServers;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The Tarn Java agent at run time, loaded by the bootstrap
 * ({@code org.tarn.agent.TarnAgent}) in the agent's own class loader.
 *
 * <p>{@link #start} starts the engine over the file and fault drivers (which
 * re-imports the pools of its cache file), registers the Tarn MBeans and
 * {@code tarn:type=Agent} in the platform MBeanServer, optionally starts
 * Jolokia on loopback, and sets system property {@code tarn.agent.active}.
 * {@link #stop} (operation {@code shutdown()} of {@code tarn:type=Agent})
 * undoes all of it in reverse order, exporting every pool (they stay in the
 * cache file, so the next start re-imports them), then tells the bootstrap,
 * which closes this class loader.
 */
public final class AgentRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(AgentRuntime.class);
    /** Same name as the bootstrap's constant (the bootstrap's class is not visible here). */
    static final String ACTIVE_PROPERTY = "tarn.agent.active";

    private static AgentRuntime current;

    private final AgentOptions options;
    private final Runnable onStopped;
    private final String version;
    private Engine engine;
    private TargetService targets;
    private TarnMBeans mbeans;
    private TargetMBeans targetMBeans;
    private TargetServer targetServer;
    private ObjectName agentName;
    private JolokiaServer jolokia;
    private HttpServer httpServer;
    private ExecutorService httpExecutor;
    private String jolokiaUrl = "";

    private AgentRuntime(AgentOptions options, Runnable onStopped) {
        this.options = options;
        this.onStopped = onStopped;
        this.version = readVersion();
    }

    /**
     * Starts the agent; on failure stops what was started and throws.
     *
     * @param options    {@code key=value,key=value} (see {@link AgentOptions})
     * @param onStopped  run once the agent has shut down, as the last thing it does
     */
    public static synchronized void start(String options, Runnable onStopped) throws IOException {
        if (current != null) {
            throw new IllegalStateException("the Tarn agent already runs in this JVM");
        }
        AgentRuntime rt = new AgentRuntime(AgentOptions.parse(options), onStopped);
        try {
            rt.startAll();
        } catch (JMException e) {
            rt.stopAll();
            throw new IllegalStateException("registering " + ObjectNames.agent() + ": " + e, e);
        } catch (IOException | RuntimeException e) {
            rt.stopAll();
            throw e;
        }
        current = rt;
    }

    /** Shuts the running agent down (see {@link AgentMXBean#shutdown()}); does nothing when none runs. */
    public static void stop() {
        AgentRuntime rt;
        synchronized (AgentRuntime.class) {
            rt = current;
            current = null;
        }
        if (rt != null) {
            rt.stopAll();
            rt.onStopped.run();
        }
    }

    private void startAll() throws IOException, JMException {
        Files.createDirectories(options.stateDir());
        for (Path p : options.searchPaths()) {
            Files.createDirectories(p);
        }
        EngineSettings settings = EngineSettings.persistent(options.stateDir()).withSearchPaths(options.searchPaths())
                .withPathPolicy(PathPolicy.searchPathsOnly("add their directory to the agent option search=DIR[:DIR]")
                        .allowingLinksInto(options.linkTargets()));
        if (options.blockCacheBytes() > 0) {
            settings = settings.withBlockCacheBytes(options.blockCacheBytes());
        }
        FileVdevDriver file = new FileVdevDriver();
        engine = TarnEngine.start(settings, List.of(new FaultVdevDriver(file), file));
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        // targets mount with their pools, and (the engine's export hook) unmount before every clean export
        targets = Targets.start(engine, TargetSettings.defaults());
        mbeans = TarnMBeans.register(engine, server);
        targetMBeans = TargetMBeans.register(targets, server);
        if (options.targetPort() > 0) {
            // remote clients (tarn-client) reach the targets on loopback only, like Jolokia
            targetServer = TargetServers.start(targets, TargetServerSettings.defaults().withPort(options.targetPort()));
        }
        agentName = ObjectNames.agent();
        server.registerMBean(TarnMBeans.described(new Agent(), AgentMXBean.class), agentName);
        if (options.jolokiaPort() > 0) {
            startJolokia();
        }
        System.setProperty(ACTIVE_PROPERTY, "version " + version + ", state " + options.stateDir()
                + (jolokiaUrl.isEmpty() ? "" : ", jolokia " + jolokiaUrl)
                + (targetServer == null ? "" : ", targets " + targetServer.address()));
        LOG.info("Tarn agent {} started: state {}, search paths {}, pools {}{}", version, options.stateDir(),
                options.searchPaths(), engine.pools(), jolokiaUrl.isEmpty() ? "" : ", Jolokia " + jolokiaUrl);
    }

    private void startJolokia() throws IOException {
        Map<String, String> cfg = new HashMap<>();
        cfg.put("host", "127.0.0.1");
        cfg.put("port", Integer.toString(options.jolokiaPort()));
        cfg.put("discoveryEnabled", "false");
        cfg.put("policyLocation", "classpath:/org/tarn/agent/runtime/jolokia-access.xml");
        // Jolokia's own MBeans get a qualifier, so a Jolokia of the host application keeps its names
        cfg.put("mbeanQualifier", "tarn-agent");
        // our own HttpServer and executor: JolokiaServer.stop() shuts down neither the executor of the server
        // it creates nor (before JVM exit) its cleanup thread, and those threads would outlive the agent
        httpServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                options.jolokiaPort()), 0);
        httpExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tarn-agent-jolokia");
            t.setDaemon(true);
            return t;
        });
        httpServer.setExecutor(httpExecutor);
        jolokia = new JolokiaServer(httpServer, new JolokiaServerConfig(cfg), null);
        jolokia.start();
        httpServer.start();
        jolokiaUrl = "http://127.0.0.1:" + httpServer.getAddress().getPort() + "/jolokia";
    }

    /** Stops everything that was started, in reverse order; never throws. */
    private void stopAll() {
        System.clearProperty(ACTIVE_PROPERTY);
        if (jolokia != null) {
            try {
                jolokia.stop();
            } catch (RuntimeException e) {
                LOG.warn("stopping Jolokia: {}", e.toString());
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
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        if (agentName != null) {
            try {
                if (server.isRegistered(agentName)) {
                    server.unregisterMBean(agentName);
                }
            } catch (JMException e) {
                LOG.warn("unregistering {}: {}", agentName, e.toString());
            }
            agentName = null;
        }
        if (targetServer != null) {
            targetServer.close();
            targetServer = null;
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
            // unmount (and sync) targets before the engine exports their pools underneath them
            targets.close();
            targets = null;
        }
        if (engine != null) {
            List<String> pools = engine.pools();
            engine.close();
            LOG.info("Tarn agent stopped; exported {}", pools);
            engine = null;
        }
    }

    private static String readVersion() {
        try (InputStream in = AgentRuntime.class.getResourceAsStream("agent.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The MBean's implementation. */
    private final class Agent implements AgentMXBean {
        @Override
        public String getVersion() {
            return version;
        }

        @Override
        public String getOptions() {
            return options.text();
        }

        @Override
        public String getStateDir() {
            return options.stateDir().toString();
        }

        @Override
        public String[] getSearchPaths() {
            return options.searchPaths().stream().map(Path::toString).toArray(String[]::new);
        }

        @Override
        public String[] getPools() {
            Engine e = engine;
            return e == null ? new String[0] : e.pools().stream().sorted().toArray(String[]::new);
        }

        @Override
        public String getJolokiaUrl() {
            return jolokiaUrl;
        }

        @Override
        public void shutdown() {
            AgentRuntime.stop();
        }
    }
}
