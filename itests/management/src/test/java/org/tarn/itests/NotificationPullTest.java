package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tarn.dist.ServerFixture;

/**
 * PoolManager notifications through Jolokia's notification pull mode: register
 * a client, subscribe to {@code tarn:type=PoolManager}, force-export a pool,
 * and pull {@code tarn.pool.force-exported} from
 * {@code jolokia:type=NotificationStore}. Pulling is an exec on a Jolokia
 * MBean, which the server's bundled policy does not allow, so this test runs
 * the server with that policy plus the pull operation.
 */
class NotificationPullTest {
    private static final String MANAGER = "tarn:type=PoolManager";

    private Path data;
    private ServerFixture server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        TestFiles.deleteTree(data);
    }

    private static JsonNode ok(JolokiaHttp.Response r) {
        assertThat(r.status()).as("Jolokia status of %s", r.body()).isEqualTo(200);
        return r.value();
    }

    /** Pulls a subscription until a notification of {@code type} arrived; returns everything pulled. */
    private static List<JsonNode> pull(JolokiaHttp jolokia, String store, String client, String handle, String type) {
        List<JsonNode> pulled = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            JsonNode result = ok(jolokia.exec(store, "pull", client, handle));
            result.path("notifications").forEach(pulled::add);
            assertThat(pulled).extracting(n -> n.path("type").asText()).contains(type);
        });
        return pulled;
    }

    @Test
    void force_export_is_pulled_as_a_notification_pos() throws Exception {
        data = Files.createTempDirectory("tarn-notif");
        Files.createDirectories(data);
        Path policy = data.resolve("jolokia-access-with-pull.xml");
        try (InputStream in = NotificationPullTest.class.getResourceAsStream("/jolokia-access-with-pull.xml")) {
            Files.copy(in, policy, StandardCopyOption.REPLACE_EXISTING);
        }
        server = ServerFixture.start(data, false, true, "jolokia.policy=" + policy + "\n");
        JolokiaHttp jolokia = new JolokiaHttp(server.jolokiaUrl());
        JmxSchemas schemas = new JmxSchemas();

        JsonNode registered = ok(jolokia.post(JolokiaHttp.JSON.createObjectNode().put("type", "notification")
                .put("command", "register")));
        String client = registered.path("id").asText();
        assertThat(client).isNotEmpty();
        assertThat(registered.path("backend").has("pull")).as("pull backend offered: %s", registered).isTrue();
        String store = registered.path("backend").path("pull").path("store").asText("jolokia:type=NotificationStore");
        ObjectNode add = JolokiaHttp.JSON.createObjectNode().put("type", "notification").put("command", "add")
                .put("client", client).put("mode", "pull").put("mbean", MANAGER);
        String handle = ok(jolokia.post(add)).asText();
        assertThat(handle).isNotEmpty();

        List<String> d = server.newDevices("notif", 1);
        ok(jolokia.exec(MANAGER, "createPool", "notif", d.get(0), ""));
        String pool = "tarn:type=Pool,name=\"notif\"";
        String targetManager = "tarn:type=TargetManager";
        String poolHandle = ok(jolokia.post(add.deepCopy().put("mbean", pool))).asText();
        String managerHandle = ok(jolokia.post(add.deepCopy().put("mbean", targetManager))).asText();
        ok(jolokia.exec(targetManager, "createTarget", "notif", "t0", "OST"));
        String target = "tarn:type=Target,pool=\"notif\",name=\"t0\"";
        String targetHandle = ok(jolokia.post(add.deepCopy().put("mbean", target))).asText();
        ok(jolokia.exec(MANAGER, "forceExport", "notif"));

        List<JsonNode> pulled = pull(jolokia, store, client, handle, "tarn.pool.force-exported");
        JsonNode forced = pulled.stream().filter(n -> n.path("type").asText().equals("tarn.pool.force-exported"))
                .findFirst().orElseThrow();
        assertThat(forced.path("userData").path("pool").asText()).isEqualTo("notif");
        assertThat(forced.path("userData").path("time").asText()).endsWith("Z");
        assertThat(pulled).extracting(n -> n.path("type").asText()).contains("tarn.pool.created");
        for (JsonNode n : pulled) {
            schemas.assertValid(JmxSchemas.notificationFile("PoolManager"), n);
        }
        // the Pool MBean's own notifications: its last event arrived before it went away
        List<JsonNode> ofPool = pull(jolokia, store, client, poolHandle, "tarn.pool.force-exported");
        for (JsonNode n : ofPool) {
            schemas.assertValid(JmxSchemas.notificationFile("Pool"), n);
        }
        List<JsonNode> ofTargets = pull(jolokia, store, client, managerHandle, "tarn.target.failed");
        assertThat(ofTargets).extracting(n -> n.path("type").asText())
                .containsSubsequence("tarn.target.mounted", "tarn.target.failed");
        for (JsonNode n : ofTargets) {
            schemas.assertValid(JmxSchemas.notificationFile("TargetManager"), n);
        }
        List<JsonNode> ofTarget = pull(jolokia, store, client, targetHandle, "tarn.target.failed");
        for (JsonNode n : ofTarget) {
            schemas.assertValid(JmxSchemas.notificationFile("Target"), n);
            assertThat(n.path("userData").path("target").asText()).isEqualTo("t0");
        }

        // Jolokia 2.6's unregister of a client with several subscriptions fails (ConcurrentModificationException):
        // remove them one by one first (those of MBeans already gone may fail, which is fine)
        for (String h : List.of(targetHandle, poolHandle, managerHandle, handle)) {
            jolokia.post(JolokiaHttp.JSON.createObjectNode().put("type", "notification").put("command", "remove")
                    .put("client", client).put("handle", h));
        }
        ok(jolokia.post(JolokiaHttp.JSON.createObjectNode().put("type", "notification").put("command", "unregister")
                .put("client", client)));
    }
}
