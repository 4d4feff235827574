package org.tarn.api;

/**
 * Counters of the engine's block cache (the ARC): for one pool since its
 * import ({@link Pool#blockCacheStats()}), or for the whole engine since it
 * started ({@link PoolManager#blockCacheStats()}). The budget is one per
 * engine, shared by all its pools.
 *
 * @param budgetBytes the engine's fixed cache budget in bytes
 * @param sizeBytes   bytes of blocks cached now (of this pool, or of all pools)
 * @param hits        block reads answered from memory
 * @param misses      block reads that had to go to the devices
 * @param evictions   blocks dropped to stay within the budget
 * @since 0.4.0
 */
public record BlockCacheStats(long budgetBytes, long sizeBytes, long hits, long misses, long evictions) {

    /** No cache (a pool or engine that does not count). */
    public static final BlockCacheStats NONE = new BlockCacheStats(0, 0, 0, 0, 0);

    /** Hits over all counted reads, 0 when none was counted. */
    public double hitRatio() {
        long reads = hits + misses;
        return reads == 0 ? 0 : (double) hits / reads;
    }
}
