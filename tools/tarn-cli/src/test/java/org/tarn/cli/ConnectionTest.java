package org.tarn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.cli.CliFixture.Result;

/** The real connection paths: --jmx SERVICE_URL, --pid (attach), and failures to connect. */
class ConnectionTest {
    @TempDir
    Path dir;

    @Test
    void jmx_service_url_pos() throws Exception {
        try (CliFixture fx = new CliFixture(dir)) {
            List<String> d = fx.devices(1);
            JMXConnectorServer cs = JMXConnectorServerFactory.newJMXConnectorServer(
                    new JMXServiceURL("service:jmx:rmi://127.0.0.1"), null, fx.server);
            cs.start();
            try {
                String url = cs.getAddress().toString();
                Result create = CliFixture.runWith(null, "--jmx", url, "create", "tank", d.get(0));
                assertThat(create.exit()).as(create.toString()).isZero();
                Result list = CliFixture.runWith(null, "--jmx", url, "list", "-H", "-o", "name,health");
                assertThat(list.out()).isEqualTo("tank\tONLINE\n");
                // global options before or after the subcommand, scripted flags before it
                Result after = CliFixture.runWith(null, "-H", "list", "-o", "name,health", "--jmx", url);
                assertThat(after.out()).as(after.toString()).isEqualTo("tank\tONLINE\n");
                Result missing = CliFixture.runWith(null, "--jmx", url, "status", "nope");
                assertThat(missing.exit()).isEqualTo(1);
                assertThat(missing.errLines()).hasSize(1).first().asString().contains("TARN-2");
            } finally {
                cs.stop();
            }
        }
    }

    @Test
    void pid_attach_to_this_jvm_pos() throws Exception {
        // the platform MBeanServer, reached through the attach API (surefire sets jdk.attach.allowAttachSelf)
        try (CliFixture fx = new CliFixture(dir, ManagementFactory.getPlatformMBeanServer())) {
            List<String> d = fx.devices(1);
            String pid = Long.toString(ProcessHandle.current().pid());
            Result create = CliFixture.runWith(null, "--pid", pid, "create", "tank", d.get(0));
            assertThat(create.exit()).as(create.toString()).isZero();
            Result list = CliFixture.runWith(null, "--pid", pid, "list", "-H", "-o", "name,health");
            assertThat(list.out()).as(list.toString()).isEqualTo("tank\tONLINE\n");
        }
    }

    @Test
    void connection_failures_are_one_line_exit_1_neg() {
        Result jmx = CliFixture.runWith(null, "--jmx", "127.0.0.1:1", "list");
        assertThat(jmx.exit()).isEqualTo(1);
        assertThat(jmx.errLines()).hasSize(1).first().asString()
                .startsWith("cannot connect to service:jmx:rmi:///jndi/rmi://127.0.0.1:1/jmxrmi: ");
        Result pid = CliFixture.runWith(null, "--pid", "999999999", "list");
        assertThat(pid.exit()).isEqualTo(1);
        assertThat(pid.errLines()).hasSize(1).first().asString().startsWith("cannot attach to process 999999999");
        Result jolokia = CliFixture.runWith(null, "--jolokia", "http://127.0.0.1:1/jolokia", "list");
        assertThat(jolokia.exit()).isEqualTo(1);
        assertThat(jolokia.errLines()).hasSize(1).first().asString()
                .startsWith("cannot reach Jolokia at http://127.0.0.1:1/jolokia/");
        // the default Jolokia URL from $TARN_JOLOKIA (bin/tarnctl sets it from etc/tarn.properties)
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int exit = TarnCtl.run(new String[] {"list"}, new java.io.PrintWriter(out), new java.io.PrintWriter(err), null,
                java.util.Map.of(TarnCtl.JOLOKIA_ENV, "http://127.0.0.1:2/jolokia"));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).startsWith("cannot reach Jolokia at http://127.0.0.1:2/jolokia/");
        Result badUrl = CliFixture.runWith(null, "--jmx", "service:nonsense", "list");
        assertThat(badUrl.exit()).isEqualTo(1);
        assertThat(badUrl.errLines()).hasSize(1);
    }

    @Test
    void human_sizes_pos() {
        assertThat(Sizes.bytes(0, false)).isEqualTo("0B");
        assertThat(Sizes.bytes(512, false)).isEqualTo("512B");
        assertThat(Sizes.bytes(64L << 20, false)).isEqualTo("64M");
        assertThat(Sizes.bytes(3L << 29, false)).isEqualTo("1.5G");
        assertThat(Sizes.bytes((long) (9.94 * (1L << 30)), false)).isEqualTo("9.94G");
        assertThat(Sizes.bytes(464L * (1L << 30) + 12345, false)).isEqualTo("464G");
        assertThat(Sizes.bytes(1023L * 1024 + 1000, false)).isEqualTo("1024K");
        assertThat(Sizes.bytes(123456789, true)).isEqualTo("123456789");
        assertThat(Sizes.capacity(25, 100, false)).isEqualTo("25%");
        assertThat(Sizes.capacity(25, 100, true)).isEqualTo("25");
    }
}
