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
 * @param missingTxgs    for a leaf, the transaction groups it missed (its dirty time log) as ranges,
 *                       e.g. {@code 12-40,45}; empty when it holds every txg (and for interior vdevs)
 * @param note           for a leaf, what {@code zpool status} says after it: {@code resilvering},
 *                       {@code awaiting resilver}, {@code replacing <path>}, {@code spare for <path>},
 *                       {@code offline}; empty when there is nothing to say
 */
public record VdevStatus(long guid, String type, String path, VdevState state,
                         long readErrors, long writeErrors, long checksumErrors,
                         List<VdevStatus> children, String missingTxgs, String note) {
    public VdevStatus {
        children = List.copyOf(children);
        missingTxgs = missingTxgs == null ? "" : missingTxgs;
        note = note == null ? "" : note;
    }

    /** A vdev with no missed txgs and nothing to note. */
    public VdevStatus(long guid, String type, String path, VdevState state, long readErrors, long writeErrors,
                      long checksumErrors, List<VdevStatus> children) {
        this(guid, type, path, state, readErrors, writeErrors, checksumErrors, children, "", "");
    }

    /** Whether this leaf (or a leaf below) misses txgs: it lacks data until a resilver copies it. */
    public boolean missesTxgs() {
        return !missingTxgs.isEmpty() || children.stream().anyMatch(VdevStatus::missesTxgs);
    }

    /** Whether this vdev is a leaf (a device). */
    public boolean isLeaf() {
        return children.isEmpty();
    }
}
