package org.tarn.client;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.TargetSettings;

/**
 * How a client reaches its target, with every default in one place.
 *
 * @param servers              the target's servers in order: the primary, then its failover partners
 * @param target               the target's name, or {@code pool/name}
 * @param clientId             this client's id; unique per client process (the default adds a random part)
 * @param secret               shared secret to prove to the servers; null for none
 * @param tls                  TLS settings; null for plain TCP
 * @param deadlineMillis       a request the server cannot start within this is refused (TIMED_OUT, not
 *                             executed); 0 for none
 * @param pingIntervalMillis   how often an otherwise quiet connection is pinged (also fetches last_committed)
 * @param deadAfterMillis      a connection that brings nothing for this long is given up and the partners tried
 * @param connectTimeoutMillis how long one TCP connect may take
 * @param backoffMillis        first pause between two rounds over the servers; doubles up to {@code maxBackoffMillis}
 * @param maxBackoffMillis     longest pause between two rounds
 * @param giveUpMillis         how long the client tries to reach a server of its target before it fails what it
 *                             holds (with TIMED_OUT: their outcome is then unknown)
 * @param window               most requests numbered beyond the oldest unanswered one (at most
 *                             {@link TargetSettings#REPLY_RECORDS_PER_CLIENT})
 */
public record ClientSettings(List<InetSocketAddress> servers, String target, String clientId, byte[] secret, Tls tls,
                             long deadlineMillis, long pingIntervalMillis, long deadAfterMillis,
                             long connectTimeoutMillis, long backoffMillis, long maxBackoffMillis, long giveUpMillis,
                             int window) {
    public static final long DEADLINE_MILLIS = 0;
    public static final long PING_INTERVAL_MILLIS = 1_000;
    public static final long DEAD_AFTER_MILLIS = 5_000;
    public static final long CONNECT_TIMEOUT_MILLIS = 2_000;
    public static final long BACKOFF_MILLIS = 50;
    public static final long MAX_BACKOFF_MILLIS = 1_000;
    public static final long GIVE_UP_MILLIS = 300_000;

    /**
     * TLS for the client.
     *
     * @param truststore         certificates of the servers to trust; null for the JDK's
     * @param truststorePassword its password
     * @param keystore           the client's key and certificate, for servers that check them; null for none
     * @param keystorePassword   its password
     * @param verifyHostname     check that the server's certificate names the address connected to
     */
    public record Tls(Path truststore, char[] truststorePassword, Path keystore, char[] keystorePassword,
                      boolean verifyHostname) {
        public Tls {
            truststorePassword = truststorePassword == null ? new char[0] : truststorePassword.clone();
            keystorePassword = keystorePassword == null ? new char[0] : keystorePassword.clone();
        }
    }

    public ClientSettings {
        if (servers == null || servers.isEmpty()) {
            throw bad("at least one server is needed");
        }
        servers = List.copyOf(servers);
        if (target == null || target.isBlank()) {
            throw bad("a target name is needed");
        }
        if (clientId == null || clientId.isBlank() || clientId.length() > TargetSettings.MAX_CLIENT_ID_BYTES) {
            throw bad("a client id of 1 to " + TargetSettings.MAX_CLIENT_ID_BYTES + " characters is needed");
        }
        if (window < 1 || window > TargetSettings.REPLY_RECORDS_PER_CLIENT) {
            throw bad("window must lie between 1 and " + TargetSettings.REPLY_RECORDS_PER_CLIENT + ", got " + window);
        }
        if (deadlineMillis < 0 || pingIntervalMillis < 1 || deadAfterMillis <= pingIntervalMillis
                || connectTimeoutMillis < 1 || backoffMillis < 1 || maxBackoffMillis < backoffMillis
                || giveUpMillis < 1) {
            throw bad("timeouts must be positive, deadAfterMillis above pingIntervalMillis, maxBackoffMillis at least "
                    + "backoffMillis");
        }
        secret = secret == null ? null : secret.clone();
    }

    private static TarnException bad(String what) {
        return new TarnException(ErrorCode.INVALID_ARGUMENT, "target client: " + what);
    }

    /** A client of {@code target} on these servers ({@code host:port} each), with a generated id. */
    public static ClientSettings of(String target, List<String> servers) {
        return new ClientSettings(parse(servers), target, defaultClientId(), null, null, DEADLINE_MILLIS,
                PING_INTERVAL_MILLIS, DEAD_AFTER_MILLIS, CONNECT_TIMEOUT_MILLIS, BACKOFF_MILLIS, MAX_BACKOFF_MILLIS,
                GIVE_UP_MILLIS, TargetSettings.REPLY_RECORDS_PER_CLIENT);
    }

    /** Parses {@code host:port} entries (an IPv6 host in brackets). */
    public static List<InetSocketAddress> parse(List<String> servers) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String s : servers) {
            String v = s.trim();
            int colon = v.lastIndexOf(':');
            if (colon <= 0 || colon == v.length() - 1) {
                throw bad("server '" + s + "' must be HOST:PORT");
            }
            String host = v.substring(0, colon).replace("[", "").replace("]", "");
            try {
                out.add(InetSocketAddress.createUnresolved(host, Integer.parseInt(v.substring(colon + 1))));
            } catch (IllegalArgumentException e) {
                throw bad("server '" + s + "' must be HOST:PORT with a port from 1 to 65535");
            }
        }
        return out;
    }

    static String defaultClientId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "client";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public ClientSettings withClientId(String id) {
        return new ClientSettings(servers, target, id, secret, tls, deadlineMillis, pingIntervalMillis, deadAfterMillis,
                connectTimeoutMillis, backoffMillis, maxBackoffMillis, giveUpMillis, window);
    }

    public ClientSettings withSecret(byte[] s) {
        return new ClientSettings(servers, target, clientId, s, tls, deadlineMillis, pingIntervalMillis, deadAfterMillis,
                connectTimeoutMillis, backoffMillis, maxBackoffMillis, giveUpMillis, window);
    }

    public ClientSettings withTls(Tls t) {
        return new ClientSettings(servers, target, clientId, secret, t, deadlineMillis, pingIntervalMillis,
                deadAfterMillis, connectTimeoutMillis, backoffMillis, maxBackoffMillis, giveUpMillis, window);
    }

    public ClientSettings withDeadlineMillis(long millis) {
        return new ClientSettings(servers, target, clientId, secret, tls, millis, pingIntervalMillis, deadAfterMillis,
                connectTimeoutMillis, backoffMillis, maxBackoffMillis, giveUpMillis, window);
    }

    /** Ping interval and the silence after which a connection counts as dead. */
    public ClientSettings withLiveness(long pingMillis, long deadMillis) {
        return new ClientSettings(servers, target, clientId, secret, tls, deadlineMillis, pingMillis, deadMillis,
                connectTimeoutMillis, backoffMillis, maxBackoffMillis, giveUpMillis, window);
    }

    /** First and longest pause between rounds over the servers. */
    public ClientSettings withBackoff(long firstMillis, long maxMillis) {
        return new ClientSettings(servers, target, clientId, secret, tls, deadlineMillis, pingIntervalMillis,
                deadAfterMillis, connectTimeoutMillis, firstMillis, maxMillis, giveUpMillis, window);
    }

    public ClientSettings withGiveUpMillis(long millis) {
        return new ClientSettings(servers, target, clientId, secret, tls, deadlineMillis, pingIntervalMillis,
                deadAfterMillis, connectTimeoutMillis, backoffMillis, maxBackoffMillis, millis, window);
    }

    public ClientSettings withWindow(int n) {
        return new ClientSettings(servers, target, clientId, secret, tls, deadlineMillis, pingIntervalMillis,
                deadAfterMillis, connectTimeoutMillis, backoffMillis, maxBackoffMillis, giveUpMillis, n);
    }

    @Override
    public byte[] secret() {
        return secret == null ? null : secret.clone();
    }
}
