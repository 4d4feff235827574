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

    /**
     * The pool's recent events, oldest first (bounded): also those of earlier
     * imports of the same pool (by GUID) in this engine, and, when the engine
     * keeps a state directory, from before it was restarted.
     */
    List<PoolEvent> events();

    // ---- device lifecycle ------------------------------------------------------------

    /**
     * Starts a scrub ({@code zpool scrub}): reads every allocated block from
     * every device that holds it, verifies its checksum and rewrites bad
     * copies from a good one, in the background, throttled while the pool
     * serves other I/O (property {@code scan.sharePercent}). Resumes a paused
     * scrub.
     *
     * @throws TarnException {@link ErrorCode#IN_PROGRESS} while a scrub runs or a resilver runs or is
     *     needed (it comes first), {@link ErrorCode#READ_ONLY}
     */
    void scrub();

    /**
     * Pauses a running scrub ({@code zpool scrub -p}); {@link #scrub} resumes
     * it where it stopped, also after an export and import.
     *
     * @throws TarnException {@link ErrorCode#INVALID_ARGUMENT} when no scrub is running
     */
    void pauseScrub();

    /**
     * Cancels a running or paused scrub ({@code zpool scrub -s}).
     *
     * @throws TarnException {@link ErrorCode#INVALID_ARGUMENT} when no scrub is in progress
     */
    void stopScrub();

    /**
     * Starts a resilver now ({@code zpool resilver}), restarting one in
     * progress: copies to every working device the blocks of the txgs it
     * missed. Resilvers also start by themselves when a device comes back, is
     * attached or replaces another. As {@code zpool resilver}, does nothing
     * when no working device misses a txg.
     *
     * @throws TarnException {@link ErrorCode#READ_ONLY}
     */
    void resilver();

    /** The last or current scrub or resilver. */
    ScanStatus scanStatus();

    /**
     * Blocks found damaged on every copy (by scrubs, resilvers and reads) since
     * the last scrub began, newest last, bounded ({@code zpool status -v}).
     */
    List<DataError> dataErrors();

    /**
     * Attaches {@code newDevice} to the top-level vdev holding {@code device}
     * ({@code zpool attach}), making a mirror of a single device or a wider
     * mirror; the new device is resilvered in the background.
     *
     * @param device    a device of the pool, by path or GUID
     * @param newDevice a device not in use, at least as large as the data region of {@code device}
     * @param force     take a device that holds the label of an active pool
     * @throws TarnException {@link ErrorCode#NO_SUCH_DEVICE}, {@link ErrorCode#DEVICE_IN_USE},
     *     {@link ErrorCode#DEVICE_TOO_SMALL}, {@link ErrorCode#DEVICE_MISSING}, {@link ErrorCode#INVALID_ARGUMENT}
     */
    void attach(String device, String newDevice, boolean force);

    /**
     * Detaches a device from a mirror ({@code zpool detach}); a mirror left
     * with one device becomes a plain device. The detached device's labels
     * are cleared.
     *
     * @throws TarnException {@link ErrorCode#NO_SUCH_DEVICE}, {@link ErrorCode#INVALID_ARGUMENT} (not in a mirror),
     *     {@link ErrorCode#NO_REPLICAS} (it holds the last copy of some txgs)
     */
    void detach(String device);

    /**
     * Replaces a device ({@code zpool replace}): {@code newDevice} joins its
     * top-level vdev, is resilvered, and then {@code device} is detached. A null or equal {@code newDevice}
     * replaces the device with a new one at the same path (a disk swapped in
     * place).
     *
     * @throws TarnException as {@link #attach}; {@link ErrorCode#NO_REPLICAS} when the device is the only copy
     *     and must be read to be replaced in place
     */
    void replace(String device, String newDevice, boolean force);

    /**
     * Brings a device back ({@code zpool online}): reopens it if needed, checks
     * that it is still this pool's device, and resilvers the txgs it missed.
     *
     * @throws TarnException {@link ErrorCode#NO_SUCH_DEVICE}, {@link ErrorCode#DEVICE_MISSING},
     *     {@link ErrorCode#DEVICE_IN_USE} (the path now holds another device)
     */
    void online(String device);

    /**
     * Takes a device offline ({@code zpool offline}): no I/O reaches it and
     * it is closed; the txgs it misses are recorded, so {@link #online} needs
     * to resilver only those. A temporary offline does not survive an export.
     *
     * @throws TarnException {@link ErrorCode#NO_SUCH_DEVICE}, {@link ErrorCode#NO_REPLICAS} (no other device holds
     *     every txg)
     */
    void offline(String device, boolean temporary);

    /**
     * Grows the pool ({@code zpool add}): adds top-level vdevs (plain devices
     * or mirrors); the new space is usable at once. Hot spares are not
     * supported yet: a layout with {@code spare} is refused.
     *
     * @throws TarnException {@link ErrorCode#DEVICE_IN_USE}, {@link ErrorCode#DEVICE_TOO_SMALL},
     *     {@link ErrorCode#DEVICE_MISSING}, {@link ErrorCode#INVALID_ARGUMENT}
     */
    void add(VdevLayout layout, boolean force);

    /** I/O statistics per vdev since import ({@code zpool iostat -v}). */
    IoStats ioStats();

    /** The pool's command history, oldest first ({@code zpool history}), kept in the pool. */
    List<HistoryEntry> history();

    /**
     * How long this pool's transaction group syncs took since import (from
     * memory: answers at once, also while the devices hang).
     *
     * @since 0.3.0
     */
    default SyncTimes syncTimes() {
        return SyncTimes.NONE;
    }

    /**
     * Where each property of {@link #properties()} comes from: set on this
     * pool, or the engine's default. Same keys, same order. An implementation
     * that does not tell them apart reports every property as set.
     *
     * @since 0.4.0
     */
    default Map<String, PropertySource> propertySources() {
        Map<String, PropertySource> out = new java.util.LinkedHashMap<>();
        properties().keySet().forEach(k -> out.put(k, PropertySource.LOCAL));
        return out;
    }
}
