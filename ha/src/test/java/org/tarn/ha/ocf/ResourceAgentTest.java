package org.tarn.ha.ocf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The resource agent {@code ha/ocf/pool} run action by action, as
 * Pacemaker's executor runs it, against two real Tarn server processes on one
 * shared device directory: A (no authentication; a 1 s device I/O deadline,
 * so hung devices suspend a pool within seconds) and B (Jolokia with a user
 * and a password file, as the agent's credentials parameters expect; a one
 * minute I/O deadline, so a hang stays a hang). Each test makes its own pool.
 * ocf-tester runs against A.
 */
class ResourceAgentTest {
    private static final long DEVICE_BYTES = 32L * 1024 * 1024;

    @TempDir
    static Path dir;
    static Path shared;
    static Path password;
    static TarnServerProcess a;
    static TarnServerProcess b;

    @BeforeAll
    static void servers() throws Exception {
        Prerequisites.agentTools();
        shared = Files.createDirectories(dir.resolve("shared"));
        password = dir.resolve("jolokia.password");
        Files.writeString(password, "s3cret-for-tests\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        a = TarnServerProcess.start(dir.resolve("A"), shared, "io.timeout.millis=1000\n");
        b = TarnServerProcess.start(dir.resolve("B"), shared, "jolokia.user=admin\njolokia.password.file=" + password
                + "\nio.timeout.millis=60000\n");
        a.awaitUp();
        b.withCredentials("admin:s3cret-for-tests").awaitUp();
    }

    @AfterAll
    static void stop() throws Exception {
        for (TarnServerProcess s : new TarnServerProcess[] {a, b}) {
            if (s != null) {
                signal(s.process.toHandle(), "CONT");
                s.close();
            }
        }
    }

    /** Creates a pool on A on a mirror of two new files (through the fault driver when {@code fault}). */
    private static List<String> createOnA(String pool, boolean fault, String properties) throws Exception {
        return create(a, pool, fault, properties);
    }

    private static List<String> create(TarnServerProcess on, String pool, boolean fault, String properties)
            throws Exception {
        Path d0 = FileVdevDriver.createSparseFile(shared.resolve(pool + "-0"), DEVICE_BYTES);
        Path d1 = FileVdevDriver.createSparseFile(shared.resolve(pool + "-1"), DEVICE_BYTES);
        String prefix = fault ? "fault:" : "";
        String r = on.exec("tarn:type=PoolManager", "createPool", "[\"" + pool + "\",\"mirror " + prefix + d0 + " "
                + prefix + d1 + "\",\"" + properties + "\"]");
        assertThat(r).as(r).contains("\"status\":200");
        return List.of(d0.toString(), d1.toString());
    }

    private static void hangWrites(TarnServerProcess s, List<String> devices) throws Exception {
        for (String d : devices) {
            assertThat(s.exec("tarn:type=FaultInjection", "hangWrites", "[\"" + d + "\"]")).contains("\"status\":200");
        }
    }

    private static void clearFaults(TarnServerProcess s, List<String> devices) throws Exception {
        for (String d : devices) {
            assertThat(s.exec("tarn:type=FaultInjection", "clear", "[\"" + d + "\"]")).contains("\"status\":200");
        }
    }

    private static String state(TarnServerProcess s, String pool) throws Exception {
        return s.read(TarnServerProcess.poolMBean(pool), "State");
    }

    private static Agent agentA(String pool) {
        return new Agent(pool, a.url);
    }

    private static Agent agentB(String pool) {
        return new Agent(pool, b.url).with("user", "admin").with("password_file", password.toString());
    }

    @Test
    void ocf_tester_passes_against_a_live_server_pos() throws Exception {
        createOnA("tested", false, "");
        Process p = new ProcessBuilder(Prerequisites.which("ocf-tester"), "-n", "tested", "-o", "pool=tested",
                "-o", "jolokia_url=" + a.url, Agent.SCRIPT.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("passed all tests");
        // whatever state ocf-tester left it in, the pool is still there to start
        assertThat(agentA("tested").run("start", 30_000).exit()).isEqualTo(Agent.SUCCESS);
        assertThat(state(a, "tested")).contains("\"value\":\"ACTIVE\"");
    }

    @Test
    void meta_data_is_valid_against_the_ocf_dtd_and_lists_every_parameter_pos() throws Exception {
        Agent.Run meta = agentA("any").run("meta-data", 5_000);
        assertThat(meta.exit()).isZero();
        for (String param : List.of("pool", "jolokia_url", "user", "password_file", "cacert", "import_options",
                "export_timeout", "force_export_timeout", "probe_timeout", "peer_fenced")) {
            assertThat(meta.out()).contains("<parameter name=\"" + param + "\"");
        }
        assertThat(meta.out()).contains("<action name=\"monitor\"      depth=\"10\"")
                .contains("<action name=\"migrate_to\"");
        Path xml = dir.resolve("meta.xml");
        Files.writeString(xml, meta.out());
        Process lint = new ProcessBuilder("xmllint", "--noout", "--dtdvalid", "/usr/share/resource-agents/ra-api-1.dtd",
                xml.toString()).redirectErrorStream(true).start();
        assertThat(lint.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(lint.exitValue()).as(new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isZero();
        assertThat(agentA("any").run("usage", 5_000).exit()).isZero();
        assertThat(agentA("any").run("promote", 5_000).exit()).isEqualTo(Agent.ERR_UNIMPLEMENTED);
    }

    @Test
    void monitor_maps_imported_exported_and_no_server_pos() throws Exception {
        createOnA("mapped", false, "");
        assertThat(agentA("mapped").run("monitor", 10_000).exit()).isEqualTo(Agent.SUCCESS);
        Agent.Run deep = agentA("mapped").run("monitor", 10_000, Map.of("OCF_CHECK_LEVEL", "10"));
        assertThat(deep.exit()).as("%s", deep).isEqualTo(Agent.SUCCESS);
        Agent.Run stop = agentA("mapped").run("stop", 30_000);
        assertThat(stop.exit()).as("%s", stop).isEqualTo(Agent.SUCCESS);
        assertThat(stop.out()).contains("exported cleanly");
        assertThat(agentA("mapped").run("monitor", 10_000).exit()).isEqualTo(Agent.NOT_RUNNING);
        assertThat(agentA("mapped").run("stop", 10_000).exit()).as("stop is idempotent").isEqualTo(Agent.SUCCESS);
        assertThat(agentA("mapped").run("start", 30_000).exit()).isEqualTo(Agent.SUCCESS);
        assertThat(agentA("mapped").run("start", 30_000).exit()).as("start is idempotent").isEqualTo(Agent.SUCCESS);
        // no process listening: nothing here holds the pool
        Agent nobody = new Agent("mapped", "http://127.0.0.1:" + TarnServerProcess.freePort() + "/jolokia");
        assertThat(nobody.run("monitor", 10_000).exit()).isEqualTo(Agent.NOT_RUNNING);
        assertThat(nobody.run("stop", 10_000).exit()).isEqualTo(Agent.SUCCESS);
        assertThat(nobody.run("start", 10_000).exit()).isEqualTo(Agent.ERR_GENERIC);
    }

    @Test
    void deep_monitor_fails_within_its_probe_timeout_when_devices_hang_neg() throws Exception {
        List<String> devices = create(b, "probed", true, "failmode=wait");
        hangWrites(b, devices);
        b.exec(TarnServerProcess.poolMBean("probed"), "setProperty", "[\"comment\",\"never lands\"]");
        // the pool still says ACTIVE (B's I/O deadline is a minute away): depth 0 cannot see the hang
        assertThat(agentB("probed").run("monitor", 10_000).exit()).isEqualTo(Agent.SUCCESS);
        Agent.Run deep = agentB("probed").with("probe_timeout", "2").run("monitor", 20_000,
                Map.of("OCF_CHECK_LEVEL", "10"));
        assertThat(deep.exit()).as("%s", deep).isEqualTo(Agent.ERR_GENERIC);
        assertThat(deep.out()).contains("TARN-19");
        assertThat(deep.millis()).isLessThan(10_000);

        // stop: the clean export cannot sync, so past export_timeout the pool is force-exported
        Agent.Run stop = agentB("probed").with("export_timeout", "3").run("stop", 30_000);
        assertThat(stop.exit()).as("%s", stop).isEqualTo(Agent.SUCCESS);
        assertThat(stop.out()).contains("force-exported");
        assertThat(stop.millis()).isLessThan(20_000);
        assertThat(agentB("probed").run("monitor", 10_000).exit()).isEqualTo(Agent.NOT_RUNNING);
        clearFaults(b, devices);
    }

    @Test
    void suspended_pool_fails_monitor_and_stop_force_exports_it_pos() throws Exception {
        List<String> devices = createOnA("hung", true, "multihost=on");
        hangWrites(a, devices);
        // the heartbeat cannot land: the pool suspends itself within a few intervals
        await().atMost(Duration.ofSeconds(20)).until(() -> state(a, "hung").contains("SUSPENDED"));
        Agent.Run monitor = agentA("hung").run("monitor", 10_000);
        assertThat(monitor.exit()).as("%s", monitor).isEqualTo(Agent.ERR_GENERIC);
        assertThat(monitor.out()).contains("SUSPENDED");

        Agent.Run stop = agentA("hung").run("stop", 20_000);
        assertThat(stop.exit()).as("%s", stop).isEqualTo(Agent.SUCCESS);
        assertThat(stop.out()).contains("force-exporting").contains("force-exported");
        assertThat(stop.millis()).isLessThan(15_000);
        assertThat(agentA("hung").run("monitor", 10_000).exit()).isEqualTo(Agent.NOT_RUNNING);
        clearFaults(a, devices);

        // B (another host id) refuses the pool A's labels still hold, unless told A was fenced
        Agent.Run refused = agentB("hung").run("start", 30_000);
        assertThat(refused.exit()).as("%s", refused).isEqualTo(Agent.ERR_GENERIC);
        assertThat(refused.out()).contains("TARN-22").contains("peer_fenced");
        Agent.Run forced = agentB("hung").with("peer_fenced", "true").run("start", 60_000);
        assertThat(forced.exit()).as("%s", forced).isEqualTo(Agent.SUCCESS);
        assertThat(agentB("hung").run("monitor", 10_000).exit()).isEqualTo(Agent.SUCCESS);
        assertThat(agentA("hung").run("monitor", 10_000).exit()).isEqualTo(Agent.NOT_RUNNING);
        assertThat(agentB("hung").run("stop", 30_000).exit()).isEqualTo(Agent.SUCCESS);
    }

    @Test
    void actions_never_outlive_their_timeout_on_a_frozen_server_neg() throws Exception {
        createOnA("frozen", false, "");
        assertThat(a.process.toHandle().isAlive()).isTrue();
        ProcessHandle server = a.process.toHandle();
        signal(server, "STOP");
        try {
            Agent.Run monitor = agentA("frozen").run("monitor", 5_000);
            assertThat(monitor.exit()).as("%s", monitor).isEqualTo(Agent.ERR_GENERIC);
            assertThat(monitor.out()).contains("did not answer within the deadline");
            assertThat(monitor.millis()).isLessThan(6_000);
            // a stop that cannot prove the pool gone fails, so the cluster fences instead of importing twice
            Agent.Run stop = agentA("frozen").run("stop", 8_000);
            assertThat(stop.exit()).as("%s", stop).isEqualTo(Agent.ERR_GENERIC);
            assertThat(stop.millis()).isLessThan(10_000);
        } finally {
            signal(server, "CONT");
        }
        // awake again, the server answers; the force export the stop sent may still land (so a stop that gave
        // up is never taken for a release: the cluster fences the node instead)
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            int exit = agentA("frozen").run("monitor", 10_000).exit();
            return exit == Agent.SUCCESS || exit == Agent.NOT_RUNNING;
        });
    }

    private static void signal(ProcessHandle p, String sig) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void credentials_from_the_password_file_pos() throws Exception {
        createOnA("secured", false, "");
        assertThat(agentA("secured").run("stop", 30_000).exit()).isEqualTo(Agent.SUCCESS);
        Agent.Run start = agentB("secured").run("start", 30_000);
        assertThat(start.exit()).as("%s", start).isEqualTo(Agent.SUCCESS);
        assertThat(agentB("secured").run("monitor", 10_000).exit()).isEqualTo(Agent.SUCCESS);
        assertThat(agentB("secured").run("stop", 30_000).exit()).isEqualTo(Agent.SUCCESS);
    }

    @Test
    void wrong_or_missing_credentials_are_refused_neg() throws Exception {
        Path wrong = dir.resolve("wrong.password");
        Files.writeString(wrong, "not-it\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        Agent.Run bad = new Agent("whatever", b.url).with("user", "admin").with("password_file", wrong.toString())
                .run("monitor", 10_000);
        assertThat(bad.exit()).as("%s", bad).isEqualTo(Agent.ERR_GENERIC);
        assertThat(bad.out()).contains("refused the credentials");
        assertThat(new Agent("whatever", b.url).run("monitor", 10_000).out()).contains("refused the credentials");
    }

    @Test
    void validate_all_refuses_bad_parameters_neg() throws Exception {
        assertThat(agentA("ok-pool").run("validate-all", 10_000).exit()).isEqualTo(Agent.SUCCESS);
        assertThat(agentA("9lives").run("validate-all", 10_000).exit()).isEqualTo(Agent.ERR_CONFIGURED);
        assertThat(agentA("").run("validate-all", 10_000).exit()).isEqualTo(Agent.ERR_CONFIGURED);
        assertThat(agentA("p").with("import_options", "dir=/x,force=true").run("validate-all", 10_000).out())
                .contains("peer_fenced");
        assertThat(agentA("p").with("import_options", "force=true").run("validate-all", 10_000).exit())
                .isEqualTo(Agent.ERR_CONFIGURED);
        assertThat(agentA("p").with("jolokia_url", "127.0.0.1:8778").run("validate-all", 10_000).exit())
                .isEqualTo(Agent.ERR_CONFIGURED);
        assertThat(agentA("p").with("export_timeout", "soon").run("validate-all", 10_000).exit())
                .isEqualTo(Agent.ERR_CONFIGURED);
        assertThat(agentA("p").with("peer_fenced", "maybe").run("validate-all", 10_000).exit())
                .isEqualTo(Agent.ERR_CONFIGURED);
        Path open = dir.resolve("open.password");
        Files.writeString(open, "x\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        Agent.Run perm = agentA("p").with("user", "admin").with("password_file", open.toString())
                .run("validate-all", 10_000);
        assertThat(perm.exit()).isEqualTo(Agent.ERR_PERM);
        assertThat(perm.out()).contains("chmod 600");
        assertThat(agentA("p").with("cacert", dir.resolve("none.pem").toString()).run("validate-all", 10_000).exit())
                .isEqualTo(Agent.ERR_INSTALLED);
        // a stop of a resource whose pool name cannot exist succeeds (nothing was started); a start does not
        assertThat(agentA("9lives").run("stop", 10_000).exit()).isEqualTo(Agent.SUCCESS);
        assertThat(agentA("9lives").run("start", 10_000).exit()).isEqualTo(Agent.ERR_CONFIGURED);
    }
}
