package org.tarn.ha;

import static javax.management.MBeanOperationInfo.ACTION;

import javax.management.MXBean;
import javax.management.openmbean.TabularData;

import org.tarn.jmx.Description;
import org.tarn.jmx.Operation;
import org.tarn.jmx.Parameter;

/**
 * This server's view of the ZooKeeper HA cluster: {@code tarn:type=HaManager}
 * ({@link org.tarn.jmx.ObjectNames#haManager()}). Open types only; failures
 * arrive as {@link IllegalArgumentException} (unknown pool or server, bad
 * input) or {@link IllegalStateException} (the ensemble cannot be reached, a
 * move failed or timed out), with a message an operator can act on.
 */
@MXBean(false)
@Description("ZooKeeper HA of this Tarn server: its session, the live servers, the pool leases; manage and move pools")
public interface HaManagerMXBean {

    @Description("This server's id in the HA cluster")
    String getServerId();

    @Description("Whether this server's ZooKeeper session is connected; a server that is not owns no pool")
    boolean isConnected();

    @Description("The ZooKeeper ensemble this server connects to")
    String getConnectString();

    @Description("The live servers, one row per server id: host id, host name and how many leases it holds")
    TabularData getServers();

    @Description("The managed pools, one row per pool: owner (empty while none), import options, requested "
            + "move target and the last import error")
    TabularData getPools();

    @Description("The pools this server owns and has imported, sorted")
    String[] getOwnedPools();

    @Operation(desc = "Puts a pool under HA management: this server takes its lease if it has the pool imported, "
            + "else the placement picks the live server with the fewest pools", impact = ACTION)
    void manage(
            @Parameter(name = "pool", desc = "Name of the pool") String pool,
            @Parameter(name = "importOptions", desc = "Options for every import of it, as importPool takes them "
                    + "(e.g. dir=/srv/devices); force is refused: the lease decides") String importOptions);

    @Operation(desc = "Takes a pool out of HA management; its owner keeps it imported, without a lease",
            impact = ACTION)
    void unmanage(
            @Parameter(name = "pool", desc = "Name of a managed pool") String pool);

    @Operation(desc = "Moves a pool to another live server: a clean export on its owner, then an import on the "
            + "target; returns the new owner once it serves the pool", impact = ACTION)
    String movePool(
            @Parameter(name = "pool", desc = "Name of a managed pool") String pool,
            @Parameter(name = "server", desc = "Id of the live server to move it to") String server,
            @Parameter(name = "timeoutMillis", desc = "How long to wait for the move, in milliseconds (1000 to "
                    + "600000)") long timeoutMillis);
}
