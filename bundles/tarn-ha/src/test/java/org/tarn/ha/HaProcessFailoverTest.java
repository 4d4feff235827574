package org.tarn.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ImportablePool;
import org.tarn.api.PoolManager;
import org.tarn.cli.TarnCtl;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.jmx.ObjectNames;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Three Tarn servers as child JVMs ({@link HaNodeMain}) on a real
 * three-server ZooKeeper ensemble, managed through their MBeans over remote
 * JMX and through tarnctl: pools spread over them; one server is killed
 * with SIGKILL and its pool is imported by a survivor once its session
 * expires — the devices' labels then name the survivor's host id.
 */
class HaProcessFailoverTest {
    static final long SESSION_MILLIS = 4_000;
    static final long DEVICE_BYTES = 32L * 1024 * 1024;

    @TempDir
    Path dir;

    private Ensemble zk;
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Map<String, Integer> jmxPorts = new LinkedHashMap<>();
    private final List<JMXConnector> connectors = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (JMXConnector c : connectors) {
            try {
                c.close();
            } catch (Exception e) {
                // its server is gone
            }
        }
        for (Process p : processes.values()) {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        if (zk != null) {
            zk.close();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void startServer(String id, Path shared) throws Exception {
        int port = freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = dir.resolve(id + ".log");
        Process p = new ProcessBuilder(java, "-Xmx256m", "-Djava.rmi.server.hostname=127.0.0.1", "-cp",
                System.getProperty("java.class.path"), HaNodeMain.class.getName(), dir.resolve(id).toString(),
                shared.toString(), zk.connectString(), id, Integer.toString(port), Long.toString(SESSION_MILLIS))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.put(id, p);
        jmxPorts.put(id, port);
    }

    private MBeanServerConnection jmx(String id) throws Exception {
        int port = jmxPorts.get(id);
        JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:"
                + port + "/jmxrmi"));
        connectors.add(c);
        return c.getMBeanServerConnection();
    }

    private static String[] owned(MBeanServerConnection c) throws Exception {
        return (String[]) c.getAttribute(ObjectNames.haManager(), "OwnedPools");
    }

    private static Object invoke(MBeanServerConnection c, ObjectName on, String op, Object... args) throws Exception {
        String[] sig = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            sig[i] = args[i] instanceof Boolean ? "boolean" : args[i] instanceof Long ? "long" : "java.lang.String";
        }
        return c.invoke(on, op, args, sig);
    }

    private record Run(int exit, String out, String err) {
    }

    private Run tarnctl(String id, String... args) {
        List<String> all = new ArrayList<>(List.of("--jmx", "127.0.0.1:" + jmxPorts.get(id)));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TarnCtl.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true),
                null);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void a_sigkilled_server_s_pool_is_imported_by_a_survivor_pos() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        zk = new Ensemble(dir.resolve("zk"));
        for (String id : List.of("a", "b", "c")) {
            startServer(id, shared);
        }
        Map<String, MBeanServerConnection> conn = new LinkedHashMap<>();
        for (String id : List.of("a", "b", "c")) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                conn.put(id, jmx(id));
                return (Boolean) conn.get(id).getAttribute(ObjectNames.haManager(), "Connected");
            });
        }
        MBeanServerConnection a = conn.get("a");
        for (String pool : List.of("p1", "p2", "p3")) {
            Path d0 = FileVdevDriver.createSparseFile(shared.resolve(pool + "-0"), DEVICE_BYTES);
            Path d1 = FileVdevDriver.createSparseFile(shared.resolve(pool + "-1"), DEVICE_BYTES);
            invoke(a, ObjectNames.poolManager(), "createPool", pool, "mirror " + d0 + " " + d1, "multihost=on");
            invoke(a, ObjectNames.poolManager(), "exportPool", pool, false);
        }
        // managed through tarnctl: the placement spreads the three exported pools, one a server
        for (String pool : List.of("p1", "p2", "p3")) {
            Run r = tarnctl("a", "ha", "manage", pool);
            assertThat(r.exit()).as("%s", r).isZero();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> owned(conn.get("a")).length == 1
                && owned(conn.get("b")).length == 1 && owned(conn.get("c")).length == 1);
        Run status = tarnctl("b", "ha", "status");
        assertThat(status.exit()).as("%s", status).isZero();
        assertThat(status.out()).contains("server b, connected").contains("SERVER").contains("POOL")
                .containsPattern("p1\\s+[abc]\\s").containsPattern("p2\\s+[abc]\\s").containsPattern("p3\\s+[abc]\\s");

        String victim = "b";
        String pool = owned(conn.get(victim))[0];
        PoolManager observer = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()));
        try {
            long killedAt = System.nanoTime();
            processes.get(victim).destroyForcibly(); // SIGKILL
            assertThat(processes.get(victim).waitFor(20, TimeUnit.SECONDS)).isTrue();
            String[] survivor = new String[1];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                for (String id : List.of("a", "c")) {
                    if (List.of(owned(conn.get(id))).contains(pool)) {
                        survivor[0] = id;
                        return true;
                    }
                }
                return false;
            });
            long servingMillis = (System.nanoTime() - killedAt) / 1_000_000;
            System.out.println("PERF zookeeper failover after SIGKILL (session " + SESSION_MILLIS + " ms, multihost "
                    + "on): " + servingMillis + " ms");
            // the labels on the shared devices: ACTIVE, last imported by the survivor's host
            String survivorHost = (String) conn.get(survivor[0]).getAttribute(ObjectNames.poolManager(), "HostId");
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                ImportablePool labels = observer.scan(List.of(shared.toString())).pools().stream()
                        .filter(p -> p.name().equals(pool)).findFirst().orElseThrow();
                return labels.state().equals("ACTIVE") && Long.toHexString(labels.hostId()).equals(survivorHost);
            });
            // and only the survivor has it imported; every pool still has exactly one owner
            String other = survivor[0].equals("a") ? "c" : "a";
            assertThat((String[]) conn.get(other).getAttribute(ObjectNames.poolManager(), "Pools"))
                    .doesNotContain(pool);
            assertThat(owned(conn.get("a")).length + owned(conn.get("c")).length).isEqualTo(3);

            // an operator moves the pool back and forth with tarnctl
            Run moved = tarnctl(survivor[0], "ha", "move", pool, other, "--timeout", "60");
            assertThat(moved.exit()).as("%s", moved).isZero();
            assertThat(moved.out()).contains(pool + " now served by " + other);
            assertThat(List.of(owned(conn.get(other)))).contains(pool);
            Run refused = tarnctl(other, "ha", "move", pool, "b");
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("no live server 'b'");
            assertThat(tarnctl(other, "ha", "bogus").exit()).isEqualTo(2);
        } finally {
            TarnNode.close(observer);
        }
    }
}
