package org.tarn.itests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS material made once per test JVM with the JDK's {@code keytool}: a
 * server keystore (EC key, certificate for 127.0.0.1 and localhost) and a
 * truststore holding its certificate, which also becomes the JVM's default
 * trust. One per JVM because the JDK's {@code SslRMIClientSocketFactory}
 * keeps the first default SSL socket factory it sees.
 */
final class TestTls {
    static final String KEYSTORE_PASSWORD = "server-secret";
    static final String TRUSTSTORE_PASSWORD = "changeit";

    private static TestTls instance;

    final Path dir;
    final Path keystore;
    final Path truststore;

    private TestTls(Path dir) {
        this.dir = dir;
        this.keystore = dir.resolve("server.p12");
        this.truststore = dir.resolve("trust.p12");
    }

    static synchronized TestTls get() throws Exception {
        if (instance == null) {
            TestTls tls = new TestTls(Files.createTempDirectory("tarn-tls"));
            tls.dir.toFile().deleteOnExit();
            tls.generate();
            instance = tls;
        }
        return instance;
    }

    private void generate() throws Exception {
        Path cert = dir.resolve("server.pem");
        keytool("-genkeypair", "-alias", "tarn", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", KEYSTORE_PASSWORD, "-keypass", KEYSTORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "tarn", "-keystore", keystore.toString(), "-storepass",
                KEYSTORE_PASSWORD, "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "tarn", "-file", cert.toString(), "-keystore",
                truststore.toString(), "-storetype", "PKCS12", "-storepass", TRUSTSTORE_PASSWORD);
        KeyStore trusted = KeyStore.getInstance(truststore.toFile(), TRUSTSTORE_PASSWORD.toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        SSLContext.setDefault(context);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }

    /** A file holding {@code text}, readable by its owner only. */
    static Path secretFile(Path dir, String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }
}
