package org.tarn.ha.ocf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramSocket;
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
 * A real one-node Pacemaker + corosync cluster (on the loopback of a network
 * namespace of its own, with mount and PID namespaces of its own, so a
 * Pacemaker the machine itself runs is never touched) runs {@code
 * ocf:tarn:pool} against a real Tarn server in the same network namespace: the
 * resource starts, its monitors (depth 0 every 2 s, the sync probe every
 * 5 s) pass; then both devices of the pool hang (fault injection, as {@code
 * tarnctl inject hang-writes} does), the multihost heartbeat cannot land and
 * the pool suspends itself; the monitor reports the failure, Pacemaker stops
 * the resource — the clean export cannot sync, so the agent force-exports —
 * and recovers it by a new start (an import at the last synced txg, which
 * opens the device files directly, past the hung fault layer).
 */
class PacemakerClusterTest {
    private static final long DEVICE_BYTES = 32L * 1024 * 1024;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private NetnsPair net;
    private TarnServerProcess server;
    private PacemakerNode node;

    @AfterEach
    void stop() throws Exception {
        if (node != null) {
            node.close();
        }
        if (server != null) {
            server.close();
        }
        if (net != null) {
            net.close();
        }
    }

    static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String primitive(String pool, String jolokiaUrl, String extraParams, String meta) {
        return "<primitive id=\"" + pool + "\" class=\"ocf\" provider=\"tarn\" type=\"pool\">"
                + "<instance_attributes id=\"" + pool + "-ia\">"
                + "<nvpair id=\"" + pool + "-pool\" name=\"pool\" value=\"" + pool + "\"/>"
                + "<nvpair id=\"" + pool + "-url\" name=\"jolokia_url\" value=\"" + jolokiaUrl + "\"/>"
                + "<nvpair id=\"" + pool + "-export-timeout\" name=\"export_timeout\" value=\"3\"/>"
                + "<nvpair id=\"" + pool + "-probe-timeout\" name=\"probe_timeout\" value=\"3\"/>"
                + extraParams + "</instance_attributes>"
                + "<meta_attributes id=\"" + pool + "-meta\">" + meta + "</meta_attributes>"
                + "<operations>"
                + "<op id=\"" + pool + "-mon0\" name=\"monitor\" interval=\"2s\" timeout=\"10s\"/>"
                + "<op id=\"" + pool + "-mon10\" name=\"monitor\" interval=\"5s\" timeout=\"10s\">"
                + "<instance_attributes id=\"" + pool + "-mon10-ia\"><nvpair id=\"" + pool + "-mon10-level\" "
                + "name=\"OCF_CHECK_LEVEL\" value=\"10\"/></instance_attributes></op>"
                + "<op id=\"" + pool + "-start\" name=\"start\" interval=\"0\" timeout=\"60s\"/>"
                + "<op id=\"" + pool + "-stop\" name=\"stop\" interval=\"0\" timeout=\"30s\"/>"
                + "<op id=\"" + pool + "-migrate-to\" name=\"migrate_to\" interval=\"0\" timeout=\"60s\"/>"
                + "<op id=\"" + pool + "-migrate-from\" name=\"migrate_from\" interval=\"0\" timeout=\"60s\"/>"
                + "</operations></primitive>";
    }

    @Test
    void hung_pool_fails_its_monitor_is_force_exported_and_recovered_by_pacemaker_pos() throws Exception {
        Prerequisites.cluster();
        Path shared = Files.createDirectories(dir.resolve("shared"));
        net = NetnsPair.create();
        server = TarnServerProcess.start(dir.resolve("server"), shared, "io.timeout.millis=1000\n",
                List.of("ip", "netns", "exec", net.a), "127.0.0.1", TarnServerProcess.freePort()).inNetns(net.a)
                .awaitUp();
        Path d0 = FileVdevDriver.createSparseFile(shared.resolve("ost1-0"), DEVICE_BYTES);
        Path d1 = FileVdevDriver.createSparseFile(shared.resolve("ost1-1"), DEVICE_BYTES);
        assertThat(server.exec("tarn:type=PoolManager", "createPool", "[\"ost1\",\"mirror fault:" + d0 + " fault:"
                + d1 + "\",\"multihost=on,comment=synced\"]")).contains("\"status\":200");

        node = PacemakerNode.start(dir.resolve("node1"), "node1", net.a, List.<String[]>of(new String[] {"node1",
                "127.0.0.1"}), freeUdpPort(), PacemakerNode.initialCib());
        node.awaitDc(1);
        node.toolOk("cibadmin", "--create", "-o", "resources", "--xml-text", primitive("ost1", server.url, "", ""));
        await().atMost(Duration.ofSeconds(60)).until(() -> node.location("ost1").equals("node1"));
        // the depth 0 and the depth 10 monitor ran and passed
        await().atMost(Duration.ofSeconds(30)).until(() -> node.log().contains("ost1_monitor_5000")
                && node.log().matches("(?s).*Result of monitor operation for ost1 on node1: ok.*"));
        assertThat(node.tool("crm_failcount", "--query", "-r", "ost1", "-N", "node1").out()).contains("value=0");

        long hungAt = System.nanoTime();
        for (Path d : List.of(d0, d1)) {
            assertThat(server.exec("tarn:type=FaultInjection", "hangWrites", "[\"" + d + "\"]"))
                    .contains("\"status\":200");
        }
        // Pacemaker sees the failure, stops (force export) and starts the resource again
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
                node.tool("crm_failcount", "--query", "-r", "ost1", "-N", "node1").out().matches("(?s).*value=[1-9].*")
                        && node.log().contains("Result of start operation for ost1 on node1: ok")
                        && server.read(TarnServerProcess.poolMBean("ost1"), "State").contains("\"value\":\"ACTIVE\"")
                        && node.location("ost1").equals("node1"));
        long recoveredMillis = (System.nanoTime() - hungAt) / 1_000_000;
        System.out.println("PERF pacemaker one-node recovery after a device hang: " + recoveredMillis + " ms");

        String log = node.log();
        // the monitor said why, the stop force-exported (the agent logs into Pacemaker's log), the start imported
        assertThat(log).containsPattern("Result of monitor operation for ost1 on node1: error")
                .containsPattern("pool\\(ost1\\).*(TARN-19|SUSPENDED)")
                .containsPattern("pool\\(ost1\\).*force-exported")
                .contains("Result of stop operation for ost1 on node1: ok")
                .contains("Result of start operation for ost1 on node1: ok");
        String events = server.exec(TarnServerProcess.poolMBean("ost1"), "events", "[]");
        assertThat(events).as(events).contains("imported");
        // the pool came back at its last synced txg, with what was synced before the hang
        assertThat(server.exec(TarnServerProcess.poolMBean("ost1"), "status", "[]")).contains("ONLINE");
        assertThat(server.read(TarnServerProcess.poolMBean("ost1"), "Properties")).contains("synced");
        for (Path d : List.of(d0, d1)) {
            server.exec("tarn:type=FaultInjection", "clear", "[\"" + d + "\"]");
        }
    }
}
