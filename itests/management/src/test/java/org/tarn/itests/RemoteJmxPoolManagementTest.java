package org.tarn.itests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import org.tarn.dist.ServerFixture;

/** The contract over the Tarn server's RMI connector on loopback. */
class RemoteJmxPoolManagementTest extends PoolManagementContract {
    private Path data;
    private ServerFixture server;

    @Override
    protected MBeanAccess connect() throws Exception {
        data = Files.createTempDirectory("tarn-remote-jmx");
        server = ServerFixture.start(data, true, false);
        JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(server.jmxUrl()));
        return new JmxAccess("remote JMX", connector.getMBeanServerConnection(), connector);
    }

    @Override
    protected List<String> newDevices(int n) throws Exception {
        return server.newDevices("d", n);
    }

    @Override
    protected void shutdown() throws Exception {
        if (server != null) {
            server.close();
        }
        TestFiles.deleteTree(data);
    }
}
