package org.tarn.api;

/** The state of one vdev (leaf, mirror or top-level). */
public enum VdevState {
    /** Working. */
    ONLINE,
    /** A mirror with at least one child not ONLINE but at least one that is. */
    DEGRADED,
    /** Too many errors; the engine stopped using it. */
    FAULTED,
    /** The device is missing or could not be opened. */
    REMOVED,
    /** An operator took the device offline; nothing is read from or written to it until it is onlined. */
    OFFLINE
}
