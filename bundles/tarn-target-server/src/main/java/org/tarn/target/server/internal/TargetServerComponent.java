package org.tarn.target.server.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.TargetService;
import org.tarn.target.server.TargetServer;
import org.tarn.target.server.TargetServerSettings;
import org.tarn.target.server.TargetServers;

/**
 * The target server in OSGi: serves the {@link TargetService} service with
 * the settings of ConfigAdmin PID {@value #PID} (defaults without one) and
 * registers the running server as a {@link TargetServer} service. A static
 * reference: a new target service (engine restart, configuration change)
 * restarts the server, and clients reconnect. Immediate, so it listens as
 * soon as the targets are there.
 */
@Component(service = TargetServer.class, immediate = true, configurationPid = TargetServerComponent.PID,
        property = "service.description=Tarn target server")
@Designate(ocd = ServerConfig.class)
public final class TargetServerComponent implements TargetServer {
    /** Configuration PID of the target server. */
    public static final String PID = "org.tarn.target.server";
    private static final Logger LOG = LoggerFactory.getLogger(TargetServerComponent.class);
    private static final String NETTY_JFR = "io.netty.jfr.enabled";

    private final TargetServer server;
    private final TargetServerSettings settings;

    @Activate
    public TargetServerComponent(@Reference TargetService targets, ServerConfig config) {
        this.settings = settings(config);
        if (!config.enabled()) {
            LOG.info("target server disabled by configuration {}", PID);
            this.server = null;
            return;
        }
        warnIfExposed(settings);
        if (System.getProperty(NETTY_JFR) == null) {
            // Netty's buffers emit JDK Flight Recorder events; in an OSGi framework their event class fails to
            // initialize (NoClassDefFoundError for io.netty.buffer.AllocateChunkEvent on the first allocation).
            // Netty reads this once, when its first class loads: here, before the server starts.
            System.setProperty(NETTY_JFR, "false");
        }
        this.server = TargetServers.start(targets, settings);
    }

    /** The settings of a configuration, checked. */
    static TargetServerSettings settings(ServerConfig c) {
        TargetServerSettings s = TargetServerSettings.defaults().withHost(c.host()).withPort(c.port())
                .withServerName(c.serverName()).withMaxFrameBytes(c.maxFrameBytes()).withMaxInFlight(c.maxInFlight())
                .withIdleTimeoutMillis(c.idleTimeoutMillis()).withThreadsPerTarget(c.threadsPerTarget())
                .withQueuePerTarget(c.queuePerTarget());
        if (!c.secretFile().isBlank()) {
            s = s.withSecret(readSecret(Path.of(c.secretFile())));
        }
        if (!c.tlsKeystore().isBlank()) {
            s = s.withTls(new TargetServerSettings.Tls(Path.of(c.tlsKeystore()), c.tlsKeystorePassword().toCharArray(),
                    c.tlsTruststore().isBlank() ? null : Path.of(c.tlsTruststore()),
                    c.tlsTruststorePassword().toCharArray(), c.tlsNeedClientAuth()));
        }
        return s;
    }

    /** The first line of a secret file that only its owner may read. */
    public static byte[] readSecret(Path file) {
        try {
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                    throw new TarnException(ErrorCode.INVALID_ARGUMENT, "target server secret file " + file + " can be "
                            + "read by others; chmod 600 it");
                }
            } catch (UnsupportedOperationException notPosix) {
                // no POSIX permissions to check on this file system
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isBlank()) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "target server secret file " + file + " is empty");
            }
            return lines.get(0).strip().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "cannot read the target server secret file " + file
                    + ": " + e.getMessage(), e);
        }
    }

    private static void warnIfExposed(TargetServerSettings s) {
        boolean loopback;
        try {
            loopback = InetAddress.getByName(s.host()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            loopback = false;
        }
        if (!loopback && (s.tls() == null || (s.secret() == null && !s.tls().needClientAuth()))) {
            LOG.warn("SECURITY: the target server listens on {} without {}; any host that reaches it can change "
                    + "the targets' data", s.host(), s.tls() == null ? "TLS" : "a shared secret or client certificates");
        }
    }

    @Deactivate
    void deactivate() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    public InetSocketAddress address() {
        return server == null ? new InetSocketAddress(settings.host(), 0) : server.address();
    }

    @Override
    public int connections() {
        return server == null ? 0 : server.connections();
    }

    @Override
    public long requestsAnswered() {
        return server == null ? 0 : server.requestsAnswered();
    }

    @Override
    public TargetServerSettings settings() {
        return settings;
    }

    /** Refused: the server belongs to its component; stop the bundle or disable it in the configuration. */
    @Override
    public void close() {
        throw new TarnException(ErrorCode.INVALID_ARGUMENT, "the Tarn target server cannot be closed by a caller; "
                + "set enabled=false in configuration " + PID + " or stop bundle org.tarn.target.server");
    }
}
