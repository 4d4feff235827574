package org.tarn.target;

import java.util.List;
import java.util.Optional;

/**
 * The targets of every pool of one {@link org.tarn.api.PoolManager}: mounts a
 * pool's targets when it is imported, marks them failed when it is
 * force-exported, and unmounts them before a clean export — the service is
 * the pool manager's {@link org.tarn.api.ExportHook}, so every export does
 * this, whoever asks for it.
 */
public interface TargetService extends AutoCloseable {

    /**
     * Creates a target in an imported pool and mounts it; it is on disk when
     * this returns.
     *
     * @throws org.tarn.api.TarnException INVALID_ARGUMENT (name, role),
     *     POOL_NOT_FOUND, EXISTS, READ_ONLY
     */
    Target createTarget(String pool, String name, TargetRole role);

    /** Every target known here (mounted, recovering or failed), by pool then name. */
    List<Target> targets();

    /** The targets of one pool, by name. */
    List<Target> targets(String pool);

    /** The current handle of a target. */
    Optional<Target> target(String pool, String name);

    /**
     * Unmounts every target of a pool cleanly: waits for changes in progress,
     * syncs, closes the datasets. Every clean export of the pool does this
     * first, through the export hook.
     *
     * @throws org.tarn.api.TarnException POOL_SUSPENDED (a suspended pool cannot sync), BUSY (a change did
     *     not finish in time)
     */
    void unmountAll(String pool);

    /** Mounts every target of an imported pool that is not mounted (after a failed export, say). */
    void mountAll(String pool);

    /** Marks every target of a pool failed: its pool was force-exported. Never waits. */
    void failAll(String pool, String reason);

    TargetSettings settings();

    void addListener(TargetListener listener);

    void removeListener(TargetListener listener);

    /** Unmounts every target (cleanly where possible) and stops listening to the pools. */
    @Override
    void close();
}
