package org.tarn.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ImportablePool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolManager;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * Three Tarn servers (engines with their own state directories, so host
 * ids, in this JVM) on a real three-server ZooKeeper ensemble, sharing one
 * device directory. Ownership is checked where it matters — in the devices'
 * labels, read by an observer engine of a fourth host id — and not only in
 * the leases.
 */
class HaClusterTest {
    static final long SESSION_MILLIS = 3_000;
    static final long DEVICE_BYTES = 32L * 1024 * 1024;

    @TempDir
    Path dir;
    Path shared;
    Ensemble zk;
    final List<TarnNode> nodes = new ArrayList<>();
    final Map<String, Instant> fenceTimes = new java.util.concurrent.ConcurrentHashMap<>();
    PoolManager observer;

    @BeforeEach
    void ensemble() throws Exception {
        shared = Files.createDirectories(dir.resolve("shared"));
        zk = new Ensemble(dir.resolve("zk"));
        observer = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()));
    }

    @AfterEach
    void stop() throws Exception {
        for (TarnNode n : nodes) {
            n.close();
        }
        TarnNode.close(observer);
        zk.close();
    }

    TarnNode node(String id, String connectString) throws Exception {
        TarnNode n = TarnNode.start(id, dir.resolve(id), shared, connectString, SESSION_MILLIS);
        n.engine.addEventListener((pool, guid, event) -> {
            if (event.type().equals("force-exported")) {
                fenceTimes.putIfAbsent(id, event.time());
            }
        });
        nodes.add(n);
        return n;
    }

    /** Creates a pool on {@code on}'s engine on a mirror of two new files; exported when {@code export}. */
    void createPool(TarnNode on, String pool, boolean export, String properties) throws Exception {
        Path d0 = FileVdevDriver.createSparseFile(shared.resolve(pool + "-0"), DEVICE_BYTES);
        Path d1 = FileVdevDriver.createSparseFile(shared.resolve(pool + "-1"), DEVICE_BYTES);
        on.engine.createPool(pool, VdevLayout.parse("mirror fault:" + d0 + " fault:" + d1),
                properties.isEmpty() ? Map.of() : Map.of(properties.split("=")[0], properties.split("=")[1]), false);
        if (export) {
            on.engine.exportPool(pool, false);
        }
    }

    /** Waits until the labels on the shared devices name {@code owner}'s host (an import's first sync writes them). */
    void awaitLabelsName(String pool, TarnNode owner) {
        await().atMost(Duration.ofSeconds(15)).until(() -> Long.toHexString(labels(pool).hostId())
                .equals(owner.hostId()));
        assertThat(labels(pool).state()).isEqualTo("ACTIVE");
    }

    /** What the labels on the shared devices say of a pool: state and the host id that last imported it. */
    ImportablePool labels(String pool) {
        return observer.scan(List.of(shared.toString())).pools().stream().filter(p -> p.name().equals(pool))
                .findFirst().orElseThrow();
    }

    Map<String, String> owners(TarnNode any) {
        return any.ha.pools().stream().collect(Collectors.toMap(PoolLease::pool, PoolLease::owner));
    }

    static Optional<Instant> eventTime(TarnNode n, String pool, String type) {
        return n.engine.pool(pool).flatMap(p -> p.events().stream().filter(e -> e.type().equals(type))
                .map(PoolEvent::time).reduce((a, b) -> b));
    }

    @Test
    void pools_spread_over_the_servers_and_their_labels_name_the_owner_pos() throws Exception {
        TarnNode a = node("a", zk.connectString());
        TarnNode b = node("b", zk.connectString());
        TarnNode c = node("c", zk.connectString());
        await().atMost(Duration.ofSeconds(20)).until(() -> a.ha.connected() && a.ha.servers().size() == 3);
        for (String p : List.of("p1", "p2", "p3", "p4", "p5", "p6")) {
            createPool(a, p, true, "");
        }
        for (String p : List.of("p1", "p2", "p3", "p4", "p5", "p6")) {
            a.ha.manage(p, "");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> a.ha.pools().stream().noneMatch(l -> l.owner().isEmpty())
                && nodes.stream().mapToInt(n -> n.ha.ownedPools().size()).sum() == 6);
        // spread: two each
        assertThat(a.ha.servers()).extracting(ServerInfo::leases).containsExactly(2, 2, 2);
        Map<String, TarnNode> byId = nodes.stream().collect(Collectors.toMap(n -> n.id, Function.identity()));
        for (Map.Entry<String, String> o : owners(a).entrySet()) {
            TarnNode owner = byId.get(o.getValue());
            assertThat(owner.holds(o.getKey())).isTrue();
            for (TarnNode other : nodes) {
                if (other != owner) {
                    assertThat(other.engine.pool(o.getKey())).isEmpty();
                }
            }
            awaitLabelsName(o.getKey(), owner);
        }
        assertThat(b.ha.servers()).isEqualTo(a.ha.servers());
        assertThat(c.ha.pools()).isEqualTo(a.ha.pools());
    }

    @Test
    void an_operator_move_exports_cleanly_and_imports_on_the_target_pos() throws Exception {
        TarnNode a = node("a", zk.connectString());
        TarnNode b = node("b", zk.connectString());
        await().atMost(Duration.ofSeconds(20)).until(() -> a.ha.connected() && a.ha.servers().size() == 2);
        createPool(a, "ost1", false, "comment=moved");
        a.ha.manage("ost1", "");
        assertThat(owners(a)).containsEntry("ost1", "a");
        assertThat(a.ha.ownedPools()).containsExactly("ost1");

        assertThat(b.ha.move("ost1", "b", Duration.ofSeconds(30))).isEqualTo("b");
        assertThat(b.holds("ost1")).isTrue();
        assertThat(a.engine.pool("ost1")).isEmpty();
        // a clean export, then an import without force: the pool's last events on a say exported
        awaitLabelsName("ost1", b);
        assertThat(b.engine.pool("ost1").orElseThrow().properties()).containsEntry("comment", "moved");
        assertThat(b.engine.pool("ost1").orElseThrow().events()).extracting(PoolEvent::type).contains("imported")
                .doesNotContain("force-exported");
    }

    @Test
    void moves_and_manage_refuse_what_cannot_be_done_neg() throws Exception {
        TarnNode a = node("a", zk.connectString());
        TarnNode b = node("b", zk.connectString());
        await().atMost(Duration.ofSeconds(20)).until(() -> a.ha.connected() && a.ha.servers().size() == 2);
        createPool(a, "busy", false, "");
        a.ha.manage("busy", "");
        assertThatThrownBy(() -> a.ha.move("busy", "nobody", Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no live server 'nobody'");
        assertThatThrownBy(() -> a.ha.move("unknown", "b", Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("TARN-2 ");
        assertThatThrownBy(() -> a.ha.manage("x y", "")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TARN-1 ");
        assertThatThrownBy(() -> a.ha.manage("busy", "force=true")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not force");
        assertThatThrownBy(() -> a.ha.manage("busy", "bogus=1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown import option");
        // an open dataset makes the clean export refuse: the move fails, and the pool stays where it was
        a.engine.pool("busy").orElseThrow().createDataset("ds");
        a.engine.pool("busy").orElseThrow().sync();
        try (var open = a.engine.pool("busy").orElseThrow().openDataset("ds")) {
            assertThatThrownBy(() -> a.ha.move("busy", "b", Duration.ofSeconds(20)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("export on a failed")
                    .hasMessageContaining("TARN-17");
            assertThat(a.holds("busy")).isTrue();
            assertThat(b.engine.pool("busy")).isEmpty();
            assertThat(owners(a)).containsEntry("busy", "a");
        }
        // any server can take a pool out of management, once
        b.ha.unmanage("busy");
        assertThatThrownBy(() -> b.ha.unmanage("busy")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TARN-2 ");
    }

    @Test
    void a_partitioned_server_fences_itself_before_another_imports_its_pool_pos() throws Exception {
        TarnNode a = node("a", zk.connectString());
        TarnNode b = node("b", zk.connectString());
        TarnNode cut = node("c", zk.proxiedConnectString());
        await().atMost(Duration.ofSeconds(20)).until(() -> a.ha.connected() && cut.ha.connected()
                && a.ha.servers().size() == 3);
        createPool(cut, "ost7", false, "multihost=on");
        cut.ha.manage("ost7", "");
        assertThat(owners(a)).containsEntry("ost7", "c");

        // never two servers with the pool imported, sampled all along
        AtomicInteger most = new AtomicInteger();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                int n = (int) nodes.stream().filter(x -> x.holds("ost7")).count();
                most.accumulateAndGet(n, Math::max);
                Thread.onSpinWait();
            }
        });
        sampler.start();
        try {
            long cutAt = System.currentTimeMillis();
            zk.cutProxies();
            await().atMost(Duration.ofSeconds(30)).until(() -> a.holds("ost7") || b.holds("ost7"));
            TarnNode survivor = a.holds("ost7") ? a : b;
            long servingMillis = System.currentTimeMillis() - cutAt;
            System.out.println("PERF zookeeper failover after a partition (session " + SESSION_MILLIS + " ms): "
                    + servingMillis + " ms");
            assertThat(cut.engine.pool("ost7")).as("the partitioned server force-exported the pool").isEmpty();
            assertThat(cut.ha.connected()).isFalse();
            Instant imported = eventTime(survivor, "ost7", "imported").orElseThrow();
            awaitLabelsName("ost7", survivor);
            assertThat(owners(survivor)).containsEntry("ost7", survivor.id);
            // the fence came first: its force export is older than the survivor's import by the margin
            assertThat(fencedAt(cut)).isNotNull().isBefore(imported);

            // healed, the partitioned server rejoins with a new session and does not take the pool back
            zk.healProxies();
            await().atMost(Duration.ofSeconds(30)).until(() -> cut.ha.connected() && a.ha.servers().size() == 3);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> cut.engine.pool("ost7").isEmpty() && survivor.holds("ost7"));
        } finally {
            sampling.set(false);
            sampler.join();
        }
        assertThat(most.get()).as("servers holding ost7 at once").isEqualTo(1);
    }

    /** When a server's engine first force-exported a pool (its event, seen by the listener node() installs). */
    private Instant fencedAt(TarnNode n) {
        return fenceTimes.get(n.id);
    }

    @Test
    void a_suspended_pool_is_failed_over_to_another_server_pos() throws Exception {
        TarnNode a = node("a", zk.connectString());
        TarnNode b = node("b", zk.connectString());
        await().atMost(Duration.ofSeconds(20)).until(() -> a.ha.connected() && a.ha.servers().size() == 2);
        createPool(a, "ost3", false, "multihost=on");
        a.ha.manage("ost3", "");
        Path d0 = shared.resolve("ost3-0");
        Path d1 = shared.resolve("ost3-1");
        a.faults.injector("fault:" + d0).add(FaultRule.hang().on(FaultRule.Op.WRITE));
        a.faults.injector("fault:" + d1).add(FaultRule.hang().on(FaultRule.Op.WRITE));
        await().atMost(Duration.ofSeconds(40)).until(() -> b.holds("ost3"));
        assertThat(a.engine.pool("ost3")).isEmpty();
        awaitLabelsName("ost3", b);
        assertThat(b.ha.pools()).singleElement().satisfies(l -> {
            assertThat(l.owner()).isEqualTo("b");
        });
        a.faults.injector("fault:" + d0).clear();
        a.faults.injector("fault:" + d1).clear();
    }
}
