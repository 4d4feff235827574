package org.tarn.ha;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.rmi.registry.LocateRegistry;
import java.rmi.server.RMIServerSocketFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import javax.management.MBeanServer;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;

import org.tarn.api.PoolManager;
import org.tarn.jmx.TarnMBeans;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A Tarn server in a child JVM for the kill -9 tests: an engine on its own
 * state directory, the Tarn MBeans and {@code tarn:type=HaManager} in the
 * platform MBeanServer, served over remote JMX on loopback, and HA joined to
 * the ensemble. Arguments: STATE_DIR DEVICE_DIR CONNECT_STRING SERVER_ID
 * JMX_PORT SESSION_MILLIS. Runs until killed.
 */
public final class HaNodeMain {
    private HaNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[0]);
        Path shared = Path.of(args[1]);
        String connect = args[2];
        String id = args[3];
        int jmxPort = Integer.parseInt(args[4]);
        long session = Long.parseLong(args[5]);
        FileVdevDriver file = new FileVdevDriver();
        PoolManager engine = TarnNode.engine(state, shared, new FaultVdevDriver(file), file);
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        TarnMBeans.register(engine, mbs);
        HaService ha = TarnHa.start(engine, HaSettings.of(connect, id).withSessionTimeoutMillis(session)
                .withReconcileMillis(250));
        HaMBeans.register(ha, connect, mbs);
        RMIServerSocketFactory loopback = port -> new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        LocateRegistry.createRegistry(jmxPort, null, loopback);
        Map<String, Object> env = new HashMap<>();
        env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, loopback);
        JMXConnectorServer jmx = JMXConnectorServerFactory.newJMXConnectorServer(new JMXServiceURL(
                "service:jmx:rmi://127.0.0.1:" + jmxPort + "/jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi"),
                env, mbs);
        jmx.start();
        System.out.println("ready " + id + " hostid " + Long.toHexString(engine.hostId()));
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
