package org.tarn.api;

/**
 * Names of pool properties. Values travel as strings; defaults live in the
 * engine. Unknown names are refused.
 */
public final class PoolProperty {
    /** {@code wait}, {@code continue} or {@code export}: what a suspended pool does. */
    public static final String FAILMODE = "failmode";
    /** {@code crc32c} (default) or {@code sha256}: checksum of newly written blocks. */
    public static final String CHECKSUM = "checksum";
    /** {@code on} or {@code off}: multihost (heartbeat) protection. */
    public static final String MULTIHOST = "multihost";
    /** Bytes of dirty data at which a transaction group starts to sync. */
    public static final String TXG_DIRTY_LIMIT_BYTES = "txg.dirtyLimitBytes";
    /** Milliseconds after which an open transaction group with changes syncs. */
    public static final String TXG_TIMEOUT_MILLIS = "txg.timeoutMillis";
    /** Bytes of dirty data at which writers block until a sync completes. */
    public static final String DIRTY_MAX_BYTES = "dirtyMaxBytes";
    /** Size in bytes of a data block (power of two, 4 KiB .. 1 MiB). */
    public static final String RECORD_SIZE_BYTES = "recordSizeBytes";
    /** A free-form operator comment. */
    public static final String COMMENT = "comment";
    /**
     * Percent (1..100) of device time a scrub or resilver may take while the
     * pool serves other I/O; an idle pool scans at full speed.
     */
    public static final String SCAN_SHARE_PERCENT = "scan.sharePercent";

    private PoolProperty() {
    }
}
