package org.tarn.api;

import java.util.List;

/**
 * A pool found by scanning devices, as {@code zpool import} lists it.
 *
 * @param name        the pool's name
 * @param guid        the pool's GUID
 * @param state       the state its labels record: ACTIVE, EXPORTED or DESTROYED
 * @param hostId      the host that last imported it
 * @param hostname    that host's name
 * @param txg         the newest transaction group found
 * @param lastWrittenMillis when that group was written (epoch milliseconds)
 * @param vdevTree    its devices: ONLINE when found, REMOVED when missing
 * @param problems    what would stop or degrade an import, for an operator
 * @param importable  whether an import can succeed (possibly with force)
 */
public record ImportablePool(String name, long guid, String state, long hostId, String hostname, long txg,
                             long lastWrittenMillis, VdevStatus vdevTree, List<String> problems,
                             boolean importable) {
    public ImportablePool {
        problems = List.copyOf(problems);
    }
}
