package org.tarn.engine;

import java.nio.file.Path;
import java.util.Optional;

import org.tarn.engine.pool.HostIdentity;
import org.tarn.engine.pool.PoolDefaults;

/**
 * Settings of one engine instance.
 *
 * @param host            this instance's host identity
 * @param ioTimeoutMillis how long a device I/O may take before it counts as failed
 * @param stateDir        where the engine keeps its state (host id, cache file); empty for none
 * @param shutdownExportMillis how long closing the engine waits for a clean export of a pool
 *                        before it force-exports it
 */
public record EngineSettings(HostIdentity host, long ioTimeoutMillis, Optional<Path> stateDir,
                             long shutdownExportMillis) {

    /** Settings with a random host id, for tests and embedded use. */
    public static EngineSettings ephemeral() {
        long id = 0;
        while (id == 0) {
            id = new java.security.SecureRandom().nextInt() & 0xffffffffL;
        }
        return new EngineSettings(new HostIdentity(id, localHostname()), PoolDefaults.IO_TIMEOUT_MILLIS,
                Optional.empty(), PoolDefaults.SHUTDOWN_EXPORT_MILLIS);
    }

    public EngineSettings withIoTimeoutMillis(long millis) {
        return new EngineSettings(host, millis, stateDir, shutdownExportMillis);
    }

    public EngineSettings withShutdownExportMillis(long millis) {
        return new EngineSettings(host, ioTimeoutMillis, stateDir, millis);
    }

    public EngineSettings withHost(HostIdentity newHost) {
        return new EngineSettings(newHost, ioTimeoutMillis, stateDir, shutdownExportMillis);
    }

    static String localHostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
