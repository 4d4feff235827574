package org.tarn.api.vdev;

/**
 * How a {@link BlockDevice}'s uncached transfers ({@link BlockDevice#readUncached},
 * {@link BlockDevice#writeUncached}) reach the medium. What one host must learn
 * from another that shares the device (labels, uberblocks, multihost
 * heartbeats) is only safe with {@link #DIRECT}.
 */
public enum UncachedMode {
    /**
     * Both directions bypass every cache of this host ({@code O_DIRECT} or an
     * equivalent): a read returns what the device holds, whichever host wrote
     * it, and a write has left this host when it returns.
     */
    DIRECT,
    /**
     * The fallback where the device or its file system refuses direct I/O:
     * writes are followed by a flush, so they reach the device before the call
     * returns, but reads may be served from this host's page cache and can
     * miss what another host wrote since. Safe only when no other host writes
     * the device.
     */
    WRITE_THROUGH
}
