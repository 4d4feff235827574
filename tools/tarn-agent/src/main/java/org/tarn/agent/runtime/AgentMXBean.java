package org.tarn.agent.runtime;

import javax.management.MBeanOperationInfo;

import org.tarn.jmx.Description;
import org.tarn.jmx.Operation;

/** MBean {@code tarn:type=Agent}: the Tarn Java agent running in this JVM. */
@Description("The Tarn Java agent running in this JVM: its engine, options and pools; shutdown() unloads it")
public interface AgentMXBean {
    @Description("Version of the Tarn agent")
    String getVersion();

    @Description("Options the agent was started with (key=value,key=value)")
    String getOptions();

    @Description("The engine's state directory: host id and the cache of pools to re-import")
    String getStateDir();

    @Description("Directories devices are searched in; management may name devices only there")
    String[] getSearchPaths();

    @Description("Names of the pools imported by the agent's engine, sorted")
    String[] getPools();

    @Description("URL of the agent's Jolokia on loopback; empty when it serves none")
    String getJolokiaUrl();

    @Operation(desc = "Exports every pool (they stay cached and are re-imported at the next start), unregisters "
            + "every Tarn MBean, stops the agent's threads and unloads it; attach again to restart",
            impact = MBeanOperationInfo.ACTION)
    void shutdown();
}
