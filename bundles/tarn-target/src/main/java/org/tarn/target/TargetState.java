package org.tarn.target;

/** The lifecycle of a target in this process. */
public enum TargetState {
    /** Mounted after an import with known clients: only their reconnects and replays are served. */
    RECOVERING,
    /** Mounted and serving every client. */
    ACTIVE,
    /** A clean unmount is waiting for the last change and syncing. */
    UNMOUNTING,
    /** Cleanly unmounted (its pool was exported); this handle is dead. */
    UNMOUNTED,
    /** Its pool was force-exported or its dataset failed; this handle is dead, see the failure. */
    FAILED
}
