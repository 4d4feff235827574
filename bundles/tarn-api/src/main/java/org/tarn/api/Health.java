package org.tarn.api;

/** The health of a pool or vdev, as {@code zpool status} shows it. */
public enum Health {
    /** Every device works. */
    ONLINE,
    /** Some redundancy is lost but all data is reachable. */
    DEGRADED,
    /** Data is unreachable. */
    FAULTED,
    /** The pool is suspended: it cannot sync. */
    SUSPENDED
}
