package org.tarn.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;

/**
 * Settings of one engine instance.
 *
 * @param host                 this instance's host identity
 * @param ioTimeoutMillis      how long a device I/O may take before it counts as failed
 * @param stateDir             where the engine keeps its state (host id, cache file); empty for none
 * @param shutdownExportMillis how long closing the engine waits for a clean export of a pool
 *                             before it force-exports it
 * @param searchPaths          directories scanned for devices when an import names none
 * @param pathPolicy           which devices and directories callers may name
 * @param blockCacheBytes      the fixed budget of the block cache (data and metadata), one for all pools of
 *                             the engine; 0 turns the cache off. Default
 *                             {@link EngineDefaults#blockCacheBytes(long)} of the heap
 */
public record EngineSettings(HostIdentity host, long ioTimeoutMillis, Optional<Path> stateDir,
                             long shutdownExportMillis, List<Path> searchPaths, PathPolicy pathPolicy,
                             long blockCacheBytes) {

    /** Name of the host id file in the state directory. */
    public static final String HOSTID_FILE = "hostid";
    /** Name of the cache file in the state directory. */
    public static final String CACHE_FILE = "tarn.cache";

    public EngineSettings {
        searchPaths = List.copyOf(searchPaths);
        Objects.requireNonNull(pathPolicy, "pathPolicy");
        if (blockCacheBytes < 0) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "the block cache budget must be 0 (off) or more "
                    + "bytes, got " + blockCacheBytes);
        }
    }

    /** Settings without a block cache budget of their own: the default for this JVM's heap. */
    public EngineSettings(HostIdentity host, long ioTimeoutMillis, Optional<Path> stateDir,
                          long shutdownExportMillis, List<Path> searchPaths, PathPolicy pathPolicy) {
        this(host, ioTimeoutMillis, stateDir, shutdownExportMillis, searchPaths, pathPolicy,
                EngineDefaults.blockCacheBytes(Runtime.getRuntime().maxMemory()));
    }

    /** Settings with a random host id and no state, for tests and embedded use. */
    public static EngineSettings ephemeral() {
        return new EngineSettings(new HostIdentity(randomHostId(), localHostname()), EngineDefaults.IO_TIMEOUT_MILLIS,
                Optional.empty(), EngineDefaults.SHUTDOWN_EXPORT_MILLIS, List.of(), PathPolicy.unrestricted());
    }

    /**
     * Settings backed by a state directory: the host id is read from
     * {@code stateDir/hostid}, or created there once, so that restarts keep
     * the identity and two engines with different state directories act as
     * two hosts. The cache file lives there too.
     */
    public static EngineSettings persistent(Path stateDir) {
        try {
            Files.createDirectories(stateDir);
            Path file = stateDir.resolve(HOSTID_FILE);
            long id;
            if (Files.exists(file)) {
                String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
                try {
                    id = Long.parseLong(text, 16);
                } catch (NumberFormatException e) {
                    throw new TarnException(ErrorCode.INVALID_ARGUMENT, "host id file " + file
                            + " does not hold a hexadecimal host id: '" + text + "'");
                }
            } else {
                id = randomHostId();
                Path tmp = stateDir.resolve(HOSTID_FILE + ".tmp");
                Files.writeString(tmp, String.format("%08x%n", id), StandardCharsets.US_ASCII);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            return new EngineSettings(new HostIdentity(id, localHostname()), EngineDefaults.IO_TIMEOUT_MILLIS,
                    Optional.of(stateDir), EngineDefaults.SHUTDOWN_EXPORT_MILLIS, List.of(),
                    PathPolicy.unrestricted());
        } catch (IOException e) {
            throw new TarnException(ErrorCode.IO_ERROR, "cannot use state directory " + stateDir + ": "
                    + e.getMessage(), e);
        }
    }

    private static long randomHostId() {
        long id = 0;
        SecureRandom rnd = new SecureRandom();
        while (id == 0) {
            id = rnd.nextInt() & 0xffffffffL;
        }
        return id;
    }

    public EngineSettings withIoTimeoutMillis(long millis) {
        return new EngineSettings(host, millis, stateDir, shutdownExportMillis, searchPaths, pathPolicy,
                blockCacheBytes);
    }

    public EngineSettings withShutdownExportMillis(long millis) {
        return new EngineSettings(host, ioTimeoutMillis, stateDir, millis, searchPaths, pathPolicy,
                blockCacheBytes);
    }

    public EngineSettings withHost(HostIdentity newHost) {
        return new EngineSettings(newHost, ioTimeoutMillis, stateDir, shutdownExportMillis, searchPaths, pathPolicy,
                blockCacheBytes);
    }

    public EngineSettings withSearchPaths(List<Path> paths) {
        return new EngineSettings(host, ioTimeoutMillis, stateDir, shutdownExportMillis, paths, pathPolicy,
                blockCacheBytes);
    }

    /** The same settings with another policy for the paths callers may name. */
    public EngineSettings withPathPolicy(PathPolicy policy) {
        return new EngineSettings(host, ioTimeoutMillis, stateDir, shutdownExportMillis, searchPaths, policy,
                blockCacheBytes);
    }

    /**
     * The same settings with another block cache budget: bytes of blocks the
     * engine keeps in memory over all its pools; 0 turns the cache off.
     */
    public EngineSettings withBlockCacheBytes(long bytes) {
        return new EngineSettings(host, ioTimeoutMillis, stateDir, shutdownExportMillis, searchPaths, pathPolicy,
                bytes);
    }

    /** The cache file, when there is a state directory. */
    public Optional<Path> cacheFile() {
        return stateDir.map(d -> d.resolve(CACHE_FILE));
    }

    static String localHostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
