package org.tarn.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad security configuration stops the server before anything listens, with
 * a message naming the key and the fix; nothing stays locked or bound.
 */
class SecurityConfigTest {
    @TempDir
    Path data;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private TarnServer server(String extra, String permissions) throws IOException {
        Path props = data.resolve("tarn.properties");
        Files.writeString(props, "jmx.port=" + freePort() + "\njolokia.port=" + freePort()
                + "\ntarget.server.port=0\ndefault.device.bytes=" + (32L * 1024 * 1024) + "\n" + extra);
        Files.setPosixFilePermissions(props, PosixFilePermissions.fromString(permissions));
        return new TarnServer(ServerConfig.load(data, null));
    }

    private void refused(String extra, String... messageParts) throws IOException {
        refusedWith("rw-------", extra, messageParts);
    }

    private void refusedWith(String permissions, String extra, String... messageParts) throws IOException {
        Path firstStart = data.resolve("state").resolve("initialized");
        boolean started = Files.exists(firstStart);
        try (TarnServer s = server(extra, permissions)) {
            assertThatThrownBy(s::start).isInstanceOf(IllegalArgumentException.class)
                    .message().contains(messageParts);
        }
        // refused before the engine started: a first start did not create the default pool
        assertThat(Files.exists(firstStart)).isEqualTo(started);
        // nothing was left behind: the data directory's lock is free again
        try (TarnServer again = server("jmx.port=0\njolokia.port=0\n", "rw-------")) {
            again.start();
        }
    }

    private Path file(String name, String text, String permissions) throws IOException {
        Path f = data.resolve(name);
        Files.writeString(f, text);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(permissions));
        return f;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("keytool: %s", out).isTrue();
    }

    @Test
    void password_file_readable_by_others_is_refused_like_the_jdk_does_neg() throws Exception {
        Path pw = file("jmx.password", "admin secret\n", "rw-r--r--");
        refused("jmx.password.file=" + pw + "\n", "jmx.password.file", pw.toString(), "chmod 600");
    }

    @Test
    void missing_files_are_refused_neg() throws Exception {
        refused("jmx.password.file=" + data.resolve("nope") + "\n", "jmx.password.file", "does not exist");
        Path pw = file("jmx.password", "admin secret\n", "rw-------");
        refused("jmx.password.file=" + pw + "\njmx.access.file=" + data.resolve("no-access") + "\n",
                "jmx.access.file", "does not exist");
        refused("jmx.access.file=" + data.resolve("no-access") + "\n", "jmx.access.file",
                "jmx.password.file is not");
    }

    @Test
    void tls_without_or_with_a_bad_keystore_is_refused_neg() throws Exception {
        refused("jmx.ssl=true\n", "jmx.ssl=true needs jmx.ssl.keystore");
        refused("jmx.ssl=true\njmx.ssl.keystore=" + data.resolve("missing.p12") + "\njmx.ssl.keystore.password=x\n",
                "jmx.ssl.keystore", "does not exist");
        Path ks = data.resolve("server.p12");
        keytool("-genkeypair", "-alias", "tarn", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass",
                "right-password", "-keypass", "right-password");
        refused("jmx.ssl=true\njmx.ssl.keystore=" + ks + "\njmx.ssl.keystore.password=wrong\n",
                "jmx.ssl.keystore", "wrong password");
        // the right password, but in a config file that others can read
        refusedWith("rw-r--r--", "jmx.ssl=true\njmx.ssl.keystore=" + ks + "\njmx.ssl.keystore.password=right-password\n",
                "jmx.ssl.keystore.password", "chmod 600");
        refused("jolokia.https=true\n", "jolokia.https=true needs");
        try (TarnServer ok = server("jmx.ssl=true\njmx.ssl.keystore=" + ks
                + "\njmx.ssl.keystore.password=right-password\n", "rw-------")) {
            ok.start();
            assertThat(ok.jmxUrl()).contains("127.0.0.1");
        }
    }

    @Test
    void non_loopback_jmx_without_authentication_and_tls_is_refused_unless_insecure_neg() throws Exception {
        // 192.0.2.1 is TEST-NET-1: the server refuses before it would bind or send anything
        refused("jmx.host=192.0.2.1\n", "jmx.host=192.0.2.1 is not a loopback address",
                "authentication (jmx.password.file) and TLS (jmx.ssl)", "jmx.insecure=true");
        Path pw = file("jmx.password", "admin secret\n", "rw-------");
        refused("jmx.host=192.0.2.1\njmx.password.file=" + pw + "\n", "no TLS (jmx.ssl)");
    }

    @Test
    void jolokia_user_needs_an_owner_only_password_file_neg() throws Exception {
        refused("jolokia.user=admin\n", "jolokia.user and jolokia.password.file go together");
        Path pw = file("jolokia.password", "secret\n", "rw-rw----");
        refused("jolokia.user=admin\njolokia.password.file=" + pw + "\n", "jolokia.password.file", "chmod 600");
        refused("jmx.ssl=maybe\n", "'jmx.ssl' must be true or false");
    }
}
