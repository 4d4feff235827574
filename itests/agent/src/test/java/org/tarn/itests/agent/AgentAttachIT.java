package org.tarn.itests.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.RandomAccessFile;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.tools.attach.VirtualMachine;

/**
 * The packaged agent jar against a separate, already running JVM whose
 * application has its own, different SLF4J: attach, manage pools over JMX,
 * shut the agent down, attach again.
 */
class AgentAttachIT {
    private static final ObjectName AGENT = name("tarn:type=Agent");
    private static final ObjectName POOL_MANAGER = name("tarn:type=PoolManager");
    private static final long DEVICE_BYTES = 64L << 20;

    @TempDir
    Path dir;

    @Test
    void attachesManagesShutsDownAndAttachesAgainWithoutTouchingTheHostsSlf4j_pos() throws Exception {
        Path state = dir.resolve("state");
        Path devices = dir.resolve("devices");
        String options = "state=" + state + ",search=" + devices;
        try (HostProcess host = HostProcess.start()) {
            String pid = Long.toString(host.pid());
            assertThat(launcherList()).containsPattern("(?m)^" + pid + "\\s+no\\s");

            HostProcess.Result attached = HostProcess.launcher("attach", pid, options);
            assertThat(attached.exitCode()).as(attached.output()).isZero();
            assertThat(attached.output()).contains("Tarn agent running in JVM " + pid);
            assertThat(launcherList()).containsPattern("(?m)^" + pid + "\\s+yes\\s");
            // a second attach while it runs is refused, and changes nothing
            HostProcess.Result again = HostProcess.launcher("attach", pid, options);
            assertThat(again.exitCode()).isEqualTo(1);
            assertThat(again.output()).contains("already runs");

            // the host still sees only its own SLF4J, and none of Tarn's classes
            assertThat(host.ping()).contains("slf4j=org.slf4j.helpers.NOPLoggerFactory")
                    .contains("slf4j-api-1.7.36.jar").contains("tarnVisible=false");

            MBeanServerConnection jmx = host.jmx();
            assertThat(jmx.isRegistered(AGENT)).isTrue();
            assertThat(jmx.getAttribute(AGENT, "Version")).isEqualTo(System.getProperty("tarn.agent.version",
                    jmx.getAttribute(AGENT, "Version").toString()));
            assertThat(jmx.getAttribute(AGENT, "Options")).isEqualTo(options);
            assertThat(jmx.getMBeanInfo(AGENT).getOperations()).anySatisfy(op -> {
                assertThat(op.getName()).isEqualTo("shutdown");
                assertThat(op.getDescription()).contains("Exports every pool");
            });

            // create a pool on sparse files under the search path, and force-export it
            Files.createDirectories(devices);
            String a = sparse(devices.resolve("a")), b = sparse(devices.resolve("b"));
            createPool(jmx, "p1", "mirror " + a + " " + b);
            assertThat(jmx.isRegistered(pool("p1"))).isTrue();
            assertThat((String[]) jmx.getAttribute(AGENT, "Pools")).containsExactly("p1");
            jmx.invoke(POOL_MANAGER, "forceExport", new Object[] {"p1"}, new String[] {String.class.getName()});
            await().atMost(Duration.ofSeconds(10)).until(() -> !jmx.isRegistered(pool("p1")));
            assertThat((String[]) jmx.getAttribute(AGENT, "Pools")).isEmpty();

            // devices outside the search paths are refused
            String outside = sparse(dir.resolve("outside"));
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> createPool(jmx, "p0", outside)))
                    .hasStackTraceContaining("outside the search paths");

            // a pool left imported is exported by shutdown() and re-imported by the next start
            createPool(jmx, "p2", sparse(devices.resolve("c")));

            jmx.invoke(AGENT, "shutdown", null, null);
            assertThat(jmx.queryNames(new ObjectName("tarn:*"), null)).isEmpty();
            assertThat(launcherList()).containsPattern("(?m)^" + pid + "\\s+no\\s");
            assertThat(host.isAlive()).isTrue();
            assertThat(host.ping()).contains("slf4j=org.slf4j.helpers.NOPLoggerFactory").contains("tarnVisible=false");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(host.ping())
                    .as("Tarn's threads are gone").contains("tarnThreads=-"));

            // attach again, into the same JVM: a fresh agent, with the cached pool re-imported
            VirtualMachine vm = VirtualMachine.attach(pid);
            try {
                vm.loadAgent(HostProcess.AGENT_JAR.toString(), options);
            } finally {
                vm.detach();
            }
            assertThat(jmx.isRegistered(AGENT)).isTrue();
            assertThat((String[]) jmx.getAttribute(AGENT, "Pools")).containsExactly("p2");
            assertThat(jmx.isRegistered(pool("p2"))).isTrue();
            assertThat(launcherList()).containsPattern("(?m)^" + pid + "\\s+yes\\s");

            jmx.invoke(AGENT, "shutdown", null, null);
            assertThat(jmx.queryNames(new ObjectName("tarn:*"), null)).isEmpty();
            assertThat(host.exit()).as(host.stderr()).isZero();
            assertThat(host.stderr()).doesNotContain("Exception");
        }
    }

    @Test
    void startsWithTheJvmAsJavaagentServingJolokiaAndShutsDown_pos() throws Exception {
        int port;
        int targetPort;
        try (ServerSocket s = new ServerSocket(0); ServerSocket t = new ServerSocket(0)) {
            port = s.getLocalPort();
            targetPort = t.getLocalPort();
        }
        Path state = dir.resolve("state");
        try (HostProcess host = HostProcess.start("-javaagent:" + HostProcess.AGENT_JAR + "=state=" + state
                + ",jolokia=" + port + ",targets=" + targetPort)) {
            String version = httpGet("http://127.0.0.1:" + port + "/jolokia/read/tarn:type=Agent/Version");
            assertThat(version).contains("\"status\":200").contains("\"value\":\"");
            String pools = httpGet("http://127.0.0.1:" + port + "/jolokia/read/tarn:type=PoolManager/SearchPaths");
            assertThat(pools).contains(state.resolve("devices").toString());
            // the agent's Jolokia policy: no access to the JVM's diagnostic commands
            assertThat(httpGet("http://127.0.0.1:" + port
                    + "/jolokia/read/com.sun.management:type=HotSpotDiagnostic/DiagnosticOptions"))
                    .doesNotContain("\"status\":200").contains("403");
            assertThat(host.ping()).contains("slf4j=org.slf4j.helpers.NOPLoggerFactory").contains("tarnVisible=false");
            // storage targets are managed in the agent too, and served to remote clients (targets=PORT)
            assertThat(httpGet("http://127.0.0.1:" + port + "/jolokia/read/tarn:type=TargetManager"))
                    .contains("\"status\":200");
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", targetPort)) {
                s.setSoTimeout(10_000);
                java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
                assertThat(in.readInt()).as("a challenge frame").isGreaterThan(5);
                assertThat(in.readUnsignedByte()).as("its type").isEqualTo(64);
            }
            // the policy lets clients pull notifications (what tarnctl events -f does over Jolokia)
            String base = "http://127.0.0.1:" + port + "/jolokia";
            String registered = httpPost(base, "{\"type\":\"notification\",\"command\":\"register\"}");
            String client = group(registered, "\"id\":\"([^\"]+)\"");
            String store = group(registered, "\"store\":\"([^\"]+)\"");
            String added = httpPost(base, "{\"type\":\"notification\",\"command\":\"add\",\"client\":\"" + client
                    + "\",\"mode\":\"pull\",\"mbean\":\"tarn:type=PoolManager\"}");
            String handle = group(added, "\"value\":\"?([^\",}]+)");
            assertThat(httpPost(base, "{\"type\":\"exec\",\"mbean\":\"" + store + "\",\"operation\":\"pull\","
                    + "\"arguments\":[\"" + client + "\",\"" + handle + "\"]}"))
                    .as("pull allowed by the policy (nothing to pull yet: value null)").contains("\"status\":200");

            MBeanServerConnection jmx = host.jmx();
            jmx.invoke(AGENT, "shutdown", null, null);
            assertThat(jmx.queryNames(new ObjectName("tarn:*"), null)).isEmpty();
            await().atMost(Duration.ofSeconds(10)).until(() -> !listening(port));
            await().atMost(Duration.ofSeconds(10)).until(() -> !listening(targetPort));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(host.ping())
                    .as("Tarn's and Jolokia's threads are gone").contains("tarnThreads=-"));
            assertThat(host.exit()).as(host.stderr()).isZero();
        }
    }

    @Test
    void badOptionsLeaveTheHostRunningWithoutTarn_neg() throws Exception {
        try (HostProcess host = HostProcess.start()) {
            String pid = Long.toString(host.pid());
            HostProcess.Result r = HostProcess.launcher("attach", pid, "colour=blue");
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.output()).contains("did not start");
            assertThat(host.stderr()).contains("unknown agent option 'colour'");
            assertThat(host.jmx().isRegistered(AGENT)).isFalse();
            // and a correct attach afterwards works
            HostProcess.Result ok = HostProcess.launcher("attach", pid, "state=" + dir.resolve("state"));
            assertThat(ok.exitCode()).as(ok.output()).isZero();
            assertThat(host.jmx().isRegistered(AGENT)).isTrue();
            host.jmx().invoke(AGENT, "shutdown", null, null);
            assertThat(host.exit()).isZero();
        }
    }

    @Test
    void launcherExplainsItsUsage_pos() throws Exception {
        HostProcess.Result r = HostProcess.launcher("help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).contains("attach PID").contains("state=DIR").contains("jolokia=PORT");
    }

    @Test
    void launcherRefusesAnUnknownCommand_neg() throws Exception {
        assertThat(HostProcess.launcher("frobnicate").exitCode()).isEqualTo(2);
    }

    private static String launcherList() throws Exception {
        HostProcess.Result r = HostProcess.launcher("list");
        assertThat(r.exitCode()).as(r.output()).isZero();
        return r.output();
    }

    private static void createPool(MBeanServerConnection jmx, String name, String layout) throws Exception {
        jmx.invoke(POOL_MANAGER, "createPool", new Object[] {name, layout, ""},
                new String[] {String.class.getName(), String.class.getName(), String.class.getName()});
    }

    private static String sparse(Path file) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(DEVICE_BYTES);
        }
        return file.toString();
    }

    private static ObjectName pool(String name) {
        return name("tarn:type=Pool,name=" + ObjectName.quote(name));
    }

    private static ObjectName name(String text) {
        try {
            return new ObjectName(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return s.isConnected();
        } catch (Exception e) {
            return false;
        }
    }

    private static String httpPost(String url, String json) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(10000);
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        try (var out = c.getOutputStream()) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        }
        int code = c.getResponseCode();
        try (var in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
            return "HTTP " + code + " " + (in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static String group(String text, String regex) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("/%s/ in %s", regex, text).isTrue();
        return m.group(1);
    }

    /** GET, waiting (up to 20 s) for the agent's Jolokia to accept connections. */
    private static String httpGet(String url) {
        java.util.concurrent.atomic.AtomicReference<String> response = new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).ignoreException(java.net.ConnectException.class).until(() -> {
            HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(10000);
            int code = c.getResponseCode();
            try (var in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
                response.set("HTTP " + code + " " + (in == null ? "" : new String(in.readAllBytes(),
                        StandardCharsets.UTF_8)));
            }
            return true;
        });
        return response.get();
    }

}
