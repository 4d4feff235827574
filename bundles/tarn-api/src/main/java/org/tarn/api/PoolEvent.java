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
    /** A resilver began: devices that missed txgs are being brought up to date. */
    public static final String RESILVER_STARTED = "resilver-started";
    /** A resilver ended; the detail says whether every device is now complete. */
    public static final String RESILVER_FINISHED = "resilver-finished";
    /** A scrub began (or resumed). */
    public static final String SCRUB_STARTED = "scrub-started";
    /** A scrub was paused. */
    public static final String SCRUB_PAUSED = "scrub-paused";
    /** A scrub ended; the detail gives the bytes repaired and the errors found. */
    public static final String SCRUB_FINISHED = "scrub-finished";
    /** A scrub was canceled. */
    public static final String SCRUB_CANCELED = "scrub-canceled";
    /** A device was attached (attach, replace). */
    public static final String VDEV_ATTACHED = "vdev-attached";
    /** A device was detached (detach, the end of a replace). */
    public static final String VDEV_DETACHED = "vdev-detached";
    /** A device was brought online. */
    public static final String VDEV_ONLINE = "vdev-online";
    /** A device was taken offline. */
    public static final String VDEV_OFFLINE = "vdev-offline";
    /** Top-level vdevs were added to the pool. */
    public static final String VDEV_ADDED = "vdev-added";

    /** Every event type the engine emits, in lifecycle order. */
    public static List<String> types() {
        return List.of(CREATED, IMPORTED, REWOUND, RENAMED, EXPORTING, EXPORTED, DESTROYED, FORCE_EXPORTED,
                SUSPENDED, RESUMED, VDEV_FAULTED, MULTIHOST_FAILED, RESILVER_STARTED, RESILVER_FINISHED,
                SCRUB_STARTED, SCRUB_PAUSED, SCRUB_FINISHED, SCRUB_CANCELED, VDEV_ATTACHED, VDEV_DETACHED,
                VDEV_ONLINE, VDEV_OFFLINE, VDEV_ADDED);
    }
}
