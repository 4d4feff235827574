package org.tarn.ha;

import java.util.Objects;

/**
 * How a server joins the HA cluster.
 *
 * @param connectString         the ZooKeeper ensemble, {@code host:port,host:port}
 * @param serverId              this server's name in the cluster: unique, stable across restarts
 *                              (a letter, then letters, digits and {@code _.-})
 * @param basePath              the ZooKeeper path under which the cluster keeps its nodes
 * @param sessionTimeoutMillis  the ZooKeeper session timeout: a server unheard of for this long loses
 *                              its leases, and another server may take its pools
 * @param connectionTimeoutMillis how long a connection attempt may take
 * @param reconcileMillis       how often a server compares the cluster's leases with its own pools
 *                              (besides reacting to every change at once)
 */
public record HaSettings(String connectString, String serverId, String basePath, long sessionTimeoutMillis,
                         long connectionTimeoutMillis, long reconcileMillis) {
    /** Default session timeout: a SIGKILLed server's pools are imported elsewhere within about this plus the import. */
    public static final long DEFAULT_SESSION_TIMEOUT_MILLIS = 6_000;
    public static final long DEFAULT_CONNECTION_TIMEOUT_MILLIS = 5_000;
    public static final long DEFAULT_RECONCILE_MILLIS = 1_000;
    public static final String DEFAULT_BASE_PATH = "/tarn";

    public HaSettings {
        Objects.requireNonNull(connectString, "connectString");
        Objects.requireNonNull(serverId, "serverId");
        Objects.requireNonNull(basePath, "basePath");
        if (connectString.isBlank()) {
            throw new IllegalArgumentException("ha: the ZooKeeper connect string is empty");
        }
        if (!serverId.matches("[A-Za-z][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException("ha: server id '" + serverId
                    + "' must be a letter, then letters, digits and _.-");
        }
        if (!basePath.matches("(/[A-Za-z0-9_.-]+)+")) {
            throw new IllegalArgumentException("ha: base path '" + basePath + "' must look like /tarn or /a/b");
        }
        if (sessionTimeoutMillis < 1_000 || connectionTimeoutMillis < 100 || reconcileMillis < 50) {
            throw new IllegalArgumentException("ha: timeouts too small (session " + sessionTimeoutMillis
                    + " ms, connection " + connectionTimeoutMillis + " ms, reconcile " + reconcileMillis + " ms)");
        }
    }

    /** The defaults for an ensemble and a server id. */
    public static HaSettings of(String connectString, String serverId) {
        return new HaSettings(connectString, serverId, DEFAULT_BASE_PATH, DEFAULT_SESSION_TIMEOUT_MILLIS,
                DEFAULT_CONNECTION_TIMEOUT_MILLIS, DEFAULT_RECONCILE_MILLIS);
    }

    public HaSettings withBasePath(String path) {
        return new HaSettings(connectString, serverId, path, sessionTimeoutMillis, connectionTimeoutMillis,
                reconcileMillis);
    }

    public HaSettings withSessionTimeoutMillis(long millis) {
        return new HaSettings(connectString, serverId, basePath, millis, connectionTimeoutMillis, reconcileMillis);
    }

    public HaSettings withReconcileMillis(long millis) {
        return new HaSettings(connectString, serverId, basePath, sessionTimeoutMillis, connectionTimeoutMillis,
                millis);
    }
}
