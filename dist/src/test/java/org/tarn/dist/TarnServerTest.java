package org.tarn.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.management.MBeanServer;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server over real loopback HTTP (Jolokia) and RMI (remote JMX). */
class TarnServerTest {
    @TempDir
    Path data;

    private final HttpClient http = HttpClient.newHttpClient();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private TarnServer server(int jmxPort, int jolokiaPort) throws IOException {
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=" + jmxPort + "\njolokia.port=" + jolokiaPort
                + "\ntarget.server.port=0\ndefault.device.bytes=" + (32L * 1024 * 1024) + "\n");
        return new TarnServer(ServerConfig.load(data, null));
    }

    private String post(String url, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static java.util.List<String> pools() throws Exception {
        return java.util.List.of((String[]) ManagementFactory.getPlatformMBeanServer()
                .getAttribute(new ObjectName("tarn:type=PoolManager"), "Pools"));
    }

    @Test
    void metrics_are_served_on_loopback_when_a_port_is_set_pos() throws Exception {
        int port = freePort();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\nmetrics.port=" + port
                + "\ndefault.device.bytes=" + (32L * 1024 * 1024) + "\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("tarn_pool_state{pool=\"tank\",tarn_pool_state=\"ACTIVE\"} 1",
                    "tarn_pool_health{pool=\"tank\",tarn_pool_health=\"ONLINE\"} 1", "tarn_vdev_read_errors_total");
        }
        // stopped with the server: the port is free again
        try (ServerSocket again = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void a_bad_metrics_port_stops_the_server_before_it_starts_neg() throws Exception {
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\nmetrics.port=99999\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(server::start)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metrics.port");
        }
        assertThat(data.resolve("felix-cache")).doesNotExist();
    }

    @Test
    void the_server_runs_felix_with_the_tarn_bundles_active_pos() throws Exception {
        try (TarnServer server = server(0, 0)) {
            server.start();
            assertThat(server.bundleStates())
                    .containsEntry("org.apache.felix.scr", "ACTIVE")
                    .containsEntry("org.apache.felix.configadmin", "ACTIVE")
                    .containsEntry("org.tarn.api", "ACTIVE")
                    .containsEntry("org.tarn.vdev.file", "ACTIVE")
                    .containsEntry("org.tarn.vdev.fault", "ACTIVE")
                    .containsEntry("org.tarn.target", "ACTIVE")
                    .containsEntry("org.tarn.jmx", "ACTIVE")
                    .containsEntry("org.tarn.osgi", "ACTIVE")
                    .containsEntry("org.tarn.metrics", "ACTIVE");
            assertThat(server.bundleStates().values()).containsOnly("ACTIVE");
            // the engine is the bundle's, configured by the launcher through Configuration Admin
            assertThat((String[]) ManagementFactory.getPlatformMBeanServer().getAttribute(
                    new ObjectName("tarn:type=PoolManager"), "SearchPaths"))
                    .containsExactly(data.resolve("devices").toString());
            assertThat(Files.size(data.resolve("state").resolve("tarn.cache"))).isPositive();
            assertThat(data.resolve("felix-cache")).isDirectory();
            // the target MBeans come from the OSGi wiring too
            assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(
                    new ObjectName("tarn:type=TargetManager"))).isTrue();
        }
        // the targets' settings reach their component through Configuration Admin as well
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\ntarget.server.port=0\n"
                + "target.recovery.window.millis=4321\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(
                    new ObjectName("tarn:type=TargetManager"), "RecoveryWindowMillis")).isEqualTo(4321L);
        }
        // stopping the framework exported the pool and unregistered every MBean
        assertThat(ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("tarn:*"), null)).isEmpty();
        assertThat(Files.exists(data.resolve("state").resolve("tarn.cache"))).isTrue();
    }

    @Test
    void the_server_serves_its_targets_over_the_target_protocol_pos() throws Exception {
        int port = freePort();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\ntarget.server.port=" + port
                + "\ntarget.server.name=server-under-test\ndefault.device.bytes=" + (32L * 1024 * 1024) + "\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            assertThat(server.bundleStates()).containsEntry("org.tarn.target.server", "ACTIVE")
                    .containsEntry("io.netty.handler", "ACTIVE");
            ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("tarn:type=TargetManager"),
                    "createTarget", new Object[] {"tank", "ost0", "OST"},
                    new String[] {String.class.getName(), String.class.getName(), String.class.getName()});
            try (org.tarn.client.TargetClient c = org.tarn.client.TargetClients.connect(
                    org.tarn.client.ClientSettings.of("ost0", java.util.List.of("127.0.0.1:" + port))
                            .withGiveUpMillis(20_000))) {
                long obj = c.createObject().get();
                c.write(obj, 0, new byte[] {4, 2}).get();
                assertThat(c.read(obj, 0, 2).get()).containsExactly(4, 2);
                assertThat(c.sync().get()).isEqualTo(2);
                assertThat(c.stats().server()).isEqualTo("server-under-test");
            }
        }
        // off with port 0: nothing listens
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\ntarget.server.port=0\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
        }
    }

    @Test
    void an_exposed_target_protocol_without_tls_and_authentication_is_refused_neg() throws Exception {
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\ntarget.server.host=0.0.0.0\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            assertThatThrownBy(server::start).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("target.server.host 0.0.0.0").hasMessageContaining("target.server.insecure");
        }
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\ntarget.server.port=70000\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            assertThatThrownBy(server::start).hasMessageContaining("target.server.port");
        }
    }

    @Test
    void stop_force_exports_a_pool_whose_device_hangs_after_the_shutdown_deadline_pos() throws Exception {
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\ntarget.server.port=0\nfault.injection=true\n"
                + "default.device.bytes=" + (32L * 1024 * 1024) + "\nshutdown.export.millis=500\n"
                + "io.timeout.millis=60000\n");
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        ObjectName manager = new ObjectName("tarn:type=PoolManager");
        ObjectName faults = new ObjectName("tarn:type=FaultInjection");
        String[] strings3 = {String.class.getName(), String.class.getName(), String.class.getName()};
        String[] strings2 = {String.class.getName(), String.class.getName()};
        Path dev = data.resolve("devices").resolve("hung-0");
        TarnServer server = new TarnServer(ServerConfig.load(data, null));
        try {
            server.start();
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(dev.toFile(), "rw")) {
                f.setLength(32L * 1024 * 1024);
            }
            mbs.invoke(manager, "createPool", new Object[] {"hung", "fault:" + dev, ""}, strings3);
            // the fault bundle's MBean, registered because the launcher configured PID org.tarn.vdev.fault
            mbs.invoke(faults, "hangWrites", new Object[] {dev.toString()}, new String[] {String.class.getName()});
            mbs.invoke(new ObjectName("tarn:type=Pool,name=\"hung\""), "setProperty",
                    new Object[] {"comment", "doomed"}, strings2);
        } catch (Exception | AssertionError e) {
            server.close();
            throw e;
        }
        long t0 = System.nanoTime();
        server.close();
        long millis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(millis).as("stop took %d ms", millis).isLessThan(10_000);
        assertThat(mbs.queryNames(new ObjectName("tarn:*"), null)).isEmpty();

        // both stay cached: the next start imports them again (the hang belonged to the stopped bundle)
        try (TarnServer again = new TarnServer(ServerConfig.load(data, null))) {
            again.start();
            assertThat(pools()).containsExactly("hung", "tank");
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void console_is_served_beside_jolokia_with_its_own_files_only_pos() throws Exception {
        int jolokiaPort = freePort();
        try (TarnServer server = server(0, jolokiaPort)) {
            server.start();
            String base = "http://127.0.0.1:" + jolokiaPort;
            assertThat(server.consoleUrl()).isEqualTo(base + "/console/");
            HttpResponse<String> page = get(base + "/console/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<title>Tarn console</title>", "src=\"console.js\"");
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
            assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("default-src 'self'"));
            HttpResponse<String> js = get(base + "/console/console.js");
            assertThat(js.statusCode()).isEqualTo(200);
            assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
            assertThat(js.body()).contains("tarn:type=PoolManager");
            assertThat(get(base + "/console/console.css").statusCode()).isEqualTo(200);
            // the root and the bare path lead to the console
            for (String path : new String[] {"/", "/console"}) {
                HttpResponse<String> r = get(base + path);
                assertThat(r.statusCode()).as(path).isEqualTo(301);
                assertThat(r.headers().firstValue("Location")).as(path).hasValue("/console/");
            }
            // nothing but its three files: no other names, no paths, no other methods
            for (String path : new String[] {"/console/nope.js", "/console/%2e%2e/tarn.properties",
                    "/console/..%2ftarn.properties", "/tarn.properties", "/console/console.js/"}) {
                assertThat(get(base + path).statusCode()).as(path).isEqualTo(404);
            }
            HttpResponse<String> postPage = http.send(HttpRequest.newBuilder(URI.create(base + "/console/"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(postPage.statusCode()).isEqualTo(405);
            // Jolokia itself is unchanged on the same port
            assertThat(post(base + "/jolokia", "{\"type\":\"read\",\"mbean\":\"tarn:type=PoolManager\","
                    + "\"attribute\":\"Pools\"}")).contains("\"status\":200", "\"tank\"");
        }
    }

    @Test
    void console_asks_for_the_login_jolokia_asks_for_neg() throws Exception {
        int jolokiaPort = freePort();
        Path password = data.resolve("jolokia.password");
        Files.writeString(password, "s3cret\n");
        Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=" + jolokiaPort
                + "\ntarget.server.port=0\ndefault.pool=\njolokia.user=admin\njolokia.password.file=" + password
                + "\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            assertThat(get(server.consoleUrl()).statusCode()).isEqualTo(401);
            assertThat(get("http://127.0.0.1:" + jolokiaPort + "/").statusCode()).isEqualTo(401);
            String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("admin:s3cret".getBytes());
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(server.consoleUrl()))
                    .header("Authorization", basic).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            String wrong = "Basic " + java.util.Base64.getEncoder().encodeToString("admin:guess".getBytes());
            assertThat(http.send(HttpRequest.newBuilder(URI.create(server.consoleUrl())).header("Authorization",
                    wrong).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void console_enabled_false_leaves_jolokia_alone_and_a_bad_value_stops_the_server_neg() throws Exception {
        int jolokiaPort = freePort();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=" + jolokiaPort
                + "\ntarget.server.port=0\ndefault.pool=\nconsole.enabled=yes\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            assertThatThrownBy(server::start).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("'console.enabled' must be true or false, got 'yes'");
        }
        assertThat(data.resolve("state")).doesNotExist();
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=" + jolokiaPort
                + "\ntarget.server.port=0\ndefault.pool=\nconsole.enabled=false\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            assertThat(server.consoleUrl()).isNull();
            String base = "http://127.0.0.1:" + jolokiaPort;
            assertThat(get(base + "/console/").statusCode()).isEqualTo(404);
            assertThat(get(base + "/").statusCode()).isEqualTo(404);
            assertThat(post(base + "/jolokia", "{\"type\":\"read\",\"mbean\":\"tarn:type=PoolManager\","
                    + "\"attribute\":\"Pools\"}")).contains("\"status\":200");
        }
    }

    @Test
    void first_start_creates_tank_and_serves_jolokia_and_jmx_on_loopback_pos() throws Exception {
        int jmxPort = freePort();
        int jolokiaPort = freePort();
        try (TarnServer server = server(jmxPort, jolokiaPort)) {
            server.start();
            assertThat(pools()).containsExactly("tank");
            String url = "http://127.0.0.1:" + jolokiaPort + "/jolokia";
            assertThat(server.jolokiaUrl()).startsWith("http://127.0.0.1:" + jolokiaPort);
            String pools = post(url, "{\"type\":\"read\",\"mbean\":\"tarn:type=PoolManager\",\"attribute\":\"Pools\"}");
            assertThat(pools).contains("\"status\":200").contains("\"tank\"");
            String health = post(url, "{\"type\":\"read\",\"mbean\":\"tarn:type=Pool,name=\\\"tank\\\"\","
                    + "\"attribute\":\"Health\"}");
            assertThat(health).contains("\"value\":\"ONLINE\"");
            String sync = post(url, "{\"type\":\"exec\",\"mbean\":\"tarn:type=Pool,name=\\\"tank\\\"\","
                    + "\"operation\":\"sync\",\"arguments\":[]}");
            assertThat(sync).contains("\"status\":200");
            // the policy forbids operations outside Tarn's domain
            String gc = post(url, "{\"type\":\"exec\",\"mbean\":\"java.lang:type=Memory\",\"operation\":\"gc\"}");
            assertThat(gc).contains("\"status\":403");
            // management may not touch files outside the search paths
            String outside = post(url, "{\"type\":\"exec\",\"mbean\":\"tarn:type=PoolManager\","
                    + "\"operation\":\"createPool\",\"arguments\":[\"evil\",\"/etc/hostname /etc/passwd\",\"\"]}");
            assertThat(outside).doesNotContain("\"status\":200").contains("outside the search paths");

            try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(server.jmxUrl()))) {
                MBeanServerConnection mbs = c.getMBeanServerConnection();
                assertThat((String[]) mbs.getAttribute(new ObjectName("tarn:type=PoolManager"), "Pools"))
                        .containsExactly("tank");
            }
        }
    }

    @Test
    void second_server_on_the_same_data_dir_is_refused_and_restart_reimports_neg() throws Exception {
        try (TarnServer first = server(0, 0)) {
            first.start();
            TarnServer second = server(0, 0);
            assertThatThrownBy(second::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another Tarn server").hasMessageContaining(data.toString());
        }
        try (TarnServer again = server(0, 0)) {
            again.start();
            assertThat(pools()).containsExactly("tank");
            String[] events = (String[]) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("tarn:type=Pool,name=\"tank\""), "events", new Object[0], new String[0]);
            assertThat(String.join("\n", events)).contains("imported");
        }
    }

    private static Object createPool(String name, String vdevs) throws Exception {
        return ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("tarn:type=PoolManager"), "createPool",
                new Object[] {name, vdevs, ""}, new String[] {"java.lang.String", "java.lang.String",
                    "java.lang.String"});
    }

    @Test
    void a_device_link_out_of_the_search_paths_is_refused_unless_its_target_is_a_link_target_neg() throws Exception {
        Path disks = Files.createDirectories(data.getParent().resolve(data.getFileName() + "-disks"));
        Path real = disks.resolve("disk0");
        Files.write(real, new byte[0]);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(real.toFile(), "rw")) {
            f.setLength(32L * 1024 * 1024);
        }
        Path link = Files.createSymbolicLink(Files.createDirectories(data.resolve("devices")).resolve("by-id-0"), real);
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\ntarget.server.port=0\n"
                + "default.pool=\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            assertThatThrownBy(() -> createPool("linked", link.toString()))
                    .hasStackTraceContaining("TARN-").hasStackTraceContaining(real.toString());
            assertThat(pools()).doesNotContain("linked");
        }
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=0\ntarget.server.port=0\n"
                + "default.pool=\nsearch.link.targets=" + disks + "\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            createPool("linked", link.toString());
            assertThat(pools()).contains("linked");
        }
    }
}
