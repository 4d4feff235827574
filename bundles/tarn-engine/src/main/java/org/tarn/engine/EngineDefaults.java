package org.tarn.engine;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.tarn.api.PoolProperty;

/**
 * Every tunable of the engine and the default of every pool property, in one
 * place. On-disk format constants are not tunables and live with their layer
 * ({@link org.tarn.engine.dmu.DmuFormat}, {@link org.tarn.engine.label.LabelLayout}).
 */
public final class EngineDefaults {
    /** Default size of a data block (property {@code recordsize}). */
    public static final int RECORD_SIZE_BYTES = 128 * 1024;
    /** Dirty bytes at which a transaction group starts to sync. */
    public static final long TXG_DIRTY_LIMIT_BYTES = 16L * 1024 * 1024;
    /** An open group with changes syncs at the latest after this long. */
    public static final long TXG_TIMEOUT_MILLIS = 5000;
    /** Dirty bytes at which new transactions block until a sync completes. */
    public static final long DIRTY_MAX_BYTES = 64L * 1024 * 1024;
    /**
     * Percent of the pool's dirty maximum above which new transactions are
     * delayed (OpenZFS {@code zfs_delay_min_dirty_percent}).
     */
    public static final int DELAY_MIN_DIRTY_PERCENT = 60;
    /**
     * Scale of the write throttle's curve, nanoseconds: the delay is
     * {@code scale * (dirty - min) / (max - dirty)}, so this is the delay at
     * the curve's midpoint (OpenZFS {@code zfs_delay_scale}, 500 µs).
     */
    public static final long DELAY_SCALE_NANOS = 500_000;
    /**
     * Percent of the pool's dirty maximum at which the open group starts to
     * sync, before its timeout (OpenZFS {@code zfs_dirty_data_sync_percent}).
     */
    public static final int DIRTY_SYNC_PERCENT = 20;
    /** How long a device I/O may take before the engine treats it as failed. */
    public static final long IO_TIMEOUT_MILLIS = 10_000;
    /** How long closing the engine waits for a pool's clean export before force-exporting it. */
    public static final long SHUTDOWN_EXPORT_MILLIS = 10_000;
    /** Bytes a sync may allocate per byte of dirty data, counting the metadata it rewrites. */
    public static final long SYNC_SPACE_FACTOR = 3;
    /**
     * Longest a writer waits for earlier transaction groups to sync when
     * their unsynced data is what keeps its own change from fitting; past it
     * the change is refused with NO_SPACE.
     */
    public static final long SPACE_WAIT_MILLIS = 30_000;
    /** Fraction of capacity kept free so that syncs never run out of space. */
    public static final double SLOP_FRACTION = 1.0 / 32;
    /** Default block cache budget as a fraction of the JVM's maximum heap: one eighth. */
    public static final int BLOCK_CACHE_HEAP_DIVISOR = 8;
    /** The default block cache budget is never below this (small heaps), nor above half the heap. */
    public static final long BLOCK_CACHE_MIN_BYTES = 16L * 1024 * 1024;
    /** Budget of the cache a probe (an import's look at a pool) reads through. */
    public static final long PROBE_CACHE_BYTES = 1L << 20;
    /** Events kept per pool. */
    public static final int EVENT_HISTORY = 256;
    /** Size at which the state directory's events.log is moved aside to events.log.1 (two files at most). */
    public static final long EVENT_LOG_BYTES = 1024L * 1024;
    /** Largest merged device write of a sync. */
    public static final int SYNC_RUN_BYTES = 1024 * 1024;
    /** Bytes written to one top-level vdev before the allocator moves to the next. */
    public static final long ROTOR_BYTES = 1024 * 1024;
    /** Default of {@code scan.sharePercent}: a scan's share of device time while the pool serves other I/O. */
    public static final int SCAN_SHARE_PERCENT = 20;
    /** The pool served other I/O this recently: a scan throttles itself to its share. */
    public static final long SCAN_BUSY_WINDOW_MILLIS = 100;
    /** How long a clean export waits for the scan thread to leave its batch. */
    public static final long SCAN_STOP_WAIT_MILLIS = 10_000;
    /** Bytes of blocks a scan gathers, sorts by address and issues at once (bounded memory). */
    public static final long SCAN_BATCH_BYTES = 64L * 1024 * 1024;
    /** Block pointers a scan gathers at most per batch, whatever their size. */
    public static final int SCAN_BATCH_BLOCKS = 16_384;
    /** Largest device read (or write) a scan issues: adjacent blocks are merged up to this. */
    public static final int SCAN_IO_BYTES = 1024 * 1024;
    /** Scan reads (or copies) in flight at once per pool. */
    public static final int SCAN_IO_PARALLEL = 4;
    /** Damaged blocks a pool remembers for {@code status -v}. */
    public static final int DATA_ERRORS_KEPT = 100;
    /** Entries a pool keeps in its history (the first, its creation, is always kept). */
    public static final int HISTORY_ENTRIES = 1000;
    /** Longest history entry kept, in characters. */
    public static final int HISTORY_ENTRY_CHARS = 1024;

    /**
     * Upper bounds (milliseconds) of the buckets of a pool's txg sync time
     * histogram ({@code Pool.syncTimes()}): from a sync of a few blocks on a
     * fast device to one that waits out a slow or retrying device.
     */
    public static final List<Long> SYNC_TIME_BUCKETS_MILLIS = List.of(1L, 2L, 5L, 10L, 25L, 50L, 100L, 250L, 500L,
            1000L, 2500L, 5000L, 10000L, 30000L);

    private static final Map<String, String> DEFAULT_PROPERTIES;

    static {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(PoolProperty.FAILMODE, "wait");
        p.put(PoolProperty.CHECKSUM, "crc32c");
        p.put(PoolProperty.MULTIHOST, "off");
        p.put(PoolProperty.TXG_DIRTY_LIMIT_BYTES, Long.toString(TXG_DIRTY_LIMIT_BYTES));
        p.put(PoolProperty.TXG_TIMEOUT_MILLIS, Long.toString(TXG_TIMEOUT_MILLIS));
        p.put(PoolProperty.DIRTY_MAX_BYTES, Long.toString(DIRTY_MAX_BYTES));
        p.put(PoolProperty.RECORD_SIZE_BYTES, Integer.toString(RECORD_SIZE_BYTES));
        p.put(PoolProperty.COMMENT, "");
        p.put(PoolProperty.SCAN_SHARE_PERCENT, Integer.toString(SCAN_SHARE_PERCENT));
        DEFAULT_PROPERTIES = Collections.unmodifiableMap(p);
    }

    private EngineDefaults() {
    }

    /**
     * The default block cache budget for a heap of {@code maxHeapBytes}
     * ({@link Runtime#maxMemory()}): an eighth of it, at least
     * {@link #BLOCK_CACHE_MIN_BYTES} but never more than half the heap.
     */
    public static long blockCacheBytes(long maxHeapBytes) {
        return Math.min(maxHeapBytes / 2, Math.max(BLOCK_CACHE_MIN_BYTES, maxHeapBytes / BLOCK_CACHE_HEAP_DIVISOR));
    }

    /** The default value of every pool property (a new, modifiable copy). */
    public static Map<String, String> properties() {
        return new LinkedHashMap<>(DEFAULT_PROPERTIES);
    }

    /** The default of one property, or null for an unknown name. */
    public static String defaultOf(String property) {
        return DEFAULT_PROPERTIES.get(property);
    }

    /** Whether a property name is known. */
    public static boolean isKnown(String property) {
        return DEFAULT_PROPERTIES.containsKey(property);
    }
}
