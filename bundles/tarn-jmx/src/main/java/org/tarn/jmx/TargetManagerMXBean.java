package org.tarn.jmx;

import static javax.management.MBeanOperationInfo.ACTION;

import javax.management.MXBean;
import javax.management.openmbean.TabularData;

/**
 * The storage targets of this process: {@code tarn:type=TargetManager}.
 * Open types only; failures arrive as in {@link PoolManagerMXBean}.
 */
@MXBean(false)
@Description("The storage targets (MDT/OST) of this process: list them and create new ones")
public interface TargetManagerMXBean {

    @Description("Every target known here (mounted, recovering or failed), one row per target indexed by "
            + "pool/name: pool, name, role, state, last transno, last_committed, recovery status")
    TabularData getTargets();

    @Description("The recovery window a target opens after a mount with known clients, in milliseconds")
    long getRecoveryWindowMillis();

    @Operation(desc = "Creates a target (a dataset target:<name>) in an imported pool and mounts it; it is on disk "
            + "when the call returns", impact = ACTION)
    void createTarget(
            @Parameter(name = "pool", desc = "An imported pool") String pool,
            @Parameter(name = "name", desc = "The target's name: letters, digits and _.- (up to 64)") String name,
            @Parameter(name = "role", desc = "MDT or OST") String role);
}
