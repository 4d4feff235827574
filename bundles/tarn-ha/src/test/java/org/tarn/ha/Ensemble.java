package org.tarn.ha;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

/**
 * A real three-server ZooKeeper ensemble (Curator's TestingCluster: real
 * QuorumPeers on free loopback ports) with a short tick, so sessions of a
 * few seconds are allowed; and, on demand, a {@link TcpProxy} per server to
 * partition one client.
 */
final class Ensemble implements AutoCloseable {
    static final int TICK_MILLIS = 250;

    final TestingCluster cluster;
    private final List<InstanceSpec> specs = new ArrayList<>();
    private final List<TcpProxy> proxies = new ArrayList<>();

    Ensemble(Path dir) throws Exception {
        for (int i = 0; i < 3; i++) {
            java.nio.file.Files.createDirectories(dir.resolve("zk" + i));
            specs.add(new InstanceSpec(dir.resolve("zk" + i).toFile(), -1, -1, -1, true, i + 1, TICK_MILLIS, -1));
        }
        cluster = new TestingCluster(specs);
        cluster.start();
    }

    String connectString() {
        return cluster.getConnectString();
    }

    /** A connect string through new proxies, one per ensemble server: cut them to partition its user. */
    String proxiedConnectString() throws IOException {
        List<TcpProxy> mine = new ArrayList<>();
        for (InstanceSpec s : specs) {
            mine.add(new TcpProxy(s.getPort()));
        }
        proxies.addAll(mine);
        return mine.stream().map(p -> "127.0.0.1:" + p.port()).collect(Collectors.joining(","));
    }

    void cutProxies() {
        proxies.forEach(TcpProxy::cut);
    }

    void healProxies() {
        proxies.forEach(TcpProxy::heal);
    }

    @Override
    public void close() throws Exception {
        for (TcpProxy p : proxies) {
            p.close();
        }
        cluster.close();
    }
}
