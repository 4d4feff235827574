package org.tarn.api;

/**
 * Stable reasons for a {@link TarnException}. Append-only: a code's number never
 * changes and is never reused, so scripts and monitoring can match on it.
 */
public enum ErrorCode {
    /** An argument is malformed: a bad layout, property, name or range. */
    INVALID_ARGUMENT(1),
    /** No pool of that name or GUID is known here. */
    POOL_NOT_FOUND(2),
    /** A pool of that name is already imported in this process. */
    POOL_EXISTS(3),
    /** A device carries the label of an active pool; use force to override. */
    DEVICE_IN_USE(4),
    /** A device is smaller than the minimum vdev size. */
    DEVICE_TOO_SMALL(5),
    /** A device does not exist or cannot be opened. */
    DEVICE_MISSING(6),
    /** A device cannot be written. */
    DEVICE_READ_ONLY(7),
    /** A device returned an I/O error that no redundancy could mask. */
    IO_ERROR(8),
    /** Data read back did not match its checksum on any copy. */
    CHECKSUM_MISMATCH(9),
    /** The pool is suspended after failing to sync; see its failmode. */
    POOL_SUSPENDED(10),
    /** The pool was exported or force-exported; its handles are dead. */
    POOL_EXPORTED(11),
    /** The pool has no free space for the write. */
    NO_SPACE(12),
    /** No valid label or uberblock could be found on the devices. */
    NO_VALID_LABEL(13),
    /** The on-disk format is newer than this engine understands. */
    UNSUPPORTED_VERSION(14),
    /** A dataset or object does not exist. */
    NOT_FOUND(15),
    /** A dataset of that name already exists. */
    EXISTS(16),
    /** The pool or dataset is busy: open handles, or an operation in progress. */
    BUSY(17),
    /** The pool was imported read-only. */
    READ_ONLY(18),
    /** A wait for the pool exceeded its deadline. */
    TIMED_OUT(19),
    /** The pool's device set is incomplete: a top-level vdev is missing. */
    MISSING_VDEV(20),
    /** A concurrent import, export or force export of the same pool is running. */
    IN_PROGRESS(21),
    /** The pool is in use by another host. */
    POOL_IN_USE_ELSEWHERE(22),
    /** No vdev driver of the device's type is deployed (e.g. its driver bundle was removed). */
    DRIVER_MISSING(23),
    /** A storage target is in its recovery window: only known clients may reconnect and replay. */
    RECOVERING(24),
    /** A client of a storage target was evicted; it must reconnect as a new client. */
    EVICTED(25),
    /** The engine was stopped (closed); get a running engine or pool manager again. */
    ENGINE_STOPPED(26),
    /** A client failed the server's authentication (shared secret or certificate). */
    ACCESS_DENIED(27),
    /** The operation would leave some data without a readable copy (the last device holding some txgs). */
    NO_REPLICAS(28),
    /** The pool has no device of that path or GUID. */
    NO_SUCH_DEVICE(29);

    private final int number;

    ErrorCode(int number) {
        this.number = number;
    }

    /** The stable number of this code, as shown in messages ({@code TARN-8}). */
    public int number() {
        return number;
    }

    /** The code as printed in messages, e.g. {@code TARN-11}. */
    public String tag() {
        return "TARN-" + number;
    }
}
