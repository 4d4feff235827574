package org.tarn.dist;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.rmi.AlreadyBoundException;
import java.rmi.NoSuchObjectException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Map;

import javax.management.MBeanServer;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import javax.management.remote.rmi.RMIJRMPServerImpl;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.rmi.ssl.SslRMIClientSocketFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's remote JMX endpoint: one RMI registry and the RMI connector on
 * one port, bound to {@code jmx.host}, with the JDK's own mechanisms for
 * security, so JConsole and VisualVM connect with their usual settings:
 * <ul>
 * <li>authentication by a JDK-format password file
 * ({@code jmx.remote.x.password.file}) and authorisation by a JDK-format
 * access file ({@code jmx.remote.x.access.file});</li>
 * <li>TLS for the connector <em>and</em> the registry (what
 * {@code com.sun.management.jmxremote.registry.ssl=true} does), with
 * {@link SslRMIClientSocketFactory} in the stubs, so a client needs nothing
 * but a truststore with the server's certificate and
 * {@code com.sun.jndi.rmi.factory.socket} for the registry lookup.</li>
 * </ul>
 * The connector's stub is bound into the registry object directly, not
 * through JNDI, so the server never dials its own TLS registry as a client.
 *
 * <p>Every setting is checked before anything listens: missing files, a
 * password file that others can read, a keystore that does not open, and a
 * non-loopback {@code jmx.host} without authentication and TLS (refused unless
 * {@code jmx.insecure=true}) stop the server with a message naming the key.
 */
final class RemoteJmx implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteJmx.class);

    private final Registry registry;
    private final RMIConnectorServer connector;
    private final String url;

    private RemoteJmx(Registry registry, RMIConnectorServer connector, String url) {
        this.registry = registry;
        this.connector = connector;
        this.url = url;
    }

    /** A checked configuration, ready to {@linkplain #start start}. */
    record Plan(String host, int port, Map<String, Object> env, RMIClientSocketFactory csf,
            RMIServerSocketFactory ssf, boolean authentication, boolean ssl) {

        /** Starts the registry and the connector. */
        RemoteJmx start(MBeanServer mbs) throws IOException {
            return RemoteJmx.start(this, mbs);
        }
    }

    /**
     * Checks the settings (files, keystore, loopback rule) without listening
     * anywhere; null when {@code jmx.port} is 0.
     */
    static Plan check(ServerConfig config) {
        int port = config.intValue("jmx.port");
        if (port == 0) {
            return null;
        }
        String host = config.get("jmx.host");
        InetAddress bind;
        try {
            bind = InetAddress.getByName(host);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("jmx.host: unknown host '" + host + "'", e);
        }
        Path passwordFile = config.path("jmx.password.file");
        Path accessFile = config.path("jmx.access.file");
        boolean ssl = config.flag("jmx.ssl");
        boolean insecure = config.flag("jmx.insecure");
        if (accessFile != null && passwordFile == null) {
            throw new IllegalArgumentException("jmx.access.file is set but jmx.password.file is not: "
                    + "access rules need authenticated users");
        }
        if (!bind.isLoopbackAddress() && (passwordFile == null || !ssl)) {
            String missing = passwordFile == null && !ssl ? "authentication (jmx.password.file) and TLS (jmx.ssl)"
                    : passwordFile == null ? "authentication (jmx.password.file)" : "TLS (jmx.ssl)";
            if (!insecure) {
                throw new IllegalArgumentException("jmx.host=" + host + " is not a loopback address and remote JMX "
                        + "has no " + missing + "; configure them, or set jmx.insecure=true to accept that anyone "
                        + "who reaches " + host + ":" + port + " may manage this server");
            }
            LOG.warn("SECURITY: remote JMX listens on {}:{} without {} (jmx.insecure=true): anyone who reaches it "
                    + "can manage this server and its pools", host, port, missing);
        }

        Map<String, Object> env = new HashMap<>();
        // credentials may only be a String[]: nothing else is deserialized before authentication
        env.put(RMIConnectorServer.CREDENTIALS_FILTER_PATTERN, String.class.getName() + ";!*");
        if (passwordFile != null) {
            env.put("jmx.remote.x.password.file", Secrets.ownerOnly("jmx.password.file", passwordFile).toString());
        }
        if (accessFile != null) {
            env.put("jmx.remote.x.access.file", Secrets.readable("jmx.access.file", accessFile).toString());
        }
        RMIClientSocketFactory csf = null;
        RMIServerSocketFactory ssf;
        if (ssl) {
            SSLContext context = serverContext(config);
            boolean needClientAuth = config.flag("jmx.ssl.need.client.auth");
            csf = new SslRMIClientSocketFactory();
            ssf = p -> {
                SSLServerSocket s = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(p, 50, bind);
                s.setNeedClientAuth(needClientAuth);
                return s;
            };
        } else {
            ssf = p -> new ServerSocket(p, 50, bind);
        }

        return new Plan(host, port, env, csf, ssf, passwordFile != null, ssl);
    }

    private static RemoteJmx start(Plan plan, MBeanServer mbs) throws IOException {
        String host = plan.host();
        int port = plan.port();
        Map<String, Object> env = plan.env();
        RMIClientSocketFactory csf = plan.csf();
        RMIServerSocketFactory ssf = plan.ssf();
        // unguessable object ids, as the JDK's own agent sets: a connection cannot be hijacked by guessing one
        System.setProperty("java.rmi.server.randomIDs", "true");
        System.setProperty("java.rmi.server.hostname", host);
        Registry registry = LocateRegistry.createRegistry(port, csf, ssf);
        RMIConnectorServer connector = null;
        boolean started = false;
        try {
            RMIJRMPServerImpl impl = new RMIJRMPServerImpl(port, csf, ssf, env);
            connector = new RMIConnectorServer(new JMXServiceURL("rmi", host, port), env, impl, mbs);
            connector.start();
            registry.bind("jmxrmi", impl.toStub());
            started = true;
        } catch (AlreadyBoundException e) {
            throw new IllegalStateException("the RMI registry on port " + port + " already holds jmxrmi", e);
        } finally {
            if (!started) {
                if (connector != null) {
                    connector.stop();
                }
                UnicastRemoteObject.unexportObject(registry, true);
            }
        }
        String url = "service:jmx:rmi:///jndi/rmi://" + host + ":" + port + "/jmxrmi";
        LOG.info("remote JMX at {} (authentication: {}, TLS: {})", url, plan.authentication() ? "on" : "off",
                plan.ssl() ? "on" : "off");
        return new RemoteJmx(registry, connector, url);
    }

    /** The TLS context of the connector and registry: the server's key, and the trusted client certificates. */
    private static SSLContext serverContext(ServerConfig config) {
        Path keystore = config.path("jmx.ssl.keystore");
        if (keystore == null) {
            throw new IllegalArgumentException("jmx.ssl=true needs jmx.ssl.keystore (a keystore with the server's "
                    + "key, e.g. made with keytool -genkeypair) and jmx.ssl.keystore.password");
        }
        String password = config.get("jmx.ssl.keystore.password");
        KeyStore keys = Secrets.keyStore("jmx.ssl.keystore", keystore, password);
        Path truststore = config.path("jmx.ssl.truststore");
        KeyStore trusted = truststore == null ? null
                : Secrets.keyStore("jmx.ssl.truststore", truststore, config.get("jmx.ssl.truststore.password"));
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password.toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("jmx.ssl.keystore: cannot use " + keystore + ": " + e.getMessage(), e);
        }
    }

    /** {@code service:jmx:rmi:///jndi/rmi://HOST:PORT/jmxrmi}. */
    String url() {
        return url;
    }

    @Override
    public void close() {
        try {
            connector.stop();
        } catch (IOException e) {
            LOG.warn("stopping the JMX connector: {}", e.toString());
        }
        try {
            UnicastRemoteObject.unexportObject(registry, true);
        } catch (NoSuchObjectException ignored) {
            // already gone
        }
    }
}
