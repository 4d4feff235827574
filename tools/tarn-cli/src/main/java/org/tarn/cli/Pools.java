package org.tarn.cli;

import javax.management.ObjectName;

import org.tarn.jmx.ObjectNames;

/** Messages shared by both backends about missing MBeans. */
final class Pools {
    private Pools() {
    }

    /** The message for an MBean that is not registered, in the engine's words where it is a pool. */
    static String notRegistered(ObjectName mbean, String target) {
        if (ObjectNames.TYPE_POOL.equals(mbean.getKeyProperty("type"))) {
            return "TARN-2 no pool named '" + ObjectNames.poolName(mbean) + "' is imported here";
        }
        return "no Tarn engine at " + target + " (" + mbean + " is not registered)";
    }
}
