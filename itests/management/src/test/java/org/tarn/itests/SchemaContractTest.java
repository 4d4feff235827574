package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tarn.dist.ServerFixture;

/**
 * Live Jolokia responses of a running Tarn server against {@code jmx-schemas/}:
 * every MBean's {@code read} value, every operation's {@code exec} value, and
 * the schema set against the MBeans' metadata (Jolokia {@code list}), both ways.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SchemaContractTest {
    private static final String MANAGER = "tarn:type=PoolManager";
    private static final String TARGET_MANAGER = "tarn:type=TargetManager";
    private static final String FAULTS = "tarn:type=FaultInjection";

    private Path data;
    private ServerFixture server;
    private JolokiaHttp jolokia;
    private final JmxSchemas schemas = new JmxSchemas();
    /** Operations executed and validated so far, by MBean type. */
    private final Map<String, TreeSet<String>> executed = new HashMap<>();

    @BeforeAll
    void start() throws Exception {
        data = Files.createTempDirectory("tarn-schemas");
        // with the drill MBean, so its schemas are checked too
        server = ServerFixture.start(data, false, true, "fault.injection=true\n");
        jolokia = new JolokiaHttp(server.jolokiaUrl());
        exec(TARGET_MANAGER, "createTarget", "tank", "ost0", "OST");
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        TestFiles.deleteTree(data);
    }

    private static String pool(String name) {
        return "tarn:type=Pool,name=" + ObjectName.quote(name);
    }

    private static String target(String pool, String name) {
        return "tarn:type=Target,pool=" + ObjectName.quote(pool) + ",name=" + ObjectName.quote(name);
    }

    private static String typeOf(String mbean) throws Exception {
        return new ObjectName(mbean).getKeyProperty("type");
    }

    /** The value of a successful response. */
    private static JsonNode ok(JolokiaHttp.Response r) {
        assertThat(r.status()).as("Jolokia status of %s", r.body()).isEqualTo(200);
        return r.value();
    }

    /** Execs an operation, validates its value against its exec schema and returns the value. */
    private JsonNode exec(String mbean, String operation, Object... args) throws Exception {
        String type = typeOf(mbean);
        JsonNode value = ok(jolokia.exec(mbean, operation, args));
        schemas.assertValid(JmxSchemas.execFile(type, operation), value == null ? JolokiaHttp.JSON.nullNode() : value);
        executed.computeIfAbsent(type, t -> new TreeSet<>()).add(operation);
        return value;
    }

    private JsonNode read(String mbean) throws Exception {
        JsonNode value = ok(jolokia.read(mbean));
        schemas.assertValid(JmxSchemas.readFile(typeOf(mbean)), value);
        return value;
    }

    /** Creates a pool on a mirror of two new files under {@code <data>/devices}, through Jolokia. */
    private String createPool(String name) throws Exception {
        List<String> d = server.newDevices(name, 2);
        JsonNode guid = exec(MANAGER, "createPool", name, "mirror " + d.get(0) + " " + d.get(1), "comment=schema");
        return guid.asText();
    }

    private List<String> tarnMBeans() {
        List<String> out = new java.util.ArrayList<>();
        ok(jolokia.search("tarn:*")).forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void every_mbean_read_matches_its_schema_pos() throws Exception {
        createPool("second");
        List<String> mbeans = tarnMBeans();
        assertThat(mbeans).contains(MANAGER, pool("tank"), pool("second"), TARGET_MANAGER, target("tank", "ost0"),
                FAULTS);
        for (String mbean : mbeans) {
            read(mbean);
        }
        // both pools, with their vdev trees and properties, went through pool.read.json
        assertThat(ok(jolokia.read(pool("second"))).path("VdevTree").size()).isEqualTo(4);
    }

    @Test
    void every_exec_result_matches_its_schema_pos() throws Exception {
        String guid = createPool("ops");
        String ops = pool("ops");

        exec(ops, "sync");
        assertThat(exec(ops, "syncWithin", 10_000).asLong()).isPositive();
        exec(ops, "setProperty", "comment", "schema run");
        assertThat(exec(ops, "status").asText()).contains("ops");
        assertThat(exec(ops, "events")).isNotEmpty();
        exec(ops, "clear");

        // device lifecycle: a third side attached, taken offline and back, detached; a side replaced; a vdev added
        List<String> sides = new java.util.ArrayList<>();
        ok(jolokia.read(ops, "VdevTree")).forEach(row -> {
            if (row.path("depth").asInt() == 2) {
                sides.add(row.path("path").asText());
            }
        });
        List<String> fresh = server.newDevices("lifecycle", 3);
        exec(ops, "attach", sides.get(0), fresh.get(0), false);
        exec(ops, "offline", fresh.get(0), true);
        assertThat(read(ops).path("VdevTree").findValuesAsText("state")).contains("OFFLINE");
        exec(ops, "online", fresh.get(0));
        exec(ops, "resilver");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                "finished".equals(ok(jolokia.read(ops, "Scan")).path("state").asText()));
        exec(ops, "detach", fresh.get(0));
        exec(ops, "replace", sides.get(1), fresh.get(1), false);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                !ok(jolokia.read(ops, "VdevTree")).findValuesAsText("path").contains(sides.get(1)));
        exec(ops, "add", fresh.get(2), false);
        JsonNode after = read(ops);
        assertThat(after.path("History").toString()).contains("attach ops").contains("replace ops");
        assertThat(after.path("IoStats").size()).isEqualTo(5); // pool, mirror-0 and its two sides, the added one

        exec(TARGET_MANAGER, "createTarget", "ops", "t1", "MDT");
        String t1 = target("ops", "t1");
        assertThat(exec(t1, "status").asText()).contains("ops/t1");
        assertThat(exec(t1, "abortRecovery").asText()).contains("not recovering");
        server.connectClient("ops", "t1", "client-1");
        exec(t1, "evictClient", "client-1");
        assertThat(ok(jolokia.read(target("ops", "t1"))).path("Clients")).isEmpty();

        exec(MANAGER, "exportPool", "ops", false);
        JsonNode importable = exec(MANAGER, "importablePools", "");
        assertThat(importable.path(guid).path("name").asText()).isEqualTo("ops");
        assertThat(exec(MANAGER, "importPool", "ops", "").asText()).isEqualTo("ops");

        exec(MANAGER, "forceExport", "ops");
        exec(MANAGER, "importPool", guid, "");
        exec(ops, "export");
        exec(MANAGER, "importPool", "ops", "");
        exec(MANAGER, "destroyPool", "ops", false);
        assertThat(exec(MANAGER, "importablePools", "").path(guid).path("state").asText()).isEqualTo("DESTROYED");
        assertThat(exec(MANAGER, "importPool", "ops", "destroyed=true").asText()).isEqualTo("ops");
        exec(ops, "forceExport");
        assertThat(tarnMBeans()).doesNotContain(ops);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                .until(() -> !tarnMBeans().contains(t1));

        // the drill MBean, on the device of a pool of its own (rules are refused for devices no pool has open)
        String spare = "fault:" + server.newDevices("spare", 1).get(0);
        exec(MANAGER, "createPool", "drill", spare, "");
        JolokiaHttp.Response refused = jolokia.exec(FAULTS, "failWrites", "fault:" + server.newDevices("unused", 1)
                .get(0));
        assertThat(refused.status()).isNotEqualTo(200);
        assertThat(refused.body().path("error").asText()).contains("not open through the fault driver");
        exec(FAULTS, "hangWrites", spare);
        assertThat(exec(FAULTS, "hungIo", spare).asInt()).isZero();
        exec(FAULTS, "failWrites", spare);
        exec(FAULTS, "failReads", spare);
        exec(FAULTS, "noSpace", spare);
        exec(FAULTS, "delayIo", spare, 5);
        exec(FAULTS, "clear", spare);
        exec(MANAGER, "forceExport", "drill");

        // a scrub paused, resumed and stopped: on a pool of its own whose device answers slowly
        String slow = "fault:" + server.newDevices("slow", 1).get(0);
        exec(MANAGER, "createPool", "scrubbed", slow, "");
        String scrubbed = pool("scrubbed");
        exec(FAULTS, "delayIo", slow, 1000);
        exec(scrubbed, "scrub");
        exec(scrubbed, "pauseScrub");
        assertThat(ok(jolokia.read(scrubbed, "Scan")).path("state").asText()).isEqualTo("paused");
        exec(scrubbed, "scrub");
        exec(scrubbed, "stopScrub");
        assertThat(read(scrubbed).path("Scan").path("state").asText()).isEqualTo("canceled");
        exec(FAULTS, "clear", slow);
        exec(MANAGER, "forceExport", "scrubbed");

        // every operation the MBeans offer was executed and validated above
        for (String mbean : List.of(MANAGER, pool("tank"), TARGET_MANAGER, target("tank", "ost0"), FAULTS)) {
            String type = typeOf(mbean);
            assertThat(executed.get(type)).as("operations of %s executed", type).isEqualTo(operations(mbean));
        }
    }

    @Test
    void every_attribute_and_operation_has_a_schema_and_every_schema_a_counterpart_pos() throws Exception {
        TreeSet<String> expectedFiles = new TreeSet<>();
        for (String mbean : List.of(MANAGER, pool("tank"), TARGET_MANAGER, target("tank", "ost0"), FAULTS)) {
            String type = typeOf(mbean);
            JsonNode info = ok(jolokia.list(mbean));

            String readFile = JmxSchemas.readFile(type);
            expectedFiles.add(readFile);
            TreeSet<String> attributes = new TreeSet<>();
            info.path("attr").fieldNames().forEachRemaining(attributes::add);
            assertThat(schemas.propertyNames(readFile)).as("attributes described by %s", readFile)
                    .isEqualTo(attributes);
            TreeSet<String> required = new TreeSet<>();
            schemas.document(readFile).path("required").forEach(n -> required.add(n.asText()));
            assertThat(required).as("every attribute of %s is required", readFile).isEqualTo(attributes);
            assertThat(schemas.document(readFile).path("additionalProperties").asBoolean(true))
                    .as("%s refuses unknown attributes", readFile).isFalse();

            for (String op : operations(mbean)) {
                expectedFiles.add(JmxSchemas.execFile(type, op));
            }
            if (info.path("notif").size() > 0) {
                expectedFiles.add(JmxSchemas.notificationFile(type));
            }
        }
        // no operation without a schema, no schema without an operation (or attribute set, or notification)
        // (tarn:type=HaManager belongs to the optional tarn-ha bundle, which the server does not run:
        // HaManagerMBeanTest holds its schemas to the same rules against a live Jolokia)
        TreeSet<String> files = new TreeSet<>(schemas.files());
        files.removeIf(f -> f.startsWith("ha-manager."));
        assertThat(files).isEqualTo(expectedFiles);
    }

    @Test
    void schemas_refuse_values_that_break_the_contract_neg() throws Exception {
        ObjectNode value = (ObjectNode) ok(jolokia.read(pool("tank")));
        String file = JmxSchemas.readFile("Pool");
        schemas.assertValid(file, value);

        assertThat(schemas.errors(file, value.deepCopy().without("Health"))).as("missing attribute").isNotEmpty();
        assertThat(schemas.errors(file, value.deepCopy().put("Bogus", 1))).as("unknown attribute").isNotEmpty();
        assertThat(schemas.errors(file, value.deepCopy().put("State", "MELTING"))).as("bad enum").isNotEmpty();
        assertThat(schemas.errors(file, value.deepCopy().put("SizeBytes", "big"))).as("bad type").isNotEmpty();
        ObjectNode badTree = value.deepCopy();
        ((ObjectNode) badTree.path("VdevTree").elements().next()).remove("checksumErrors");
        assertThat(schemas.errors(file, badTree)).as("vdev row without a counter").isNotEmpty();

        assertThat(schemas.errors(JmxSchemas.execFile("PoolManager", "createPool"), JolokiaHttp.JSON.getNodeFactory().textNode("0x1f")))
                .as("GUIDs are unsigned decimal").isNotEmpty();
        assertThat(schemas.errors(JmxSchemas.execFile("Pool", "sync"), JolokiaHttp.JSON.getNodeFactory().textNode("done")))
                .as("void operations return null").isNotEmpty();
    }

    private TreeSet<String> operations(String mbean) {
        TreeSet<String> ops = new TreeSet<>();
        ok(jolokia.list(mbean)).path("op").fieldNames().forEachRemaining(ops::add);
        return ops;
    }
}
