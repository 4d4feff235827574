package org.tarn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tarn.cli.CliFixture.Result;
import org.tarn.jmx.ObjectNames;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/**
 * JolokiaBackend against a fake Jolokia: canned JSON answers to read / exec
 * requests (as Jolokia 2 renders Tarn's MBeans) and errors.
 */
class JolokiaBackendTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MANAGER = "tarn:type=PoolManager";
    private static final String TANK = "tarn:name=\"tank\",type=Pool";

    private HttpServer server;
    private String url;
    /** "read MBEAN ATTRIBUTE" or "exec MBEAN OPERATION" to the whole JSON answer. */
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jolokia", exchange -> {
            JsonNode req = JSON.readTree(exchange.getRequestBody());
            requests.add(req);
            String answer;
            if (req.isArray()) {
                StringBuilder all = new StringBuilder("[");
                for (JsonNode r : req) {
                    all.append(all.length() > 1 ? "," : "").append(answer(r));
                }
                answer = all.append("]").toString();
            } else {
                answer = answer(req);
            }
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/other", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort() + "/jolokia";
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** The answer to one request; a read of several attributes, or of a pattern, is put together as Jolokia does. */
    private String answer(JsonNode req) {
        String mbean = req.path("mbean").asText();
        if (req.path("attribute").isArray()) {
            if (mbean.equals("tarn:type=Pool,*")) {
                if (!answers.containsKey("read " + TANK + " Health")) {
                    return notFound(mbean);
                }
                return value("{\"" + TANK.replace("\"", "\\\"") + "\":" + attributes(TANK, req.path("attribute")) + "}");
            }
            if (!answers.containsKey("read " + mbean + " " + req.path("attribute").get(0).asText())) {
                return notFound(mbean);
            }
            return value(attributes(mbean, req.path("attribute")));
        }
        String key = req.path("type").asText() + " " + mbean + " "
                + (req.has("attribute") ? req.path("attribute").asText() : req.path("operation").asText());
        return answers.getOrDefault(key, notFound(mbean));
    }

    private String attributes(String mbean, JsonNode names) {
        StringBuilder out = new StringBuilder("{");
        for (JsonNode a : names) {
            String one = answers.get("read " + mbean + " " + a.asText());
            JsonNode v;
            try {
                v = JSON.readTree(one).path("value");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            out.append(out.length() > 1 ? "," : "").append('"').append(a.asText()).append("\":").append(v);
        }
        return out.append("}").toString();
    }

    private static String notFound(String mbean) {
        return error("javax.management.InstanceNotFoundException",
                "javax.management.InstanceNotFoundException : " + mbean, 404);
    }

    private static String value(String json) {
        return "{\"request\":{},\"value\":" + json + ",\"timestamp\":1700000000,\"status\":200}";
    }

    private static String error(String type, String text, int status) {
        return "{\"request\":{},\"error_type\":\"" + type + "\",\"error\":\"" + text.replace("\"", "\\\"").replace("\n", "\\n")
                + "\",\"status\":" + status + "}";
    }

    private void tankAttributes() {
        answers.put("read " + MANAGER + " Pools", value("[\"tank\"]"));
        answers.put("read " + TANK + " SizeBytes", value("1610612736"));
        answers.put("read " + TANK + " AllocatedBytes", value("402653184"));
        answers.put("read " + TANK + " FreeBytes", value("1207959552"));
        answers.put("read " + TANK + " DirtyBytes", value("0"));
        answers.put("read " + TANK + " SyncedTxg", value("42"));
        answers.put("read " + TANK + " Health", value("\"ONLINE\""));
        answers.put("read " + TANK + " State", value("\"ACTIVE\""));
        answers.put("read " + TANK + " Guid", value("\"18446744073709551615\""));
        answers.put("read " + TANK + " ReadOnly", value("false"));
        answers.put("read " + TANK + " Failmode", value("\"wait\""));
        // Properties is a map: Jolokia renders it flat
        answers.put("read " + TANK + " Properties", value("{\"comment\":\"rack 4\",\"failmode\":\"wait\"}"));
        answers.put("read " + TANK + " PropertySources", value("{\"comment\":\"local\",\"failmode\":\"default\"}"));
    }

    @Test
    void read_and_exec_requests_and_plain_values_pos() {
        tankAttributes();
        answers.put("exec " + MANAGER + " exportPool", value("null"));
        JolokiaBackend b = new JolokiaBackend(url);
        assertThat(b.read(ObjectNames.poolManager(), "Pools")).isEqualTo(List.of("tank"));
        assertThat(b.read(ObjectNames.pool("tank"), "SizeBytes")).isEqualTo(1610612736L);
        assertThat(Values.map(b.read(ObjectNames.pool("tank"), "Properties")))
                .containsExactly(Map.entry("comment", "rack 4"), Map.entry("failmode", "wait"));
        assertThat(b.exec(ObjectNames.poolManager(), "exportPool", "tank", true)).isNull();

        JsonNode read = requests.get(0);
        assertThat(read.path("type").asText()).isEqualTo("read");
        assertThat(read.path("mbean").asText()).isEqualTo(MANAGER);
        assertThat(read.path("attribute").asText()).isEqualTo("Pools");
        JsonNode exec = requests.get(requests.size() - 1);
        assertThat(exec.path("type").asText()).isEqualTo("exec");
        assertThat(exec.path("operation").asText()).isEqualTo("exportPool");
        assertThat(exec.path("arguments").get(0).asText()).isEqualTo("tank");
        assertThat(exec.path("arguments").get(1).isBoolean()).isTrue();
    }

    @Test
    void table_rows_keyed_by_index_without_the_index_item_pos() {
        Object table = JolokiaBackend.plain(JSON.valueToTree(Map.of("123", Map.of("name", "tank"))));
        assertThat(Values.rows(table, "guid")).containsExactly(Map.of("guid", "123", "name", "tank"));
    }

    @Test
    void list_get_and_status_through_jolokia_pos() {
        tankAttributes();
        answers.put("exec " + TANK + " status", value("\"  pool: tank\\n state: ONLINE\\n\""));
        Result list = CliFixture.runWith(null, "--jolokia", url, "list");
        assertThat(list.exit()).as(list.toString()).isZero();
        // one HTTP request: a bulk read of the manager's pool list and every pool's attributes
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).isArray()).isTrue();
        assertThat(list.outLines()).hasSize(2);
        assertThat(list.outLines().get(1).split("\\s+")).containsExactly("tank", "1.5G", "384M", "1.13G", "25%", "0B",
                "42", "ONLINE");
        Result exact = CliFixture.runWith(null, "--jolokia", url, "list", "-Hp");
        assertThat(exact.out()).isEqualTo("tank\t1610612736\t402653184\t1207959552\t25\t0\t42\tONLINE\n");
        Result get = CliFixture.runWith(null, "--jolokia", url, "get", "-H", "comment,guid,failmode", "tank");
        assertThat(get.out()).isEqualTo("tank\tcomment\track 4\tlocal\ntank\tguid\t18446744073709551615\t-\n"
                + "tank\tfailmode\twait\tdefault\n");
        Result status = CliFixture.runWith(null, "--jolokia", url, "status", "tank");
        assertThat(status.out()).isEqualTo("  pool: tank\n state: ONLINE\n");
    }

    @Test
    void import_listing_through_jolokia_pos() {
        answers.put("read " + MANAGER + " SearchPaths", value("[]"));
        answers.put("exec " + MANAGER + " importablePools", value("{\"123\":{\"guid\":\"123\",\"name\":\"tank\","
                + "\"state\":\"EXPORTED\",\"host\":\"h1 (hostid 0000abcd)\",\"txg\":7,\"lastWritten\":"
                + "\"2025-01-01T00:00:00Z\",\"importable\":true,\"problems\":\"\",\"devices\":\"/d0 ONLINE\"}}"));
        Result r = CliFixture.runWith(null, "--jolokia", url, "import", "-d", "/nonexistent-dir");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("   pool: tank", "     id: 123", "  state: EXPORTED", "   host: h1 (hostid 0000abcd)",
                "devices: /d0 ONLINE");
        JsonNode exec = requests.get(requests.size() - 1);
        assertThat(exec.path("arguments").get(0).asText()).isEqualTo("/nonexistent-dir");
    }

    @Test
    void remote_errors_are_one_line_neg() {
        answers.put("exec " + MANAGER + " exportPool", error("java.lang.IllegalArgumentException",
                "java.lang.IllegalArgumentException : TARN-2 no pool named 'nope' is imported here", 400));
        Result export = CliFixture.runWith(null, "--jolokia", url, "export", "nope");
        assertThat(export.exit()).isEqualTo(1);
        assertThat(export.errLines())
                .containsExactly("cannot export 'nope': TARN-2 no pool named 'nope' is imported here");

        // an unregistered pool MBean reads as the engine's TARN-2
        Result status = CliFixture.runWith(null, "--jolokia", url, "status", "nope");
        assertThat(status.exit()).isEqualTo(1);
        assertThat(status.errLines()).containsExactly("cannot open 'nope': TARN-2 no pool named 'nope' is imported here");

        // no engine behind the agent
        Result list = CliFixture.runWith(null, "--jolokia", url, "list");
        assertThat(list.exit()).isEqualTo(1);
        assertThat(list.errLines()).hasSize(1).first().asString().startsWith("no Tarn engine at " + url);

        answers.put("exec " + TANK + " setProperty", error("java.lang.IllegalStateException",
                "java.lang.IllegalStateException : TARN-18 pool 'tank' is read-only\nsecond line", 500));
        Result set = CliFixture.runWith(null, "--jolokia", url, "set", "comment=x", "tank");
        assertThat(set.errLines()).containsExactly("cannot set property for 'tank': TARN-18 pool 'tank' is read-only "
                + "second line");

        Throwable notJolokia = catchThrowable(() -> new JolokiaBackend(url.replace("/jolokia", "/other"))
                .read(ObjectNames.poolManager(), "Pools"));
        assertThat(notJolokia).isInstanceOf(CliException.class).hasMessageContaining("HTTP 404");
        assertThat(catchThrowable(() -> new JolokiaBackend("ftp://x"))).isInstanceOf(CliException.class);
    }
}
