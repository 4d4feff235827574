package org.tarn.api;

import java.util.List;

/**
 * The result of scanning directories for pools.
 *
 * @param pools   the pools found, by name then GUID
 * @param skipped files that were skipped, with the reason
 */
public record ImportScan(List<ImportablePool> pools, List<SkippedDevice> skipped) {
    public ImportScan {
        pools = List.copyOf(pools);
        skipped = List.copyOf(skipped);
    }
}
