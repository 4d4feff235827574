package org.tarn.api;

/** The lifecycle state of a pool in this process. */
public enum PoolState {
    /** Labels are being read and the pool assembled; not yet usable. */
    IMPORTING,
    /** Imported and serving. */
    ACTIVE,
    /**
     * A transaction group could not be synced, or (multihost) the heartbeat
     * could not be written; nothing more is synced until clear. See the
     * pool's failmode.
     */
    SUSPENDED,
    /** A clean export is closing, syncing and labelling the pool. */
    EXPORTING,
    /** Exported (cleanly or forced); every handle is dead. */
    EXPORTED
}
