package org.tarn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.server.TargetServerSettings;

/** TLS between client and target server: server certificates, client certificates, and their refusals. */
class TlsTest {
    private static final String PW = "changeit";

    @TempDir
    static Path keys;

    @TempDir
    Path dir;

    /** Server key + certificate for 127.0.0.1, a client key + certificate, and truststores for each side. */
    @BeforeAll
    static void makeKeys() throws Exception {
        for (String who : List.of("server", "client", "stranger")) {
            keytool("-genkeypair", "-alias", who, "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                    "-dname", "CN=" + (who.equals("server") ? "127.0.0.1" : who), "-ext",
                    "SAN=ip:127.0.0.1,dns:localhost", "-keystore", keys.resolve(who + ".p12").toString(),
                    "-storetype", "PKCS12", "-storepass", PW, "-keypass", PW);
            keytool("-exportcert", "-rfc", "-alias", who, "-keystore", keys.resolve(who + ".p12").toString(),
                    "-storepass", PW, "-file", keys.resolve(who + ".pem").toString());
        }
        // the client trusts the server; the server trusts the client (not the stranger)
        keytool("-importcert", "-noprompt", "-alias", "server", "-file", keys.resolve("server.pem").toString(),
                "-keystore", keys.resolve("client-trust.p12").toString(), "-storetype", "PKCS12", "-storepass", PW);
        keytool("-importcert", "-noprompt", "-alias", "client", "-file", keys.resolve("client.pem").toString(),
                "-keystore", keys.resolve("server-trust.p12").toString(), "-storetype", "PKCS12", "-storepass", PW);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
    }

    private static TargetServerSettings tlsServer(boolean needClientAuth) {
        return TargetServerSettings.defaults().withTls(new TargetServerSettings.Tls(keys.resolve("server.p12"),
                PW.toCharArray(), keys.resolve("server-trust.p12"), PW.toCharArray(), needClientAuth));
    }

    private static ClientSettings client(Node n, String keystore, String truststore) {
        return ClientSettings.of("ost0", List.of(n.address())).withGiveUpMillis(3_000).withBackoff(20, 200)
                .withTls(new ClientSettings.Tls(truststore == null ? null : keys.resolve(truststore), PW.toCharArray(),
                        keystore == null ? null : keys.resolve(keystore), PW.toCharArray(), true));
    }

    @Test
    void a_client_that_trusts_the_server_certificate_works_over_tls_pos() throws Exception {
        try (Node n = new Node("tls-host", dir, 60_000, tlsServer(false)).createTarget();
             TargetClient c = TargetClients.connect(client(n, null, "client-trust.p12"))) {
            long obj = c.createObject().get();
            c.write(obj, 0, new byte[] {1, 2, 3}).get();
            assertThat(c.read(obj, 0, 3).get()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void client_certificates_are_checked_when_required_pos() throws Exception {
        try (Node n = new Node("tls-host", dir, 60_000, tlsServer(true)).createTarget();
             TargetClient c = TargetClients.connect(client(n, "client.p12", "client-trust.p12"))) {
            assertThat(c.statfs().get()).isZero();
        }
    }

    @Test
    void untrusted_certificates_on_either_side_are_refused_neg() throws Exception {
        try (Node n = new Node("tls-host", dir, 60_000, tlsServer(true)).createTarget()) {
            // the client does not trust the server (the JDK's default truststore does not hold it)
            assertThatThrownBy(() -> TargetClients.connect(client(n, "client.p12", null)))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.TIMED_OUT);
            // the server does not trust the client's certificate, or the client has none
            assertThatThrownBy(() -> TargetClients.connect(client(n, "stranger.p12", "client-trust.p12")))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.TIMED_OUT);
            assertThatThrownBy(() -> TargetClients.connect(client(n, null, "client-trust.p12")))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.TIMED_OUT);
            // plain TCP to a TLS server does not get through either
            assertThatThrownBy(() -> TargetClients.connect(ClientSettings.of("ost0", List.of(n.address()))
                    .withGiveUpMillis(2_000).withBackoff(20, 200))).extracting(e -> ((TarnException) e).code())
                    .isEqualTo(ErrorCode.TIMED_OUT);
            assertThat(n.targets.target("tank", "ost0").orElseThrow().clients()).isEmpty();
        }
    }

    @Test
    void a_wrong_shared_secret_fails_at_once_with_access_denied_neg() throws Exception {
        byte[] secret = "s3cret".getBytes(StandardCharsets.UTF_8);
        try (Node n = new Node("host", dir, 60_000, TargetServerSettings.defaults().withSecret(secret)).createTarget()) {
            ClientSettings s = ClientSettings.of("ost0", List.of(n.address())).withGiveUpMillis(30_000);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> TargetClients.connect(s.withSecret("wrong".getBytes(StandardCharsets.UTF_8))))
                    .hasMessageContaining("TARN-27").extracting(e -> ((TarnException) e).code())
                    .isEqualTo(ErrorCode.ACCESS_DENIED);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(10_000);
            try (TargetClient c = TargetClients.connect(s.withSecret(secret))) {
                assertThat(c.statfs().get()).isZero();
            }
        }
    }
}
