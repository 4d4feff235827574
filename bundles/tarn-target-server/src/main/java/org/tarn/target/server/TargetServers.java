package org.tarn.target.server;

import org.tarn.target.TargetService;
import org.tarn.target.server.internal.NettyTargetServer;

/** Entry point of the target server. */
public final class TargetServers {
    private TargetServers() {
    }

    /**
     * Starts serving the targets of {@code targets}; returns once it listens.
     *
     * @throws org.tarn.api.TarnException INVALID_ARGUMENT for unusable settings (a keystore that does not
     *     open), BUSY when the address is taken
     */
    public static TargetServer start(TargetService targets, TargetServerSettings settings) {
        return NettyTargetServer.start(targets, settings);
    }
}
