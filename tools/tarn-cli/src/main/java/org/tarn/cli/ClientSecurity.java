package org.tarn.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How tarnctl proves who it is and whom it trusts: a user with a password
 * (read from a file or from {@code TARN_PASSWORD}, never from the command
 * line, where {@code ps} would show it), whether JMX goes over TLS, and the
 * certificates it trusts.
 *
 * <p>With a truststore, its {@link SSLContext} also becomes the JVM's default:
 * the JDK's {@code SslRMIClientSocketFactory}, which the server puts into
 * its JMX stubs, always uses the default context (and keeps the first one it
 * sees). Without one, the JDK's defaults apply, so
 * {@code -Djavax.net.ssl.trustStore=...} in {@code JAVA_TOOL_OPTIONS} works too.
 *
 * @param user null when no credentials are given
 * @param tls JMX over TLS: the RMI registry lookup and the connector
 * @param sslContext the trusted certificates, or null for the JDK's defaults
 */
record ClientSecurity(String user, String password, boolean tls, SSLContext sslContext) {
    /** The environment variable that may hold the password instead of a file. */
    static final String PASSWORD_ENV = "TARN_PASSWORD";
    /** The environment variable with the truststore's password, when it has one. */
    static final String TRUSTSTORE_PASSWORD_ENV = "TARN_TRUSTSTORE_PASSWORD";

    static final ClientSecurity NONE = new ClientSecurity(null, null, false, null);

    /**
     * From the command line's options.
     *
     * @param env the process environment (a map, so tests can give one)
     */
    static ClientSecurity of(String user, Path passwordFile, boolean tls, Path truststore, Map<String, String> env) {
        String password = null;
        if (user != null) {
            if (passwordFile != null) {
                password = firstLine(passwordFile);
            } else if (env.get(PASSWORD_ENV) != null) {
                password = env.get(PASSWORD_ENV);
            } else {
                throw new CliException("--user " + user + " needs a password: --password-file FILE or "
                        + PASSWORD_ENV + " in the environment");
            }
        } else if (passwordFile != null) {
            throw new CliException("--password-file needs --user");
        }
        SSLContext context = truststore == null ? null : trusting(truststore, env.get(TRUSTSTORE_PASSWORD_ENV));
        return new ClientSecurity(user, password, tls || truststore != null, context);
    }

    private static String firstLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isEmpty()) {
                throw new CliException("password file " + file + " is empty; its first line is the password");
            }
            return lines.get(0);
        } catch (NoSuchFileException e) {
            throw new CliException("password file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new CliException("cannot read password file " + file + ": " + CliException.clean(e.toString()), e);
        }
    }

    private static SSLContext trusting(Path truststore, String password) {
        if (!Files.isReadable(truststore)) {
            throw new CliException("truststore " + truststore + " does not exist or cannot be read");
        }
        try {
            KeyStore ks = KeyStore.getInstance(truststore.toFile(), password == null ? null : password.toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            SSLContext.setDefault(context);
            return context;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new CliException("cannot use truststore " + truststore + ": " + CliException.clean(e.toString()), e);
        }
    }

    /** Basic authentication header value, or null without a user. */
    String basicAuthorization() {
        if (user == null) {
            return null;
        }
        return "Basic " + java.util.Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ClientSecurity[user=" + user + ", tls=" + tls + "]";
    }
}
