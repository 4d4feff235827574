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
import org.tarn.jmx.TarnMBeans;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/** The contract against a private MBeanServer in this JVM (no connector, no confinement). */
class InProcessPoolManagementTest extends PoolManagementContract {
    private Path dir;
    private Engine engine;
    private TarnMBeans mbeans;
    private int next;

    @Override
    protected MBeanAccess connect() throws Exception {
        dir = Files.createTempDirectory("tarn-inprocess");
        FileVdevDriver file = new FileVdevDriver();
        engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(5000).withSearchPaths(List.of(dir)),
                List.of(new FaultVdevDriver(file), file));
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        mbeans = TarnMBeans.register(engine, server);
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
        if (mbeans != null) {
            mbeans.close();
        }
        if (engine != null) {
            engine.close();
        }
        TestFiles.deleteTree(dir);
    }
}
