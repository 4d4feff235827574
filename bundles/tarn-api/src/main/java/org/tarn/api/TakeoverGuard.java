package org.tarn.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Consulted before an engine takes over a pool whose labels say another host
 * has it imported (an import with force of an ACTIVE pool). A force export
 * or a crash leaves I/O of that host that may still land, and the multihost
 * check only sees heartbeats: safety across hosts needs the other host
 * fenced — powered off (STONITH), cut from the disks (SCSI persistent
 * reservations), or known dead by a quorum (its ZooKeeper session expired).
 * The HA layer that did the fencing registers a guard
 * ({@link PoolManager#addTakeoverGuard}) that checks it and throws to refuse;
 * with no guard, {@code force} alone vouches for it (the operator's word).
 */
@ConsumerType
public interface TakeoverGuard {

    /**
     * Called before the devices are opened, on the importing thread.
     *
     * @param pool the pool as the scan saw it: its last host, hostid and txg
     * @throws TarnException to refuse the takeover (use {@link ErrorCode#POOL_IN_USE_ELSEWHERE} and say
     *     what is not fenced); nothing of the pool has been touched then
     */
    void beforeTakeover(ImportablePool pool);
}
