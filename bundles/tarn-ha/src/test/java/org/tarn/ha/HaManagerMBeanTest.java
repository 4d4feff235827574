package org.tarn.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;

import org.jolokia.jvmagent.JolokiaServer;
import org.jolokia.jvmagent.JolokiaServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.VdevLayout;
import org.tarn.jmx.ObjectNames;
import org.tarn.vdev.file.FileVdevDriver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

/**
 * {@code tarn:type=HaManager} as JConsole and Jolokia see it: every
 * attribute, operation and parameter described; live Jolokia responses of a
 * two-server cluster valid against {@code jmx-schemas/ha-manager.*}, by the
 * rules SchemaContractTest applies to the server's MBeans; bad input refused
 * with a message.
 */
class HaManagerMBeanTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCHEMAS = Path.of(System.getProperty("tarn.jmx.schemas", "../../jmx-schemas"));

    @TempDir
    Path dir;
    private Ensemble zk;
    private TarnNode a;
    private TarnNode b;
    private MBeanServer mbs;
    private HaMBeans mbean;
    private JolokiaServer jolokia;
    private String url;
    private final HttpClient http = HttpClient.newHttpClient();
    private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    @BeforeEach
    void start() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        zk = new Ensemble(dir.resolve("zk"));
        a = TarnNode.start("a", dir.resolve("a"), shared, zk.connectString(), 3_000);
        b = TarnNode.start("b", dir.resolve("b"), shared, zk.connectString(), 3_000);
        await().atMost(Duration.ofSeconds(20)).until(() -> a.ha.connected() && a.ha.servers().size() == 2);
        Path d0 = FileVdevDriver.createSparseFile(shared.resolve("m-0"), 32L << 20);
        Path d1 = FileVdevDriver.createSparseFile(shared.resolve("m-1"), 32L << 20);
        a.engine.createPool("mover", VdevLayout.parse("mirror " + d0 + " " + d1), Map.of(), false);
        mbs = ManagementFactory.getPlatformMBeanServer();
        mbean = HaMBeans.register(a.ha, zk.connectString(), mbs);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> cfg = new HashMap<>();
        cfg.put("host", "127.0.0.1");
        cfg.put("port", Integer.toString(port));
        cfg.put("discoveryEnabled", "false");
        jolokia = new JolokiaServer(new JolokiaServerConfig(cfg));
        jolokia.start();
        url = "http://127.0.0.1:" + port + "/jolokia";
    }

    @AfterEach
    void stop() throws Exception {
        if (jolokia != null) {
            jolokia.stop();
        }
        if (mbean != null) {
            mbean.close();
        }
        b.close();
        a.close();
        zk.close();
    }

    private JsonNode post(String json) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private JsonNode exec(String operation, Object... args) throws Exception {
        JsonNode r = post(JSON.writeValueAsString(Map.of("type", "exec", "mbean", "tarn:type=HaManager",
                "operation", operation, "arguments", List.of(args))));
        return r;
    }

    private void assertValid(String file, JsonNode value) throws Exception {
        Schema schema = registry.getSchema(Files.newInputStream(SCHEMAS.resolve(file)));
        assertThat(schema.validate(value)).as("%s against %s", value, file).isEmpty();
    }

    @Test
    void every_attribute_operation_and_parameter_is_described_pos() throws Exception {
        MBeanInfo info = mbs.getMBeanInfo(ObjectNames.haManager());
        assertThat(info.getDescription()).contains("ZooKeeper HA");
        assertThat(info.getAttributes()).extracting(MBeanAttributeInfo::getName).containsExactlyInAnyOrder(
                "ServerId", "Connected", "ConnectString", "Servers", "Pools", "OwnedPools");
        for (MBeanAttributeInfo at : info.getAttributes()) {
            assertThat(at.getDescription()).as(at.getName()).isNotBlank().doesNotContain("exposed for management");
            assertThat(at.isWritable()).isFalse();
        }
        assertThat(info.getOperations()).extracting(MBeanOperationInfo::getName)
                .containsExactlyInAnyOrder("manage", "unmanage", "movePool");
        for (MBeanOperationInfo op : info.getOperations()) {
            assertThat(op.getDescription()).as(op.getName()).isNotBlank().doesNotContain("exposed for management");
            assertThat(op.getImpact()).isEqualTo(MBeanOperationInfo.ACTION);
            for (MBeanParameterInfo p : op.getSignature()) {
                assertThat(p.getName()).doesNotMatch("p\\d+");
                assertThat(p.getDescription()).as(op.getName() + "." + p.getName()).isNotBlank()
                        .isNotEqualTo(p.getName());
            }
        }
        MBeanOperationInfo move = List.of(info.getOperations()).stream()
                .filter(o -> o.getName().equals("movePool")).findFirst().orElseThrow();
        assertThat(move.getSignature()).extracting(MBeanParameterInfo::getName)
                .containsExactly("pool", "server", "timeoutMillis");
    }

    @Test
    void live_jolokia_responses_match_the_schemas_pos() throws Exception {
        JsonNode ok = exec("manage", "mover", "");
        assertThat(ok.path("status").asInt()).as("%s", ok).isEqualTo(200);
        assertValid("ha-manager.exec.manage.json", ok.path("value"));
        JsonNode read = post("{\"type\":\"read\",\"mbean\":\"tarn:type=HaManager\"}");
        assertThat(read.path("status").asInt()).as("%s", read).isEqualTo(200);
        assertValid("ha-manager.read.json", read.path("value"));
        assertThat(read.path("value").path("Pools").path("mover").path("owner").asText()).isEqualTo("a");
        assertThat(read.path("value").path("Servers").path("b").path("leases").asInt()).isZero();

        JsonNode moved = exec("movePool", "mover", "b", 30_000);
        assertThat(moved.path("status").asInt()).as("%s", moved).isEqualTo(200);
        assertValid("ha-manager.exec.movePool.json", moved.path("value"));
        assertThat(moved.path("value").asText()).isEqualTo("b");
        assertThat(b.holds("mover")).isTrue();

        JsonNode unmanaged = exec("unmanage", "mover");
        assertThat(unmanaged.path("status").asInt()).as("%s", unmanaged).isEqualTo(200);
        assertValid("ha-manager.exec.unmanage.json", unmanaged.path("value"));

        // every attribute and operation has its schema, and every ha-manager schema its counterpart
        JsonNode list = post("{\"type\":\"list\",\"path\":\"tarn/type=HaManager\"}").path("value");
        TreeSet<String> expected = new TreeSet<>();
        expected.add("ha-manager.read.json");
        list.path("op").fieldNames().forEachRemaining(op -> expected.add("ha-manager.exec." + op + ".json"));
        TreeSet<String> files = new TreeSet<>();
        try (var s = Files.list(SCHEMAS)) {
            s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith("ha-manager.")).forEach(files::add);
        }
        assertThat(files).isEqualTo(expected);
        TreeSet<String> attributes = new TreeSet<>();
        list.path("attr").fieldNames().forEachRemaining(attributes::add);
        TreeSet<String> required = new TreeSet<>();
        JSON.readTree(SCHEMAS.resolve("ha-manager.read.json").toFile()).path("required")
                .forEach(n -> required.add(n.asText()));
        assertThat(required).isEqualTo(attributes);
    }

    @Test
    void bad_input_is_refused_with_an_operator_message_neg() throws Exception {
        JsonNode badTimeout = exec("movePool", "mover", "b", 5);
        assertThat(badTimeout.path("status").asInt()).isNotEqualTo(200);
        assertThat(badTimeout.path("error_type").asText()).isEqualTo("java.lang.IllegalArgumentException");
        assertThat(badTimeout.path("error").asText()).startsWith("TARN-1 ").contains("timeoutMillis");
        JsonNode unknown = exec("unmanage", "nothere");
        assertThat(unknown.path("error").asText()).contains("TARN-2").contains("not managed");
        JsonNode forced = exec("manage", "mover", "force=true");
        assertThat(forced.path("error").asText()).contains("must not force");
        assertThat(a.ha.pools()).isEmpty();
    }
}
