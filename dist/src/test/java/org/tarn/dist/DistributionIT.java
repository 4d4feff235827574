package org.tarn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tar.gz distribution as an operator gets it: its layout, bin/tarn-server and bin/tarnctl. */
class DistributionIT {
    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private Distribution dist;

    @BeforeEach
    void unpack() throws Exception {
        dist = Distribution.unpack(dir, "tarn");
    }

    @AfterEach
    void stop() {
        dist.close();
    }

    @Test
    void layout_has_scripts_config_runtime_jars_only_and_a_systemd_unit_pos() throws IOException {
        Path home = dist.home;
        for (String script : List.of("tarn-server", "tarnctl")) {
            assertThat(Files.getPosixFilePermissions(home.resolve("bin").resolve(script)))
                    .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
        }
        assertThat(home.resolve("etc/jolokia-access.xml")).isRegularFile();
        assertThat(home.resolve("lib/cli/tarn-cli.jar")).isRegularFile();
        assertThat(home.resolve("lib/agent/tarn-agent.jar")).isRegularFile();
        assertThat(Files.readString(home.resolve("systemd/tarn-server.service")))
                .contains("ExecStart=/opt/tarn/bin/tarn-server --data /var/lib/tarn", "KillSignal=SIGTERM");
        // etc/tarn.properties: every key, commented out with its default, so the file itself changes nothing
        String etc = Files.readString(home.resolve("etc/tarn.properties"));
        for (ServerConfig.Key k : ServerConfig.KEYS) {
            assertThat(etc).contains("\n#" + k.name() + "=" + k.defaultValue() + "\n");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(home.resolve("etc/tarn.properties"))) {
            p.load(r);
        }
        assertThat(p).isEmpty();
        // lib/: the server's runtime only, no test libraries in any jar
        List<Path> jars;
        try (Stream<Path> s = Files.walk(home.resolve("lib"))) {
            jars = s.filter(f -> f.toString().endsWith(".jar")).toList();
        }
        assertThat(jars.stream().map(j -> home.relativize(j).toString()))
                .containsExactlyInAnyOrder("lib/tarn-dist-" + System.getProperty("tarn.version") + ".jar",
                        // the launcher's ObjectNames (org.tarn.jmx.ObjectNames); the MBeans are the bundle's
                        "lib/tarn-jmx-" + System.getProperty("tarn.version") + ".jar",
                        "lib/org.apache.felix.framework-7.0.5.jar", "lib/jolokia-agent-jvm-2.6.0-javaagent.jar",
                        "lib/slf4j-api-2.0.20.jar", "lib/slf4j-simple-2.0.20.jar", "lib/cli/tarn-cli.jar",
                        "lib/agent/tarn-agent.jar");
        for (Path jar : jars) {
            try (JarFile j = new JarFile(jar.toFile())) {
                assertThat(j.stream().map(e -> e.getName())
                        .filter(n -> n.matches("(?i).*(junit|assertj|bytebuddy|byte-buddy|awaitility|hamcrest).*")))
                        .as(jar.toString()).isEmpty();
            }
        }
    }

    @Test
    void server_runs_in_the_foreground_and_sigterm_exports_its_pools_pos() throws Exception {
        int jolokia = Distribution.freePort();
        // etc/tarn.properties of this installation gives the ports: bin/tarnctl finds the server through it
        Files.writeString(dist.home.resolve("etc/tarn.properties"), "jolokia.port=" + jolokia + "\njmx.port=0\n"
                + "default.device.bytes=33554432\n", java.nio.file.StandardOpenOption.APPEND);
        Path log = dir.resolve("server.log");
        Process server = dist.start(dir, log, Map.of(), List.of(dist.bin("tarn-server").toString(), "--data",
                "data", "-Dtarn.default.pool=ost9"));
        Distribution.awaitLog(server, log, "Tarn server running", START);
        // exec: the script's process is the JVM itself, so signals reach it
        assertThat(server.toHandle().info().command().orElse("")).endsWith("java");
        assertThat(Files.readString(log)).contains("pools [ost9]", "Jolokia: http://127.0.0.1:" + jolokia);

        Distribution.Result list = dist.run(dir, Map.of(), Duration.ofSeconds(60),
                List.of(dist.bin("tarnctl").toString(), "-H", "list", "-o", "name,health"));
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).isEqualTo("ost9\tONLINE\n");

        assertThat(Distribution.stop(server, Duration.ofSeconds(60))).isEqualTo(143);
        assertThat(Files.readString(log)).contains("Tarn server stopped; exported [ost9]");
        assertThat(dir.resolve("data/state/tarn.cache")).isRegularFile();
    }

    @Test
    void busy_port_is_one_line_naming_the_key_before_any_pool_is_touched_neg() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Distribution.Result r = dist.run(dir, Map.of(), START, List.of(dist.bin("tarn-server").toString(),
                    "--data", "data", "-Dtarn.jmx.port=0", "-Dtarn.jolokia.port=" + busy.getLocalPort()));
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            List<String> errors = r.out().lines().filter(l -> l.startsWith("tarn-server:")).toList();
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0)).contains("jolokia.port=" + busy.getLocalPort(), "cannot listen on 127.0.0.1:"
                    + busy.getLocalPort(), "set jolokia.port");
            assertThat(r.out()).doesNotContain("\tat ", "Exception");
            // nothing was created: no default pool, no engine state
            assertThat(dir.resolve("data/devices/tank-0")).doesNotExist();
            assertThat(dir.resolve("data/state")).doesNotExist();
        }
        int jmx;
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            jmx = busy.getLocalPort();
            Distribution.Result r = dist.run(dir, Map.of(), START, List.of(dist.bin("tarn-server").toString(),
                    "--data", "data", "-Dtarn.jolokia.port=0", "-Dtarn.jmx.port=" + jmx));
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.out()).contains("tarn-server: jmx.port=" + jmx + ": cannot listen on 127.0.0.1:" + jmx)
                    .doesNotContain("\tat ");
            assertThat(dir.resolve("data/devices/tank-0")).doesNotExist();
        }
    }

    @Test
    void unknown_setting_and_argument_are_refused_neg() throws Exception {
        Distribution.Result typo = dist.run(dir, Map.of(), START, List.of(dist.bin("tarn-server").toString(),
                "--data", "data", "-Dtarn.jolokia.prot=1"));
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.out()).startsWith("tarn-server: unknown setting -Dtarn.jolokia.prot; known keys: [hostid,");
        Distribution.Result arg = dist.run(dir, Map.of(), START, List.of(dist.bin("tarn-server").toString(),
                "--frobnicate"));
        assertThat(arg.exit()).isEqualTo(2);
        assertThat(arg.out()).contains("unknown argument '--frobnicate'");
        Distribution.Result help = dist.run(dir, Map.of(), START, List.of(dist.bin("tarn-server").toString(),
                "--help"));
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("usage: tarn-server [--data DIR]", "jolokia.port (8778)");
        assertThat(dir.resolve("data")).doesNotExist();
    }
}
