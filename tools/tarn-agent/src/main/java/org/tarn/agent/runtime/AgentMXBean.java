package org.tarn.agent.runtime;

/** MBean {@code tarn:type=Agent}: the Tarn Java agent running in this JVM. */
public interface AgentMXBean {
    /** The agent's version. */
    String getVersion();

    /** The options the agent was started with. */
    String getOptions();

    /** The engine's state directory. */
    String getStateDir();

    /** The device search paths. */
    String[] getSearchPaths();

    /** Names of the pools imported by the agent's engine. */
    String[] getPools();

    /** The Jolokia URL, empty when the agent serves no Jolokia. */
    String getJolokiaUrl();

    /** Exports every pool, unregisters every Tarn MBean, stops the agent's threads and unloads it. */
    void shutdown();
}
