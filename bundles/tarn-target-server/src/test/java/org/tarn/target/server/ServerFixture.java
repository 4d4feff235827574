package org.tarn.target.server;

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
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.vdev.file.FileVdevDriver;

/** An engine on a sparse file with a target service, and a target server on a free loopback port. */
final class ServerFixture implements AutoCloseable {
    final Path dir;
    final Engine engine;
    final TargetService targets;
    TargetServer server;

    ServerFixture(Path dir, TargetServerSettings settings, long recoveryWindowMillis) {
        this.dir = dir;
        this.engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(10_000),
                List.of(new FileVdevDriver()));
        this.targets = Targets.start(engine, TargetSettings.defaults().withRecoveryWindowMillis(recoveryWindowMillis));
        this.server = TargetServers.start(targets, settings.withPort(0).withServerName("test-server"));
    }

    /** Creates pool {@code tank} (txgs sync only when asked) and target {@code ost0} in it. */
    ServerFixture withTarget() throws IOException {
        Path dev = FileVdevDriver.createSparseFile(dir.resolve("tank-d0"), 64L << 20);
        engine.createPool("tank", VdevLayout.parse(dev.toString()), Map.of(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000"),
                false);
        targets.createTarget("tank", "ost0", org.tarn.target.TargetRole.OST);
        return this;
    }

    void importPool() {
        engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString())).withForce(true));
    }

    @Override
    public void close() {
        server.close();
        targets.close();
        engine.close();
    }
}
