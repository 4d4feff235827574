package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import javax.rmi.ssl.SslRMIClientSocketFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tarn.cli.TarnCtl;
import org.tarn.dist.ServerConfig;
import org.tarn.dist.ServerFixture;
import org.tarn.jmx.ObjectNames;

/**
 * The server with remote JMX authentication (JDK password and access files)
 * and TLS on the connector and its registry, and Jolokia with basic
 * authentication over HTTPS; a keystore made with keytool. Reached with the
 * plain JDK client (as JConsole would) and with tarnctl.
 */
class SecureServerTest {
    private static final ObjectName MANAGER = ObjectNames.poolManager();
    private static Path data;
    private static TestTls tls;
    private static ServerFixture server;
    private static Path adminPassword;
    private static Path wrongPassword;

    @BeforeAll
    static void start() throws Exception {
        tls = TestTls.get();
        data = Files.createTempDirectory("tarn-secure");
        Path jmxPasswords = TestTls.secretFile(data, "jmx.password", "admin admin-pw\nreader reader-pw\n");
        Path access = data.resolve("jmx.access");
        Files.writeString(access, "admin readwrite\nreader readonly\n");
        Path jolokiaPassword = TestTls.secretFile(data, "jolokia.password", "jolokia-pw\n");
        adminPassword = TestTls.secretFile(data, "admin.pw", "admin-pw\n");
        wrongPassword = TestTls.secretFile(data, "wrong.pw", "not-the-password\n");
        server = ServerFixture.start(data, true, true, "jmx.password.file=" + jmxPasswords + "\n"
                + "jmx.access.file=" + access + "\n"
                + "jmx.ssl=true\njmx.ssl.keystore=" + tls.keystore + "\n"
                + "jmx.ssl.keystore.password=" + TestTls.KEYSTORE_PASSWORD + "\n"
                + "jolokia.user=admin\njolokia.password.file=" + jolokiaPassword + "\njolokia.https=true\n");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        TestFiles.deleteTree(data);
    }

    private static JMXConnector connect(String user, String password, boolean tlsRegistry) throws IOException {
        Map<String, Object> env = new HashMap<>();
        if (user != null) {
            env.put(JMXConnector.CREDENTIALS, new String[] {user, password});
        }
        if (tlsRegistry) {
            env.put("com.sun.jndi.rmi.factory.socket", new SslRMIClientSocketFactory());
        }
        return JMXConnectorFactory.connect(new JMXServiceURL(server.jmxUrl()), env);
    }

    record Run(int exit, String out, String err) {
    }

    private static Run tarnctl(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TarnCtl.run(args, new PrintWriter(out, true), new PrintWriter(err, true), null, env);
        return new Run(code, out.toString(), err.toString());
    }

    private static Map<String, String> trustEnv() {
        return Map.of("TARN_TRUSTSTORE_PASSWORD", TestTls.TRUSTSTORE_PASSWORD);
    }

    private static String[] jmxArgs(String... rest) {
        List<String> all = new ArrayList<>(List.of("--jmx", server.jmxUrl(), "--truststore", tls.truststore.toString()));
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    @Test
    void jmx_with_credentials_over_tls_reads_pools_pos() throws Exception {
        assertThat(server.jmxUrl()).isEqualTo(server.jmxUrl().replace("0.0.0.0", "127.0.0.1")).contains("127.0.0.1");
        try (JMXConnector c = connect("admin", "admin-pw", true)) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();
            assertThat((String[]) mbs.getAttribute(MANAGER, "Pools")).contains("tank");
            mbs.invoke(ObjectNames.pool("tank"), "sync", new Object[0], new String[0]);
        }
    }

    @Test
    void read_only_user_reads_but_cannot_invoke_neg() throws Exception {
        try (JMXConnector c = connect("reader", "reader-pw", true)) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();
            assertThat((String[]) mbs.getAttribute(MANAGER, "Pools")).contains("tank");
            assertThatThrownBy(() -> mbs.invoke(ObjectNames.pool("tank"), "sync", new Object[0], new String[0]))
                    .isInstanceOf(SecurityException.class).hasMessageContaining("Access denied");
        }
    }

    @Test
    void wrong_or_missing_password_is_refused_neg() {
        assertThatThrownBy(() -> connect("admin", "guess", true)).isInstanceOf(SecurityException.class)
                .hasMessageContaining("Invalid username or password");
        assertThatThrownBy(() -> connect("nobody", "admin-pw", true)).isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> connect(null, null, true)).isInstanceOf(SecurityException.class)
                .hasMessageContaining("Credentials required");
    }

    @Test
    void client_without_tls_is_refused_neg() {
        // right credentials, but a plain socket to the TLS registry
        assertThatThrownBy(() -> connect("admin", "admin-pw", false)).isInstanceOf(IOException.class);
    }

    @Test
    void tarnctl_over_jmx_with_credentials_and_truststore_pos() throws Exception {
        Run list = tarnctl(trustEnv(), jmxArgs("--user", "admin", "--password-file", adminPassword.toString(),
                "list", "-H", "-o", "name,health"));
        assertThat(list.exit()).as("%s", list).isZero();
        assertThat(list.out()).isEqualTo("tank\tONLINE\n");
        // TARN_PASSWORD instead of a file
        Map<String, String> env = new HashMap<>(trustEnv());
        env.put("TARN_PASSWORD", "admin-pw");
        Run viaEnv = tarnctl(env, jmxArgs("--user", "admin", "sync", "tank"));
        assertThat(viaEnv.exit()).as("%s", viaEnv).isZero();
    }

    @Test
    void tarnctl_auth_failures_are_one_line_exit_1_neg() {
        Run wrong = tarnctl(trustEnv(), jmxArgs("--user", "admin", "--password-file", wrongPassword.toString(),
                "list"));
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err().lines()).hasSize(1).first().asString()
                .startsWith("cannot connect to " + server.jmxUrl() + ": authentication failed")
                .contains("Invalid username or password");
        Run none = tarnctl(trustEnv(), jmxArgs("list"));
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err().lines()).hasSize(1).first().asString().contains("authentication failed")
                .contains("--user");
        Run plain = tarnctl(Map.of(), "--jmx", server.jmxUrl(), "--user", "admin", "--password-file",
                adminPassword.toString(), "list");
        assertThat(plain.exit()).isEqualTo(1);
        assertThat(plain.err().lines()).hasSize(1).first().asString().startsWith("cannot connect to ")
                .contains("--tls");
        Run noPassword = tarnctl(Map.of(), "--jmx", server.jmxUrl(), "--user", "admin", "list");
        assertThat(noPassword.exit()).isEqualTo(1);
        assertThat(noPassword.err().lines()).hasSize(1).first().asString().contains("--password-file")
                .contains("TARN_PASSWORD");
    }

    @Test
    void tarnctl_over_https_jolokia_with_basic_auth_pos_and_neg() throws Exception {
        assertThat(server.jolokiaUrl()).startsWith("https://");
        Path jolokiaPw = TestTls.secretFile(data, "jolokia-client.pw", "jolokia-pw\n");
        Run list = tarnctl(trustEnv(), "--jolokia", server.jolokiaUrl(), "--truststore", tls.truststore.toString(),
                "--user", "admin", "--password-file", jolokiaPw.toString(), "list", "-H", "-o", "name");
        assertThat(list.exit()).as("%s", list).isZero();
        assertThat(list.out()).isEqualTo("tank\n");
        Run anonymous = tarnctl(trustEnv(), "--jolokia", server.jolokiaUrl(), "--truststore",
                tls.truststore.toString(), "list");
        assertThat(anonymous.exit()).isEqualTo(1);
        assertThat(anonymous.err().lines()).hasSize(1).first().asString().contains("authentication failed (HTTP 401)");
        Run wrong = tarnctl(trustEnv(), "--jolokia", server.jolokiaUrl(), "--truststore", tls.truststore.toString(),
                "--user", "admin", "--password-file", wrongPassword.toString(), "list");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err().lines()).hasSize(1).first().asString().contains("HTTP 401");
    }

    @Test
    void defaults_are_loopback_only_without_authentication_pos() {
        Map<String, String> d = ServerConfig.defaults();
        assertThat(d).containsEntry("jmx.host", "127.0.0.1").containsEntry("jolokia.host", "127.0.0.1")
                .containsEntry("jmx.password.file", "").containsEntry("jmx.ssl", "false")
                .containsEntry("jmx.insecure", "false").containsEntry("jolokia.user", "")
                .containsEntry("jolokia.https", "false");
    }
}
