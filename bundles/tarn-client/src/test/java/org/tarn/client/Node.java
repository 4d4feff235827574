package org.tarn.client;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.tarn.api.ImportOptions;
import org.tarn.api.PoolProperty;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.target.server.TargetServer;
import org.tarn.target.server.TargetServerSettings;
import org.tarn.target.server.TargetServers;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * One server "host" in a test: its own engine (its own host id), target
 * service and target server, over a device directory other nodes may share.
 */
final class Node implements AutoCloseable {
    final String name;
    final Path devices;
    final Engine engine;
    final TargetService targets;
    final TargetServerSettings serverSettings;
    TargetServer server;

    Node(String name, Path devices, long recoveryWindowMillis, TargetServerSettings settings) {
        this.name = name;
        this.devices = devices;
        this.engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(10_000),
                List.of(new FileVdevDriver()));
        this.targets = Targets.start(engine, TargetSettings.defaults().withRecoveryWindowMillis(recoveryWindowMillis));
        this.serverSettings = settings.withServerName(name);
        this.server = TargetServers.start(targets, serverSettings.withPort(0));
    }

    Node(String name, Path devices, long recoveryWindowMillis) {
        this(name, devices, recoveryWindowMillis, TargetServerSettings.defaults());
    }

    String address() {
        return "127.0.0.1:" + server.address().getPort();
    }

    /** Pool {@code tank} (txgs sync only when asked) with target {@code ost0}. */
    Node createTarget() throws IOException {
        Path dev = FileVdevDriver.createSparseFile(devices.resolve("tank-d0"), 64L << 20);
        engine.createPool("tank", VdevLayout.parse(dev.toString()), Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000"),
                false);
        targets.createTarget("tank", "ost0", TargetRole.OST);
        return this;
    }

    void importPool() {
        engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(devices.toString())).withForce(true));
    }

    void forceExport() {
        engine.forceExport("tank"); // the targets fail at once: they are the engine's export hook
    }

    /** Stops the network server and starts a new one on the same port (a server process restart, targets kept). */
    void restartServer() {
        int port = server.address().getPort();
        server.close();
        server = TargetServers.start(targets, serverSettings.withPort(port));
    }

    @Override
    public void close() {
        server.close();
        targets.close();
        engine.close();
    }
}
