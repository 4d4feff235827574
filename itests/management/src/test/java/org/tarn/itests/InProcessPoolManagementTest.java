package org.tarn.itests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;

import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.jmx.TargetMBeans;
import org.tarn.jmx.TarnMBeans;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/** The contract against a private MBeanServer in this JVM (no connector, no confinement), with the targets. */
class InProcessPoolManagementTest extends PoolManagementContract {
    private Path dir;
    private Engine engine;
    private TarnMBeans mbeans;
    private TargetService targets;
    private TargetMBeans targetMBeans;
    private int next;

    @Override
    protected MBeanAccess connect() throws Exception {
        dir = Files.createTempDirectory("tarn-inprocess");
        FileVdevDriver file = new FileVdevDriver();
        engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(5000).withSearchPaths(List.of(dir)),
                List.of(new FaultVdevDriver(file), file));
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        mbeans = TarnMBeans.register(engine, server);
        targets = Targets.start(engine, TargetSettings.defaults());
        targetMBeans = TargetMBeans.register(targets, server);
        return new JmxAccess("in-process", server, null);
    }

    @Override
    protected List<String> newDevices(int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path p = dir.resolve("d" + next++);
            FileVdevDriver.createSparseFile(p, 32L * 1024 * 1024);
            out.add(p.toString());
        }
        return out;
    }

    @Override
    protected void shutdown() throws Exception {
        if (targetMBeans != null) {
            targetMBeans.close();
        }
        if (targets != null) {
            targets.close();
        }
        if (mbeans != null) {
            mbeans.close();
        }
        if (engine != null) {
            engine.close();
        }
        TestFiles.deleteTree(dir);
    }
}
