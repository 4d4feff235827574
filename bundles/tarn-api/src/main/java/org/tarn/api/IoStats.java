package org.tarn.api;

import java.time.Instant;
import java.util.List;

/**
 * A sample of a pool's I/O statistics ({@code zpool iostat -v}).
 *
 * @param since   when counting began (the pool's import)
 * @param sampled when this sample was taken
 * @param vdevs   every vdev in tree order: the root (the pool's totals) first, then each top-level vdev
 *                followed by its children
 */
public record IoStats(Instant since, Instant sampled, List<VdevIoStats> vdevs) {
    public IoStats {
        vdevs = List.copyOf(vdevs);
    }

    /** The pool's totals (the root's row). */
    public VdevIoStats pool() {
        return vdevs.get(0);
    }
}
