package org.tarn.osgi.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the engine, PID {@value EngineComponent#PID}. */
@ObjectClassDefinition(name = "Tarn engine", description = "Settings of the Tarn pool engine. A change "
        + "restarts the engine: every pool is exported cleanly and the pools in the cache file are imported again.")
@interface EngineConfig {

    @AttributeDefinition(name = "State directory", description = "Where the engine keeps its host id and "
            + "its cache file of imported pools. Empty: the bundle's private data area.")
    String stateDir() default "";

    @AttributeDefinition(name = "Search paths", description = "Directories scanned for devices when an "
            + "import names none.")
    String[] searchPaths() default {};

    @AttributeDefinition(name = "I/O timeout (ms)", description = "How long a device I/O may take before it "
            + "counts as failed; 0 or less: the engine's default.", min = "0")
    long ioTimeoutMillis() default 0;

    @AttributeDefinition(name = "Block cache budget (bytes)", description = "Bytes of data and metadata "
            + "blocks the engine keeps in memory, one budget for all its pools (an adaptive replacement cache); "
            + "0 or less: the engine's default, an eighth of the JVM's maximum heap (at least 16 MiB, at most "
            + "half the heap).", min = "0")
    long blockCacheBytes() default 0;

    @AttributeDefinition(name = "Host id", description = "This engine's host id (hexadecimal), written into "
            + "the labels of the pools it imports. Empty: the one kept in the state directory (created once).")
    String hostId() default "";

    @AttributeDefinition(name = "Shutdown export deadline (ms)", description = "How long stopping the engine "
            + "waits for the clean export of a pool before it force-exports it; 0 or less: the engine's default.",
            min = "0")
    long shutdownExportMillis() default 0;

    @AttributeDefinition(name = "Confine paths to the search paths", description = "Whether every caller of "
            + "the engine (its MBeans, JMX and Jolokia clients, other bundles) may name only devices and directories "
            + "under the search paths, so that a remote caller cannot read or overwrite arbitrary files. "
            + "Turn off only when no management front end is deployed.")
    boolean confinePaths() default true;

    @AttributeDefinition(name = "Link targets", description = "With confined paths: directories that symbolic "
            + "links under the search paths may point into (such as /dev, for /dev/disk/by-id links). A link "
            + "that leads anywhere else is refused.")
    String[] linkTargets() default {};
}
