package org.tarn.api;

import java.util.List;

/**
 * How long a pool's transaction group syncs took since it was imported: a
 * histogram with fixed buckets, as monitoring systems (Prometheus) keep them.
 * A sync is counted once it completed (its uberblock is on disk); a failed
 * attempt is not, and its retry counts from its own start.
 *
 * @param upperBoundsSeconds the buckets' inclusive upper bounds, ascending
 * @param bucketCounts       syncs per bucket (not cumulative): one more entry
 *                           than {@code upperBoundsSeconds}, the last for
 *                           longer syncs
 * @param sumSeconds         the total time of the syncs counted
 */
public record SyncTimes(List<Double> upperBoundsSeconds, List<Long> bucketCounts, double sumSeconds) {

    /** No syncs counted, and no buckets (a pool that does not count them). */
    public static final SyncTimes NONE = new SyncTimes(List.of(), List.of(0L), 0);

    public SyncTimes {
        upperBoundsSeconds = List.copyOf(upperBoundsSeconds);
        bucketCounts = List.copyOf(bucketCounts);
        if (bucketCounts.size() != upperBoundsSeconds.size() + 1) {
            throw new IllegalArgumentException("need " + (upperBoundsSeconds.size() + 1) + " bucket counts for "
                    + upperBoundsSeconds.size() + " upper bounds, got " + bucketCounts.size());
        }
        for (int i = 1; i < upperBoundsSeconds.size(); i++) {
            if (!(upperBoundsSeconds.get(i) > upperBoundsSeconds.get(i - 1))) {
                throw new IllegalArgumentException("upper bounds must ascend: " + upperBoundsSeconds);
            }
        }
    }

    /** The number of syncs counted. */
    public long count() {
        return bucketCounts.stream().mapToLong(Long::longValue).sum();
    }
}
