package org.tarn.api;

import java.util.List;

/**
 * A snapshot of one vdev in a pool's tree with its error counters.
 *
 * @param guid           the vdev's GUID, unique within the pool
 * @param type           {@code root}, {@code mirror} or the leaf driver type
 * @param path           the device path of a leaf; the type for interior vdevs
 * @param state          the vdev's state
 * @param readErrors     failed reads since import or the last clear
 * @param writeErrors    failed writes since import or the last clear
 * @param checksumErrors reads whose data did not match its checksum
 * @param children       child vdevs; empty for a leaf
 */
public record VdevStatus(long guid, String type, String path, VdevState state,
                         long readErrors, long writeErrors, long checksumErrors,
                         List<VdevStatus> children) {
    public VdevStatus {
        children = List.copyOf(children);
    }

    /** Whether this vdev is a leaf (a device). */
    public boolean isLeaf() {
        return children.isEmpty();
    }
}
