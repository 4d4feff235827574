package org.tarn.engine;

/**
 * Who this engine instance is, as written into the labels of the pools it
 * imports: a stable numeric host id and a host name.
 *
 * @param hostId   non-zero, stable across restarts
 * @param hostname for messages
 */
public record HostIdentity(long hostId, String hostname) {
    public HostIdentity {
        if (hostId == 0) {
            throw new IllegalArgumentException("hostid must not be 0");
        }
    }

    /** The hostid as {@code hostid} prints it. */
    public String hex() {
        return String.format("%08x", hostId);
    }
}
