package org.tarn.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Takes part in the exports of an engine's pools, synchronously: a service
 * that keeps a pool's datasets open (storage targets, say) lets go of them
 * before a clean export, takes them again when that export fails, and stops
 * using them when the pool is force-exported. Register it with
 * {@link PoolManager#addExportHook}; the engine calls it for every export,
 * whoever asks for it (an operator, the engine's own shutdown, failmode
 * {@code export}).
 */
@ConsumerType
public interface ExportHook {

    /**
     * Called before a clean export or destroy, on the exporting thread, while
     * the pool is still imported and writable: close what this hook holds
     * open on it (syncing what it must). Throw a {@link TarnException} to
     * refuse the export; it then fails with that exception and the hooks
     * already called get {@link #exportFailed}.
     */
    void beforeExport(Pool pool);

    /**
     * The clean export of a pool failed after {@link #beforeExport}: the pool
     * is still imported; take back what was closed.
     */
    default void exportFailed(Pool pool, TarnException cause) {
    }

    /**
     * The pool was force-exported (its handles are dead): fail what this
     * hook held on it. Must not block or touch the pool's devices.
     *
     * @param pool     the pool's name
     * @param poolGuid its GUID, to tell this import of the name from a later one
     * @param reason   why, for messages
     */
    default void forceExported(String pool, long poolGuid, String reason) {
    }
}
