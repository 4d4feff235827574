package org.tarn.api;

/**
 * The I/O statistics of one vdev since the pool was imported, as {@code zpool
 * iostat} reports them: counters grow, so a rate is the difference of two
 * samples over the time between them. An interior vdev (and the root, the
 * pool) sums its children; a mirror's writes are counted on each child.
 *
 * <p>Latencies are from submission to completion (queueing included), in
 * histograms of {@link #BUCKETS} buckets: bucket {@code i} counts calls that
 * took {@code [2^i, 2^(i+1))} nanoseconds, the last one everything longer.
 *
 * @param guid            the vdev's GUID
 * @param name            as {@code zpool status} names it: the pool for the root, {@code mirror-0}, a device path
 * @param depth           0 for the root, 1 for top-level vdevs, 2 for the children of a mirror
 * @param allocatedBytes  for the root and top-level vdevs, bytes allocated; 0 for leaves of a mirror
 * @param freeBytes       for the root and top-level vdevs, bytes free; 0 for leaves of a mirror
 * @param readOps         reads completed
 * @param writeOps        writes completed
 * @param flushOps        cache flushes completed
 * @param readBytes       bytes read
 * @param writeBytes      bytes written
 * @param readNanos       total latency of the reads
 * @param writeNanos      total latency of the writes
 * @param flushNanos      total latency of the flushes
 * @param readLatency     histogram of read latencies
 * @param writeLatency    histogram of write latencies
 * @param flushLatency    histogram of flush latencies
 * @param queued          calls waiting for a device thread now
 * @param active          calls running on the device now
 * @param scanBytes       bytes of the totals read or written by scrubs and resilvers
 */
public record VdevIoStats(long guid, String name, int depth, long allocatedBytes, long freeBytes, long readOps,
                          long writeOps, long flushOps, long readBytes, long writeBytes, long readNanos,
                          long writeNanos, long flushNanos, long[] readLatency, long[] writeLatency,
                          long[] flushLatency, int queued, int active, long scanBytes) {
    /** Number of latency buckets. */
    public static final int BUCKETS = 38;

    public VdevIoStats {
        readLatency = readLatency.clone();
        writeLatency = writeLatency.clone();
        flushLatency = flushLatency.clone();
    }

    @Override
    public long[] readLatency() {
        return readLatency.clone();
    }

    @Override
    public long[] writeLatency() {
        return writeLatency.clone();
    }

    @Override
    public long[] flushLatency() {
        return flushLatency.clone();
    }
}
