package org.tarn.api;

import java.util.Objects;

/**
 * An import under way, as {@code zpool status} shows one: the pool, the step
 * it is in, and how long that step still takes when that is known.
 *
 * @param pool            the pool being imported (its name on the devices)
 * @param phase           the step, e.g. {@code "checking multihost activity"}
 * @param remainingMillis how long the step still takes at most; -1 when unknown
 */
public record ImportProgress(String pool, String phase, long remainingMillis) {
    /** The phase of the multihost activity check, which waits a bounded time for another host's heartbeat. */
    public static final String MULTIHOST_CHECK = "checking multihost activity";

    public ImportProgress {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(phase, "phase");
    }

    /** One line for an operator: {@code "ost1: checking multihost activity, 2.4 s left"}. */
    @Override
    public String toString() {
        return pool + ": " + phase + (remainingMillis < 0 ? "" : String.format(java.util.Locale.ROOT,
                ", %.1f s left", remainingMillis / 1000.0));
    }
}
