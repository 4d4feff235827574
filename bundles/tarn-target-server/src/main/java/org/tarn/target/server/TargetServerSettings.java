package org.tarn.target.server;

import java.nio.file.Path;
import java.util.Arrays;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.protocol.WireFormat;

/**
 * Settings of a target server, with every default in one place.
 *
 * @param host             address to listen on; loopback by default
 * @param port             TCP port; 0 picks a free one
 * @param serverName       the name the server tells clients (its host name by default)
 * @param maxFrameBytes    largest frame accepted; a longer one closes the connection with an error
 * @param maxInFlight      requests of one connection being executed at once; beyond it the server stops
 *                         reading from that connection until some finish (backpressure)
 * @param idleTimeoutMillis a connection that sends nothing for this long (clients ping every second) is closed
 * @param threadsPerTarget threads executing the requests of one target: a target whose pool hangs pins
 *                         only its own
 * @param queuePerTarget   requests of one target waiting for a thread; beyond it they are refused with BUSY
 *                         (not executed)
 * @param secret           shared secret clients must prove (HMAC of a nonce); null for none
 * @param tls              TLS settings; null for plain TCP
 */
public record TargetServerSettings(String host, int port, String serverName, int maxFrameBytes, int maxInFlight,
                                   long idleTimeoutMillis, int threadsPerTarget, int queuePerTarget, byte[] secret,
                                   Tls tls) {
    /** Default port. */
    public static final int PORT = 9988;
    /** Default address: loopback only. */
    public static final String HOST = "127.0.0.1";
    /** Default in-flight requests per connection: a client's whole window. */
    public static final int MAX_IN_FLIGHT = 256;
    /** Default idle timeout. */
    public static final long IDLE_TIMEOUT_MILLIS = 30_000;
    /** Default threads per target. */
    public static final int THREADS_PER_TARGET = 8;
    /** Default queue per target. */
    public static final int QUEUE_PER_TARGET = 4096;

    /**
     * TLS for the server.
     *
     * @param keystore           PKCS12 or JKS keystore with the server's key and certificate
     * @param keystorePassword   its password
     * @param truststore         certificates of the clients to accept; null for none
     * @param truststorePassword its password (may be empty)
     * @param needClientAuth     clients must present a certificate the truststore trusts
     */
    public record Tls(Path keystore, char[] keystorePassword, Path truststore, char[] truststorePassword,
                      boolean needClientAuth) {
        public Tls {
            if (keystore == null) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "TLS needs a keystore with the server's key");
            }
            if (needClientAuth && truststore == null) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client certificate checks need a truststore");
            }
            keystorePassword = keystorePassword == null ? new char[0] : keystorePassword.clone();
            truststorePassword = truststorePassword == null ? new char[0] : truststorePassword.clone();
        }
    }

    public TargetServerSettings {
        if (host == null || host.isBlank()) {
            throw bad("a host to listen on is required");
        }
        if (port < 0 || port > 65535) {
            throw bad("port must lie between 0 and 65535, got " + port);
        }
        if (maxFrameBytes < 1024 || maxFrameBytes > WireFormat.MAX_FRAME_BYTES) {
            throw bad("maxFrameBytes must lie between 1024 and " + WireFormat.MAX_FRAME_BYTES + ", got " + maxFrameBytes);
        }
        if (maxInFlight < 1 || threadsPerTarget < 1 || queuePerTarget < 1 || idleTimeoutMillis < 1) {
            throw bad("maxInFlight, threadsPerTarget, queuePerTarget and idleTimeoutMillis must be positive");
        }
        if (secret != null && secret.length == 0) {
            throw bad("an empty shared secret; leave it unset for none");
        }
        secret = secret == null ? null : secret.clone();
        serverName = serverName == null || serverName.isBlank() ? defaultName() : serverName;
    }

    private static TarnException bad(String what) {
        return new TarnException(ErrorCode.INVALID_ARGUMENT, "target server: " + what);
    }

    private static String defaultName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** The defaults: loopback, port {@value #PORT}, no TLS, no secret. */
    public static TargetServerSettings defaults() {
        return new TargetServerSettings(HOST, PORT, null, WireFormat.MAX_FRAME_BYTES, MAX_IN_FLIGHT,
                IDLE_TIMEOUT_MILLIS, THREADS_PER_TARGET, QUEUE_PER_TARGET, null, null);
    }

    public TargetServerSettings withHost(String h) {
        return new TargetServerSettings(h, port, serverName, maxFrameBytes, maxInFlight, idleTimeoutMillis,
                threadsPerTarget, queuePerTarget, secret, tls);
    }

    public TargetServerSettings withPort(int p) {
        return new TargetServerSettings(host, p, serverName, maxFrameBytes, maxInFlight, idleTimeoutMillis,
                threadsPerTarget, queuePerTarget, secret, tls);
    }

    public TargetServerSettings withServerName(String n) {
        return new TargetServerSettings(host, port, n, maxFrameBytes, maxInFlight, idleTimeoutMillis,
                threadsPerTarget, queuePerTarget, secret, tls);
    }

    public TargetServerSettings withMaxFrameBytes(int n) {
        return new TargetServerSettings(host, port, serverName, n, maxInFlight, idleTimeoutMillis,
                threadsPerTarget, queuePerTarget, secret, tls);
    }

    public TargetServerSettings withMaxInFlight(int n) {
        return new TargetServerSettings(host, port, serverName, maxFrameBytes, n, idleTimeoutMillis,
                threadsPerTarget, queuePerTarget, secret, tls);
    }

    public TargetServerSettings withIdleTimeoutMillis(long millis) {
        return new TargetServerSettings(host, port, serverName, maxFrameBytes, maxInFlight, millis,
                threadsPerTarget, queuePerTarget, secret, tls);
    }

    public TargetServerSettings withThreadsPerTarget(int n) {
        return new TargetServerSettings(host, port, serverName, maxFrameBytes, maxInFlight, idleTimeoutMillis,
                n, queuePerTarget, secret, tls);
    }

    public TargetServerSettings withQueuePerTarget(int n) {
        return new TargetServerSettings(host, port, serverName, maxFrameBytes, maxInFlight, idleTimeoutMillis,
                threadsPerTarget, n, secret, tls);
    }

    public TargetServerSettings withSecret(byte[] s) {
        return new TargetServerSettings(host, port, serverName, maxFrameBytes, maxInFlight, idleTimeoutMillis,
                threadsPerTarget, queuePerTarget, s, tls);
    }

    public TargetServerSettings withTls(Tls t) {
        return new TargetServerSettings(host, port, serverName, maxFrameBytes, maxInFlight, idleTimeoutMillis,
                threadsPerTarget, queuePerTarget, secret, t);
    }

    @Override
    public byte[] secret() {
        return secret == null ? null : secret.clone();
    }

    @Override
    public String toString() {
        return "TargetServerSettings[" + host + ":" + port + ", name " + serverName + ", maxFrameBytes "
                + maxFrameBytes + ", maxInFlight " + maxInFlight + ", idle " + idleTimeoutMillis + " ms, threads/target "
                + threadsPerTarget + ", queue/target " + queuePerTarget + ", secret " + (secret == null ? "none" : "set")
                + ", tls " + (tls == null ? "off" : tls.needClientAuth() ? "on, client certificates" : "on") + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TargetServerSettings s && s.toString().equals(toString())
                && Arrays.equals(s.secret, secret);
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
