package org.tarn.ha.ocf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Two hosts on one machine: network namespaces {@code a} and {@code b}
 * joined by a veth link carry a two-node corosync ring; each namespace runs
 * its own Pacemaker node (private mount and PID namespaces too) and its own
 * Tarn server, whose Jolokia both agents reach at the same loopback URL, each
 * on its own host. The servers share only the device directory (the shared
 * disk). One pool, {@code ost1} (multihost=on), is the resource, preferring
 * node a, with {@code migration-threshold=1} and {@code allow-migrate=true};
 * no fencing device ({@code peer_fenced} stays false). The test drives:
 * <ol>
 * <li>a device hang on a: the pool suspends, the monitor fails, the stop on
 *     a force-exports it and records the release, the start on b imports it
 *     with force (its labels still name a's host), the record is cleared;</li>
 * <li>a planned move back (after a cleanup): {@code migrate_to} exports
 *     cleanly on b, {@code migrate_from} imports on a without force;</li>
 * <li>SIGKILL of a's Tarn server: the monitor finds no server, the stop
 *     succeeds (nothing holds the pool) and records the release under the
 *     host id the start remembered, and b imports the pool, the multihost
 *     activity check confirming a's heartbeat stopped.</li>
 * </ol>
 * Two servers never hold the pool at once: every step checks both.
 */
class TwoNodeClusterTest {
    private static final long DEVICE_BYTES = 32L * 1024 * 1024;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private NetnsPair net;
    private TarnServerProcess serverA;
    private TarnServerProcess serverB;
    private PacemakerNode nodeA;
    private PacemakerNode nodeB;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {nodeA, nodeB, serverA, serverB, net}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static boolean holds(TarnServerProcess s, String pool) throws Exception {
        return s.read(TarnServerProcess.poolMBean(pool), "State").contains("\"value\":\"ACTIVE\"");
    }

    private static boolean absent(TarnServerProcess s, String pool) throws Exception {
        return s.read(TarnServerProcess.poolMBean(pool), "State").contains("\"status\":404");
    }

    private String released() throws Exception {
        StringBuilder out = new StringBuilder();
        for (String n : List.of("nodea", "nodeb")) {
            PacemakerNode.Result r = nodeA.tool("crm_attribute", "--node", n, "--name", "tarn-released-ost1", "--query",
                    "--quiet", "--lifetime", "forever");
            if (r.exit() == 0) {
                out.append(r.out().trim());
            }
        }
        return out.toString();
    }

    @Test
    void pool_moves_between_two_hosts_on_a_hang_a_planned_move_and_a_sigkill_pos() throws Exception {
        Prerequisites.cluster();
        Path shared = Files.createDirectories(dir.resolve("shared"));
        net = NetnsPair.create();
        int port = TarnServerProcess.freePort();
        String url = "http://127.0.0.1:" + port + "/jolokia";
        serverA = TarnServerProcess.start(dir.resolve("serverA"), shared, "io.timeout.millis=1000\n",
                List.of("ip", "netns", "exec", net.a), "127.0.0.1", port).inNetns(net.a);
        serverB = TarnServerProcess.start(dir.resolve("serverB"), shared, "io.timeout.millis=1000\n",
                List.of("ip", "netns", "exec", net.b), "127.0.0.1", port).inNetns(net.b);
        serverA.awaitUp();
        serverB.awaitUp();
        String hostA = serverA.read("tarn:type=PoolManager", "HostId").replaceAll(".*\"value\":\"([0-9a-f]+)\".*", "$1")
                .trim();

        Path d0 = FileVdevDriver.createSparseFile(shared.resolve("ost1-0"), DEVICE_BYTES);
        Path d1 = FileVdevDriver.createSparseFile(shared.resolve("ost1-1"), DEVICE_BYTES);
        assertThat(serverA.exec("tarn:type=PoolManager", "createPool", "[\"ost1\",\"mirror fault:" + d0 + " fault:"
                + d1 + "\",\"multihost=on,comment=synced-on-a\"]")).contains("\"status\":200");

        List<String[]> ring = List.of(new String[] {"nodea", NetnsPair.ADDRESS_A},
                new String[] {"nodeb", NetnsPair.ADDRESS_B});
        int corosyncPort = PacemakerClusterTest.freeUdpPort();
        nodeA = PacemakerNode.start(dir.resolve("nodea"), "nodea", net.a, ring, corosyncPort, PacemakerNode.initialCib());
        nodeB = PacemakerNode.start(dir.resolve("nodeb"), "nodeb", net.b, ring, corosyncPort, PacemakerNode.initialCib());
        nodeA.awaitDc(2);
        nodeA.toolOk("cibadmin", "--create", "-o", "resources", "--xml-text", PacemakerClusterTest.primitive("ost1", url,
                "", "<nvpair id=\"ost1-mt\" name=\"migration-threshold\" value=\"1\"/>"
                        + "<nvpair id=\"ost1-am\" name=\"allow-migrate\" value=\"true\"/>"
                        + "<nvpair id=\"ost1-stick\" name=\"resource-stickiness\" value=\"0\"/>"));
        nodeA.toolOk("cibadmin", "--create", "-o", "constraints", "--xml-text",
                "<rsc_location id=\"ost1-prefers-a\" rsc=\"ost1\" node=\"nodea\" score=\"100\"/>");
        await().atMost(Duration.ofSeconds(60)).until(() -> nodeA.location("ost1").equals("nodea"));
        assertThat(holds(serverA, "ost1")).isTrue();
        assertThat(absent(serverB, "ost1")).isTrue();

        // 1. the devices hang on a: suspended, stopped by force export, started on b with force
        long hungAt = System.nanoTime();
        for (Path d : List.of(d0, d1)) {
            assertThat(serverA.exec("tarn:type=FaultInjection", "hangWrites", "[\"" + d + "\"]"))
                    .contains("\"status\":200");
        }
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> holds(serverB, "ost1") && nodeA.location("ost1").equals("nodeb"));
        System.out.println("PERF pacemaker two-node failover after a device hang: "
                + (System.nanoTime() - hungAt) / 1_000_000 + " ms");
        assertThat(absent(serverA, "ost1")).isTrue();
        assertThat(nodeA.log()).containsPattern("pool\\(ost1\\).*force-exported")
                .containsPattern("pool\\(ost1\\).*recorded that host id " + hostA);
        assertThat(nodeB.log()).containsPattern("pool\\(ost1\\).*host id " + hostA + " force-exported it in a "
                + "successful stop: importing with force");
        await().atMost(Duration.ofSeconds(20)).until(() -> released().isEmpty());
        assertThat(serverB.read(TarnServerProcess.poolMBean("ost1"), "Properties")).contains("synced-on-a");
        for (Path d : List.of(d0, d1)) {
            serverA.exec("tarn:type=FaultInjection", "clear", "[\"" + d + "\"]");
        }

        // 2. planned move back to a: a live migration, a clean export and an import without force
        nodeA.toolOk("crm_resource", "--cleanup", "--resource", "ost1", "--node", "nodea");
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> holds(serverA, "ost1") && nodeA.location("ost1").equals("nodea"));
        assertThat(absent(serverB, "ost1")).isTrue();
        assertThat(nodeB.log()).contains("Result of migrate_to operation for ost1 on nodeb: ok")
                .containsPattern("pool\\(ost1\\).*exported cleanly");
        assertThat(nodeA.log()).contains("Result of migrate_from operation for ost1 on nodea: ok");
        assertThat(released()).isEmpty();

        // 3. SIGKILL of a's Tarn server: b takes the pool over
        long killedAt = System.nanoTime();
        serverA.kill();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> holds(serverB, "ost1") && nodeA.location("ost1").equals("nodeb"));
        System.out.println("PERF pacemaker two-node failover after SIGKILL of the server: "
                + (System.nanoTime() - killedAt) / 1_000_000 + " ms");
        assertThat(nodeA.log()).containsPattern("pool\\(ost1\\).*no Tarn server runs here")
                .containsPattern("pool\\(ost1\\).*recorded that host id " + hostA);
        assertThat(serverB.read(TarnServerProcess.poolMBean("ost1"), "Properties")).contains("synced-on-a");
    }
}
