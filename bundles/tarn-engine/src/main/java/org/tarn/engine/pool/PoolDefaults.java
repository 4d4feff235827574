package org.tarn.engine.pool;

import java.util.LinkedHashMap;
import java.util.Map;

import org.tarn.api.PoolProperty;

/** Every default and tunable of a pool, in one place. */
public final class PoolDefaults {
    /** Transaction groups a freed block stays allocated, so a rewind finds it intact. */
    public static final int FREE_DEFER_TXGS = 2;
    /** Default size of a data block. */
    public static final int RECORD_SIZE_BYTES = 128 * 1024;
    /** Smallest and largest data block sizes accepted. */
    public static final int MIN_RECORD_SIZE_BYTES = 4096;
    public static final int MAX_RECORD_SIZE_BYTES = 1024 * 1024;
    /** Dirty bytes at which a transaction group starts to sync. */
    public static final long TXG_DIRTY_LIMIT_BYTES = 16L * 1024 * 1024;
    /** An open group with changes syncs at the latest after this long. */
    public static final long TXG_TIMEOUT_MILLIS = 5000;
    /** Dirty bytes at which new transactions block until a sync completes. */
    public static final long DIRTY_MAX_BYTES = 64L * 1024 * 1024;
    /** Fraction of {@link #DIRTY_MAX_BYTES} above which new transactions are delayed. */
    public static final double THROTTLE_START_FRACTION = 0.6;
    /** Longest delay one throttled transaction gets. */
    public static final long THROTTLE_MAX_DELAY_MILLIS = 100;
    /** How long a device I/O may take before the engine treats it as failed. */
    public static final long IO_TIMEOUT_MILLIS = 10_000;
    /** How long closing the engine waits for a pool's clean export before force-exporting it. */
    public static final long SHUTDOWN_EXPORT_MILLIS = 10_000;
    /** Bytes a sync may allocate per byte of dirty data, counting the metadata it rewrites. */
    public static final long SYNC_SPACE_FACTOR = 3;
    /** Fraction of capacity kept free so that syncs never run out of space. */
    public static final double SLOP_FRACTION = 1.0 / 32;
    /** Budget of the per-pool metadata block cache. */
    public static final long BLOCK_CACHE_BYTES = 16L * 1024 * 1024;
    /** Size of an indirect block (256 block pointers). */
    public static final int INDIRECT_BLOCK_BYTES = 16 * 1024;
    /** Size of a block of the dnode array (128 dnodes). */
    public static final int DNODE_BLOCK_BYTES = 16 * 1024;
    /** Threads per leaf device executor. */
    public static final int IO_THREADS_PER_LEAF = 2;
    /** Events kept per pool. */
    public static final int EVENT_HISTORY = 256;

    private PoolDefaults() {
    }

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
        DEFAULT_PROPERTIES = java.util.Collections.unmodifiableMap(p);
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
