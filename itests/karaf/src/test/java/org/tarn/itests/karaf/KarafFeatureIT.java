package org.tarn.itests.karaf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tarn.dist.ServerBundles;

/**
 * The features in a real Apache Karaf: the distribution unpacked by the
 * build (target/karaf) runs as a separate process on free loopback ports,
 * offline (its Maven resolver sees only its own system repository, into
 * which the Tarn artifacts of this build are copied, and the build's local
 * repository). The test adds the features repository and installs
 * {@code tarn} over Karaf's JMX connector, as an operator would with
 * {@code feature:repo-add} and {@code feature:install}, then creates a pool
 * through {@code tarn:type=PoolManager} and reads its {@code tarn:type=Pool}
 * MBean, then installs {@code tarn-jolokia} and reads the same MBean over
 * Jolokia HTTP. Karaf is stopped, and killed if it does not stop, whatever
 * happens.
 */
class KarafFeatureIT {
    private static final String VERSION = System.getProperty("tarn.version", "0.1.0-SNAPSHOT");
    /** A Tarn bundle the descriptor names. */
    private static final Pattern TARN_BUNDLE = Pattern.compile("<bundle>mvn:org\\.tarn/([^/<]+)/([^/<]+)</bundle>");
    private static final Duration START_DEADLINE = Duration.ofSeconds(120);
    private static final long DEVICE_BYTES = 64L * 1024 * 1024;

    private Path home;
    private Process karaf;
    private int httpPort;
    private int targetPort;
    private JMXConnector connector;

    @BeforeEach
    void startKaraf() throws Exception {
        home = Path.of(required("karaf.home"));
        assertThat(home.resolve("bin/karaf")).as("unpacked by the build (pre-integration-test)").exists();
        deleteTree(home.resolve("data"));
        deleteTree(home.resolve("instances"));
        publishTarnArtifacts();

        int registryPort = freePort();
        int rmiServerPort = freePort();
        int sshPort = freePort();
        httpPort = freePort();
        targetPort = freePort();
        // the feature's configuration of the target protocol server does not replace an existing one
        Files.writeString(home.resolve("etc/org.tarn.target.server.cfg"), "host = 127.0.0.1\nport = " + targetPort
                + "\n");
        setProperties("etc/org.apache.karaf.management.cfg", Map.of("rmiRegistryPort", registryPort,
                "rmiServerPort", rmiServerPort, "rmiRegistryHost", "127.0.0.1", "rmiServerHost", "127.0.0.1"));
        setProperties("etc/org.apache.karaf.shell.cfg", Map.of("sshPort", sshPort, "sshHost", "127.0.0.1"));
        // Pax Web (feature http, pulled in by tarn-jolokia) takes an existing configuration as it is
        Files.writeString(home.resolve("etc/org.ops4j.pax.web.cfg"), "org.osgi.service.http.port = " + httpPort
                + "\norg.ops4j.pax.web.listening.addresses = 127.0.0.1\n");
        // offline: the system repository (Karaf's own bundles, and Tarn's copied above) and the build's local
        // repository, nothing remote
        setProperties("etc/org.ops4j.pax.url.mvn.cfg", Map.of(
                "org.ops4j.pax.url.mvn.localRepository", required("maven.repo.local"),
                "org.ops4j.pax.url.mvn.repositories", "",
                "org.ops4j.pax.url.mvn.offline", "true"));
        // Karaf 4.4 ships no enabled user: the JMX login of the test
        Files.writeString(home.resolve("etc/users.properties"),
                "karaf = karaf,_g_:admingroup\n_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n");

        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(home.getParent().resolve("karaf-it-console.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("KARAF_NOROOT");
        karaf = pb.start();
        // should this JVM be stopped before @AfterEach runs, Karaf must not outlive it
        Process started = karaf;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            started.descendants().forEach(ProcessHandle::destroyForcibly);
            started.destroyForcibly();
        }));

        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi://127.0.0.1:" + rmiServerPort
                + "/jndi/rmi://127.0.0.1:" + registryPort + "/karaf-root");
        await("Karaf's JMX connector").atMost(START_DEADLINE).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> {
                    assertThat(karaf.isAlive()).as("Karaf exited early; see karaf-it-console.log").isTrue();
                    connector = JMXConnectorFactory.connect(url, Map.of(JMXConnector.CREDENTIALS,
                            new String[] {"karaf", "karaf"}));
                    return true;
                });
    }

    @AfterEach
    void stopKaraf() throws Exception {
        try {
            if (connector != null && karaf.isAlive()) {
                try {
                    connector.getMBeanServerConnection().invoke(new ObjectName("org.apache.karaf:type=system,name=root"),
                            "halt", new Object[0], new String[0]);
                } catch (Exception goingDown) {
                    // the connection may drop while Karaf halts
                }
                connector.close();
            }
        } finally {
            if (karaf != null) {
                if (!karaf.waitFor(30, TimeUnit.SECONDS)) {
                    karaf.descendants().forEach(ProcessHandle::destroyForcibly);
                    karaf.destroyForcibly();
                    karaf.waitFor(10, TimeUnit.SECONDS);
                }
                karaf.descendants().forEach(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void featureInstallsAndPoolMBeanReads_pos() throws Exception {
        MBeanServerConnection jmx = connector.getMBeanServerConnection();
        ObjectName features = new ObjectName("org.apache.karaf:type=feature,name=root");
        await("features MBean").atMost(START_DEADLINE).until(() -> jmx.isRegistered(features));

        // feature:repo-add mvn:org.tarn/tarn-features/VERSION/xml/features ; feature:install tarn
        jmx.invoke(features, "addRepository", new Object[] {"mvn:org.tarn/tarn-features/" + VERSION + "/xml/features"},
                new String[] {String.class.getName()});
        jmx.invoke(features, "installFeature", new Object[] {"tarn"}, new String[] {String.class.getName()});

        ObjectName manager = new ObjectName("tarn:type=PoolManager");
        await("tarn:type=PoolManager").atMost(Duration.ofSeconds(60)).until(() -> jmx.isRegistered(manager));
        String[] searchPaths = (String[]) jmx.getAttribute(manager, "SearchPaths");
        assertThat(searchPaths).as("from the feature's org.tarn.engine configuration")
                .containsExactly(home.resolve("data/tarn/devices").toAbsolutePath().toString());
        assertThat(home.resolve("data/tarn/hostid")).exists();
        // the engine is its own bundle, ACTIVE beside the DS wiring that runs it
        assertThat(bundleRow(jmx, "org.tarn.engine")).as("bundle org.tarn.engine in bundle:list")
                .anyMatch(v -> "Active".equalsIgnoreCase(String.valueOf(v)));
        assertThat(bundleRow(jmx, "org.tarn.osgi")).anyMatch(v -> "Active".equalsIgnoreCase(String.valueOf(v)));

        Path devices = Files.createDirectories(Path.of(searchPaths[0]));
        for (String d : List.of("d0", "d1")) {
            try (RandomAccessFile f = new RandomAccessFile(devices.resolve(d).toFile(), "rw")) {
                f.setLength(DEVICE_BYTES);
            }
        }
        // management may not name files outside the search paths
        assertThatThrownBy(() -> jmx.invoke(manager, "createPool", new Object[] {"evil", "/etc/hostname", ""},
                new String[] {String.class.getName(), String.class.getName(), String.class.getName()}))
                .hasStackTraceContaining("outside the search paths");
        ObjectName targets = new ObjectName("tarn:type=TargetManager");
        await("tarn:type=TargetManager").atMost(Duration.ofSeconds(30)).until(() -> jmx.isRegistered(targets));
        // the target protocol server (bundle org.tarn.target.server, with Netty) listens and greets clients
        await("the target server on port " + targetPort).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> {
                    try (java.net.Socket s = new java.net.Socket("127.0.0.1", targetPort)) {
                        s.setSoTimeout(5000);
                        java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
                        int length = in.readInt();
                        // the Challenge: its type byte, then the protocol version
                        return length > 5 && in.readUnsignedByte() == 64 && in.readInt() == 1;
                    }
                });
        String guid = (String) jmx.invoke(manager, "createPool", new Object[] {"kpool",
                "mirror " + devices.resolve("d0") + " " + devices.resolve("d1"), "comment=karaf"},
                new String[] {String.class.getName(), String.class.getName(), String.class.getName()});

        ObjectName pool = new ObjectName("tarn:type=Pool,name=" + ObjectName.quote("kpool"));
        await("tarn:type=Pool,name=\"kpool\"").atMost(Duration.ofSeconds(30)).until(() -> jmx.isRegistered(pool));
        assertThat(jmx.getAttribute(pool, "Guid")).isEqualTo(guid);
        assertThat(jmx.getAttribute(pool, "State")).isEqualTo("ACTIVE");
        assertThat(jmx.getAttribute(pool, "Health")).isEqualTo("ONLINE");
        assertThat((String) jmx.invoke(pool, "status", new Object[0], new String[0])).contains("kpool", "mirror");

        // feature:install tarn-jolokia: the same pool over Jolokia HTTP
        jmx.invoke(features, "installFeature", new Object[] {"tarn-jolokia"}, new String[] {String.class.getName()});
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI read = URI.create("http://127.0.0.1:" + httpPort + "/jolokia/read/tarn:type=Pool,name=%22kpool%22/Health");
        String login = "Basic " + java.util.Base64.getEncoder().encodeToString("karaf:karaf".getBytes(
                java.nio.charset.StandardCharsets.UTF_8));
        await("Jolokia at " + read).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> {
                    String body = http.send(HttpRequest.newBuilder(read).header("Authorization", login).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    return body.contains("\"status\":200") && body.contains("\"value\":\"ONLINE\"");
                });
        // Karaf's JAAS guards it: no anonymous reads, no wrong passwords
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(read).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).as(anonymous.body()).isEqualTo(401);
        assertThat(anonymous.body()).doesNotContain("ONLINE");
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(read).header("Authorization", "Basic "
                + java.util.Base64.getEncoder().encodeToString("karaf:wrong".getBytes(
                        java.nio.charset.StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);

        // installing tarn-jolokia may make Karaf refresh (restart) the Tarn bundles a moment later: the engine
        // then exports the pool and imports it again from its cache, and its MBeans come and go meanwhile
        await("the export of kpool").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> {
                    if (List.of((String[]) jmx.getAttribute(manager, "Pools")).contains("kpool")) {
                        jmx.invoke(manager, "exportPool", new Object[] {"kpool", false},
                                new String[] {String.class.getName(), boolean.class.getName()});
                    }
                    return ((String[]) jmx.getAttribute(manager, "Pools")).length == 0;
                });
    }

    /**
     * {@code feature:install tarn-ha}: the bundle is active but joins no cluster until PID org.tarn.ha names
     * an ensemble; with a configuration file in etc/ (as {@code config:property-set} writes one) it joins a real
     * ZooKeeper, registers this server there and takes the lease of a pool it manages.
     */
    @Test
    void haFeatureJoinsZooKeeperOnceConfigured_pos() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(200))) {
            client.start();
            MBeanServerConnection jmx = connector.getMBeanServerConnection();
            ObjectName features = new ObjectName("org.apache.karaf:type=feature,name=root");
            await("features MBean").atMost(START_DEADLINE).until(() -> jmx.isRegistered(features));
            jmx.invoke(features, "addRepository", new Object[] {"mvn:org.tarn/tarn-features/" + VERSION
                    + "/xml/features"}, new String[] {String.class.getName()});
            jmx.invoke(features, "installFeature", new Object[] {"tarn-ha"}, new String[] {String.class.getName()});

            ObjectName manager = new ObjectName("tarn:type=PoolManager");
            ObjectName ha = new ObjectName("tarn:type=HaManager");
            await("tarn:type=PoolManager").atMost(Duration.ofSeconds(60)).until(() -> jmx.isRegistered(manager));
            await("bundle org.tarn.ha active").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> bundleRow(jmx, "org.tarn.ha").stream()
                            .anyMatch(v -> "Active".equalsIgnoreCase(String.valueOf(v))));
            assertThat(jmx.isRegistered(ha)).as("no ensemble configured yet: no membership").isFalse();

            // what config:property-set -p org.tarn.ha ... leaves in etc/
            Files.writeString(home.resolve("etc/org.tarn.ha.cfg"), "connectString = " + zk.getConnectString()
                    + "\nserverId = karaf1\nbasePath = /tarn-karaf\nsessionTimeoutMillis = 6000\n");
            await("tarn:type=HaManager").atMost(Duration.ofSeconds(60)).until(() -> jmx.isRegistered(ha));
            await("connected to ZooKeeper").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> Boolean.TRUE.equals(jmx.getAttribute(ha, "Connected")));
            assertThat(jmx.getAttribute(ha, "ServerId")).isEqualTo("karaf1");
            // seen from ZooKeeper itself, not only through the MBean
            await("karaf1 registered in ZooKeeper").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> client.getChildren().forPath("/tarn-karaf/servers").contains("karaf1"));

            String[] searchPaths = (String[]) jmx.getAttribute(manager, "SearchPaths");
            Path devices = Files.createDirectories(Path.of(searchPaths[0]));
            try (RandomAccessFile f = new RandomAccessFile(devices.resolve("h0").toFile(), "rw")) {
                f.setLength(DEVICE_BYTES);
            }
            jmx.invoke(manager, "createPool", new Object[] {"hapool", devices.resolve("h0").toString(), ""},
                    new String[] {String.class.getName(), String.class.getName(), String.class.getName()});
            jmx.invoke(ha, "manage", new Object[] {"hapool", "dir=" + devices},
                    new String[] {String.class.getName(), String.class.getName()});
            await("the lease of hapool").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> List.of((String[]) jmx.getAttribute(ha, "OwnedPools")).contains("hapool"));
            assertThat(new String(client.getData().forPath("/tarn-karaf/leases/hapool"),
                    java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("karaf1");

            // the configuration deleted: the server leaves the cluster; it exports the pools it owns first (so
            // that no other server can take one while it is still imported here), then its lease goes
            Files.delete(home.resolve("etc/org.tarn.ha.cfg"));
            await("HaManager gone").atMost(Duration.ofSeconds(60)).until(() -> !jmx.isRegistered(ha));
            await("karaf1 left ZooKeeper").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> !client.getChildren().forPath("/tarn-karaf/servers").contains("karaf1"));
            assertThat(List.of((String[]) jmx.getAttribute(manager, "Pools"))).as("exported on leaving")
                    .doesNotContain("hapool");
            assertThat(client.checkExists().forPath("/tarn-karaf/leases/hapool")).as("lease released").isNull();
        }
    }

    // ---- helpers ------------------------------------------------------------------

    /**
     * Copies this build's features descriptor into Karaf's system repository, and every Tarn bundle it names,
     * taken from the server's bundles (the tarn-dist jar: the same one bundle list the feature was written from).
     */
    private void publishTarnArtifacts() throws IOException {
        Path tarn = home.resolve("system/org/tarn");
        Path features = Path.of(required("tarn.features.xml"));
        Matcher m = TARN_BUNDLE.matcher(Files.readString(features));
        List<String> published = new ArrayList<>();
        while (m.find()) {
            String name = m.group(1);
            assertThat(m.group(2)).as("version of " + name).isEqualTo(VERSION);
            Path to = tarn.resolve(name + "/" + VERSION + "/" + name + "-" + VERSION + ".jar");
            Files.createDirectories(to.getParent());
            try (InputStream in = ServerBundles.class.getResourceAsStream("bundles/" + name + ".jar")) {
                assertThat(in).as(name + " among the server's bundles (tarn-dist)").isNotNull();
                Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
            }
            published.add(name);
        }
        assertThat(published).as("Tarn bundles of " + features).contains("tarn-api", "tarn-engine", "tarn-osgi");
        copy(features, tarn.resolve("tarn-features/" + VERSION + "/tarn-features-" + VERSION + "-features.xml"));
    }

    /** The values of {@code bundle:list}'s row (Karaf's bundle MBean) of the bundle with that symbolic name. */
    private static List<Object> bundleRow(MBeanServerConnection jmx, String symbolicName) throws Exception {
        TabularData bundles = (TabularData) jmx.getAttribute(new ObjectName("org.apache.karaf:type=bundle,name=root"),
                "Bundles");
        for (Object row : bundles.values()) {
            List<Object> values = new ArrayList<>(((CompositeData) row).values());
            if (values.contains(symbolicName)) {
                return values;
            }
        }
        throw new AssertionError("no bundle " + symbolicName + " in Karaf");
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Sets (or adds) {@code key = value} lines in a Karaf .cfg file. */
    private void setProperties(String file, Map<String, Object> values) throws IOException {
        Path p = home.resolve(file);
        Map<String, Object> left = new HashMap<>(values);
        StringBuilder out = new StringBuilder();
        boolean continued = false;
        for (String line : Files.readAllLines(p)) {
            String key = line.contains("=") ? line.substring(0, line.indexOf('=')).trim() : "";
            if (continued) {
                continued = line.endsWith("\\");
                continue; // drop the continuation lines of a value we replaced
            }
            if (left.containsKey(key)) {
                out.append(key).append(" = ").append(left.remove(key)).append('\n');
                continued = line.endsWith("\\");
            } else {
                out.append(line).append('\n');
            }
        }
        left.forEach((k, v) -> out.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(p, out);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank() || v.startsWith("${")) {
            throw new IllegalStateException("system property " + property + " is not set; run with mvn verify");
        }
        return v;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
