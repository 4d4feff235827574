package org.tarn.ha;

import java.time.Duration;
import java.util.List;

/**
 * One server's membership of the HA cluster.
 *
 * <p>Each managed pool has one owner lease, an ephemeral ZooKeeper node
 * created by its owner's session: while it exists, only its owner imports the
 * pool. A server that loses its connection to the ensemble force-exports the
 * pools it owns at once, before its session can expire and another server
 * take the leases; a server that finds a lease free and is the placement's
 * choice (the requested move target, else the live server with the fewest
 * leases) takes it and imports the pool, with force when its labels still
 * name the fenced owner; the multihost activity check still guards the disk.
 */
public interface HaService extends AutoCloseable {

    /** This server's id. */
    String serverId();

    /** Whether this server's ZooKeeper session is connected (it owns nothing while it is not). */
    boolean connected();

    /** The live servers, sorted by id. */
    List<ServerInfo> servers();

    /** The managed pools with their owners, sorted by name. */
    List<PoolLease> pools();

    /** The pools this server holds the lease of and has imported, sorted. */
    List<String> ownedPools();

    /**
     * Puts a pool under the cluster's management. If this server has it
     * imported, it takes the lease; else the placement picks a server.
     *
     * @param importOptions options for every import of the pool ({@code dir=/srv/devices}); force is refused
     * @throws IllegalArgumentException on a bad name or options
     * @throws IllegalStateException when the ensemble cannot be reached
     */
    void manage(String pool, String importOptions);

    /** Takes a pool out of the cluster's management; its owner keeps it imported, without a lease. */
    void unmanage(String pool);

    /**
     * Moves a pool to another live server: its owner exports it cleanly, the
     * target imports it. Waits until the target owns and has imported it, or
     * until {@code timeout}.
     *
     * @return the new owner
     * @throws IllegalArgumentException an unknown pool or server
     * @throws IllegalStateException the move failed (the owner's export refused, the target's import failed)
     *     or did not finish in time; the message says which
     */
    String move(String pool, String toServer, Duration timeout);

    /** Leaves the cluster: gives up its leases (its pools stay imported here) and closes the session. */
    @Override
    void close();
}
