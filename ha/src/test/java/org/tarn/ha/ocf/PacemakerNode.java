package org.tarn.ha.ocf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One real Pacemaker + corosync cluster node, started by {@code
 * ha/test/pcmk-node} in mount and PID namespaces of its own (and, when
 * given, a network namespace made with {@code ip netns}): its CIB, logs,
 * {@code /run}, {@code /dev/shm} and the OCF agent directory (holding only
 * {@code tarn/pool}, this checkout's agent) are private, so nodes never share
 * state with each other or with a Pacemaker of the machine. Closing it kills
 * the PID namespace and with it every daemon and agent of the node.
 */
final class PacemakerNode implements AutoCloseable {
    static final Path NODE_SCRIPT = Path.of(System.getProperty("tarn.ocf.node.script", "test/pcmk-node"));

    final String name;
    final Path dir;
    final String netns;
    private final Process process;
    private final long initPid;

    record Result(int exit, String out) {
    }

    private PacemakerNode(String name, Path dir, String netns, Process process, long initPid) {
        this.name = name;
        this.dir = dir;
        this.netns = netns;
        this.process = process;
        this.initPid = initPid;
    }

    /**
     * Writes the node's corosync.conf (every node of {@code ring}: name and
     * address, on UDP port {@code port}) and an initial CIB, and starts it.
     */
    static PacemakerNode start(Path dir, String name, String netns, List<String[]> ring, int port, String cibXml)
            throws Exception {
        Files.createDirectories(dir.resolve("resource.d/tarn"));
        Files.createDirectories(dir.resolve("log"));
        Path agent = dir.resolve("resource.d/tarn/pool");
        Files.deleteIfExists(agent);
        Files.createSymbolicLink(agent, Agent.SCRIPT.toAbsolutePath());
        StringBuilder nodes = new StringBuilder();
        for (int i = 0; i < ring.size(); i++) {
            nodes.append("  node {\n    ring0_addr: ").append(ring.get(i)[1]).append("\n    name: ").append(ring.get(i)[0])
                    .append("\n    nodeid: ").append(i + 1).append("\n  }\n");
        }
        Files.writeString(dir.resolve("corosync.conf"), "totem {\n  version: 2\n  cluster_name: tarntest\n"
                + "  transport: knet\n  crypto_cipher: none\n  crypto_hash: none\n  token: 1000\n"
                + "  interface {\n    linknumber: 0\n    mcastport: " + port + "\n  }\n}\n"
                + "nodelist {\n" + nodes + "}\n"
                + "quorum {\n  provider: corosync_votequorum\n" + (ring.size() == 2 ? "  two_node: 1\n  wait_for_all: 0\n" : "")
                + "}\n"
                + "logging {\n  to_logfile: yes\n  logfile: " + dir.resolve("log/corosync.log") + "\n  to_stderr: no\n"
                + "  to_syslog: no\n  timestamp: on\n}\n");
        Files.writeString(dir.resolve("cib.xml"), cibXml);
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", netns));
        }
        cmd.addAll(List.of("unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "sh",
                NODE_SCRIPT.toAbsolutePath().toString(), dir.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("node.out").toFile())
                .start();
        long[] init = new long[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("node " + name + " ended: " + Files.readString(dir.resolve("node.out")));
            }
            Optional<ProcessHandle> sh = p.toHandle().descendants().filter(h -> h.info().command()
                    .map(c -> c.endsWith("/sh") || c.endsWith("/dash")).orElse(false)).findFirst();
            sh.ifPresent(h -> init[0] = h.pid());
            return sh.isPresent() && Files.exists(dir.resolve("ready"));
        });
        return new PacemakerNode(name, dir, netns, p, init[0]);
    }

    /** A minimal CIB: no fencing (the tests have no fence device), quorum ignored, a fast DC election. */
    static String initialCib() {
        return """
                <cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
                  <configuration>
                    <crm_config>
                      <cluster_property_set id="cib-bootstrap-options">
                        <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="false"/>
                        <nvpair id="opt-no-quorum-policy" name="no-quorum-policy" value="ignore"/>
                        <nvpair id="opt-dc-deadtime" name="dc-deadtime" value="2s"/>
                        <nvpair id="opt-recheck" name="cluster-recheck-interval" value="30s"/>
                      </cluster_property_set>
                    </crm_config>
                    <nodes/>
                    <resources/>
                    <constraints/>
                  </configuration>
                  <status/>
                </cib>
                """;
    }

    /** Runs a Pacemaker tool inside the node's namespaces. */
    Result tool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(initPid), "-m", "-n", "-p", "--"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return new Result(-1, "timed out: " + String.join(" ", args));
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    Result toolOk(String... args) throws IOException, InterruptedException {
        Result r = tool(args);
        assertThat(r.exit()).as("%s: %s", String.join(" ", args), r.out()).isZero();
        return r;
    }

    /** {@code crm_mon -1 -r} as text. */
    String status() throws IOException, InterruptedException {
        return tool("crm_mon", "-1", "-r").out();
    }

    /** Waits until the cluster has elected a DC and sees {@code online} nodes online. */
    void awaitDc(int online) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            String s = status();
            return s.contains("Current DC: node") && !s.contains("Current DC: NONE")
                    && s.matches("(?s).*Online: \\[( \\S+){" + online + "} \\].*");
        });
    }

    /** The node a resource runs on, from {@code crm_resource --locate}; empty when it runs nowhere. */
    String location(String resource) throws IOException, InterruptedException {
        String out = tool("crm_resource", "--resource", resource, "--locate").out();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("is running on: (\\S+)").matcher(out);
        return m.find() ? m.group(1) : "";
    }

    String log() throws IOException {
        Path log = dir.resolve("log/pacemaker.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
