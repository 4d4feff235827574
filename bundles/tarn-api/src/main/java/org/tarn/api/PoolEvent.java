package org.tarn.api;

import java.time.Instant;
import java.util.List;

/**
 * One entry of a pool's bounded event history.
 *
 * @param time   when it happened
 * @param type   what happened: one of {@link #types()}
 * @param detail why, for an operator
 */
public record PoolEvent(Instant time, String type, String detail) {
    /** The pool was created (and imported). */
    public static final String CREATED = "created";
    /** The pool was imported. */
    public static final String IMPORTED = "imported";
    /** The pool was imported at an older txg than its newest (rewind). */
    public static final String REWOUND = "rewound";
    /** The pool was imported under a new name. */
    public static final String RENAMED = "renamed";
    /** A clean export or destroy began: new transactions are refused, the last txg syncs. */
    public static final String EXPORTING = "exporting";
    /** The pool was exported cleanly; its labels say EXPORTED. */
    public static final String EXPORTED = "exported";
    /** The pool was destroyed: exported cleanly with its labels marked DESTROYED. */
    public static final String DESTROYED = "destroyed";
    /** The pool was force-exported: unsynced changes discarded, nothing written. */
    public static final String FORCE_EXPORTED = "force-exported";
    /** A txg could not be synced (or multihost failed): the pool is suspended. */
    public static final String SUSPENDED = "suspended";
    /** A suspended pool synced again. */
    public static final String RESUMED = "resumed";
    /** A leaf vdev failed (I/O error, timeout, label write error). */
    public static final String VDEV_FAULTED = "vdev-faulted";
    /** Multihost heartbeats could not be written: the pool stops writing. */
    public static final String MULTIHOST_FAILED = "multihost-failed";

    /** Every event type the engine emits, in lifecycle order. */
    public static List<String> types() {
        return List.of(CREATED, IMPORTED, REWOUND, RENAMED, EXPORTING, EXPORTED, DESTROYED, FORCE_EXPORTED,
                SUSPENDED, RESUMED, VDEV_FAULTED, MULTIHOST_FAILED);
    }
}
