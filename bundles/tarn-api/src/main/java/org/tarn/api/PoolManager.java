package org.tarn.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The pools of this process. Each pool is independent: a failing or hung pool
 * never blocks calls on another. A pool manager is a view of an engine; the
 * engine's owner, not its callers, stops it (which exports every pool).
 */
@ProviderType
public interface PoolManager {

    /**
     * Creates a pool on the given devices and imports it.
     *
     * @param force also take devices that carry the label of an active pool
     * @throws TarnException {@link ErrorCode#DEVICE_IN_USE},
     *     {@link ErrorCode#DEVICE_TOO_SMALL}, {@link ErrorCode#DEVICE_MISSING},
     *     {@link ErrorCode#DEVICE_READ_ONLY}, {@link ErrorCode#POOL_EXISTS},
     *     {@link ErrorCode#INVALID_ARGUMENT}
     */
    Pool createPool(String name, VdevLayout layout, Map<String, String> properties, boolean force);

    /**
     * Opens a pool from the given devices at its best uberblock: the devices'
     * labels name the pool and its tree. (The full import with scanning comes
     * with {@code importPool}.)
     */
    Pool openPool(List<String> devices, boolean readOnly);

    /**
     * Scans directories (empty: the search paths) for devices and lists the
     * pools they hold, with what would stop each import; unusable files are
     * listed as skipped with the reason. Like {@code zpool import}, it lists
     * only pools that could be imported: not those imported here already.
     */
    ImportScan scan(List<String> dirs);

    /**
     * Imports a pool found by {@link #scan}, by name or GUID (decimal or
     * hexadecimal with {@code 0x}).
     *
     * @throws TarnException {@link ErrorCode#POOL_NOT_FOUND}, {@link ErrorCode#POOL_EXISTS},
     *     {@link ErrorCode#POOL_IN_USE_ELSEWHERE} (without force), {@link ErrorCode#MISSING_VDEV},
     *     {@link ErrorCode#INVALID_ARGUMENT} (a name shared by several pools),
     *     {@link ErrorCode#CHECKSUM_MISMATCH} (damaged newest txg without rewind)
     */
    Pool importPool(String nameOrGuid, ImportOptions options);

    /**
     * The imports running now, each with its step and how long that step
     * still takes (the multihost activity check counts down), in no order.
     */
    List<ImportProgress> importsInProgress();

    /** This engine's host id, written into the labels of the pools it imports. */
    long hostId();

    /** This engine's host name. */
    String hostname();

    /** Directories scanned when an import names none. */
    List<String> searchPaths();

    /** Registers a listener for the events of every pool, present and future. */
    void addEventListener(PoolEventListener listener);

    void removeEventListener(PoolEventListener listener);

    /**
     * Registers a hook the engine calls around every export of every pool:
     * before a clean export or destroy, after one that failed, after a force
     * export. Hooks run in registration order (in reverse for
     * {@link ExportHook#exportFailed}).
     */
    void addExportHook(ExportHook hook);

    void removeExportHook(ExportHook hook);

    /**
     * Registers a guard consulted before every takeover of a pool another
     * host's labels still claim (import with force of an ACTIVE pool); any
     * guard may refuse it. See {@link TakeoverGuard}.
     */
    void addTakeoverGuard(TakeoverGuard guard);

    void removeTakeoverGuard(TakeoverGuard guard);

    /** The imported pool of that name, if any. */
    Optional<Pool> pool(String name);

    /** Names of the imported pools, sorted. */
    List<String> pools();

    /**
     * Exports a pool cleanly: closes (with {@code force}) or refuses open
     * handles, syncs, marks its labels EXPORTED and releases its devices.
     */
    void exportPool(String name, boolean force);

    /**
     * Destroys a pool ({@code zpool destroy}): a clean export (refusing open
     * handles unless {@code force}) that marks every label DESTROYED instead
     * of EXPORTED. Its data stays on the devices: scans list it as destroyed,
     * imports refuse it unless asked for destroyed pools ({@code
     * destroyed=true}), and its devices can be used by a new pool without
     * force.
     */
    void destroyPool(String name, boolean force);

    /**
     * Force-exports a pool in bounded time, whatever its devices do: discards
     * unsynced changes, fails every waiter and handle, writes nothing.
     */
    void forceExport(String name);

    /**
     * The engine's block cache as a whole: its fixed budget (one for every
     * pool of the engine), the bytes cached now and the hits, misses and
     * evictions since the engine started.
     *
     * @since 0.4.0
     */
    default BlockCacheStats blockCacheStats() {
        return BlockCacheStats.NONE;
    }
}
