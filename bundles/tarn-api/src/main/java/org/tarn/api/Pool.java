package org.tarn.api;

import java.util.List;
import java.util.Map;


/**
 * An imported pool. A handle stays valid until the pool is exported or
 * force-exported; after that every call that touches data fails with
 * {@link ErrorCode#POOL_EXPORTED}, while the identity getters keep answering.
 */
public interface Pool {

    /** The pool's name in this process. */
    String name();

    /** The pool's GUID, fixed at creation. */
    long guid();

    /** The pool's lifecycle state. */
    PoolState state();

    /** The pool's health, derived from its vdevs and state. */
    Health health();

    /** The newest transaction group that is fully on disk. */
    long syncedTxg();

    /** The transaction group that new transactions join. */
    long openTxg();

    /** Bytes of changes not yet on disk, over all unsynced groups. */
    long dirtyBytes();

    /** Whether the pool was opened read-only. */
    boolean readOnly();

    /** Usable capacity in bytes. */
    long sizeBytes();

    /** Bytes allocated to blocks (including frees not yet reusable). */
    long allocatedBytes();

    /** Every property with its current value. */
    Map<String, String> properties();

    /** Changes a property; it is persisted with the next transaction group. */
    void setProperty(String name, String value);

    /** The vdev tree with states and error counters. */
    VdevStatus vdevTree();

    /** Names of the pool's datasets, sorted. */
    List<String> datasets();

    /** Creates a dataset; it exists once the transaction group syncs. */
    void createDataset(String name);

    /** Destroys a dataset that has no open handles, freeing its blocks. */
    void destroyDataset(String name);

    /** Opens a handle on a dataset. */
    Dataset openDataset(String name);

    /**
     * Begins a transaction on the open transaction group, throttling or
     * blocking the caller while dirty data nears its maximum.
     */
    Transaction begin();

    /** Waits until every change made before the call is on disk. */
    void sync();

    /**
     * Clears device errors and faults and retries a transaction group whose
     * sync failed, resuming a SUSPENDED pool without losing its changes.
     */
    void clear();

    /** The pool's recent events, oldest first (bounded). */
    List<PoolEvent> events();

    /**
     * How long this pool's transaction group syncs took since import (from
     * memory: answers at once, also while the devices hang).
     *
     * @since 0.3.0
     */
    default SyncTimes syncTimes() {
        return SyncTimes.NONE;
    }
}
