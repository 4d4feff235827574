package org.tarn.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.PoolProperty;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.target.Target;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.vdev.file.FileVdevDriver;

/** The TargetManager and Target MBeans, driven through a private MBeanServer as an operator would. */
class TargetMBeanTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private Engine engine;
    private TargetService targets;
    private final MBeanServer server = MBeanServerFactory.newMBeanServer();
    private TarnMBeans poolBeans;
    private TargetMBeans targetBeans;
    private String device;

    @BeforeEach
    void start() throws Exception {
        engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(2000), List.of(new FileVdevDriver()));
        targets = Targets.start(engine, TargetSettings.defaults().withRecoveryWindowMillis(600_000));
        poolBeans = TarnMBeans.register(engine, server);
        targetBeans = TargetMBeans.register(targets, server);
        Path d = dir.resolve("d0");
        FileVdevDriver.createSparseFile(d, JmxFixture.DEVICE_BYTES);
        device = d.toString();
        invoke(ObjectNames.poolManager(), "createPool", "tank", device, PoolProperty.TXG_TIMEOUT_MILLIS + "=3600000");
    }

    @AfterEach
    void stop() {
        targetBeans.close();
        poolBeans.close();
        targets.close();
        engine.close();
    }

    private Object invoke(ObjectName on, String op, String... args) throws Exception {
        String[] sig = new String[args.length];
        Arrays.fill(sig, String.class.getName());
        return server.invoke(on, op, args, sig);
    }

    private Object attribute(ObjectName on, String name) throws Exception {
        return server.getAttribute(on, name);
    }

    private static Map<String, MBeanOperationInfo> byName(MBeanInfo info) {
        return Arrays.stream(info.getOperations()).collect(Collectors.toMap(MBeanOperationInfo::getName,
                Function.identity()));
    }

    @Test
    void target_metadata_is_fully_described_pos() throws Exception {
        invoke(ObjectNames.targetManager(), "createTarget", "tank", "ost0", "OST");
        MBeanInfo manager = server.getMBeanInfo(ObjectNames.targetManager());
        assertThat(MetadataCheck.problems(manager)).isEmpty();
        assertThat(Arrays.stream(manager.getAttributes()).map(a -> a.getName()))
                .containsExactlyInAnyOrder("Targets", "RecoveryWindowMillis");
        assertThat(Arrays.stream(byName(manager).get("createTarget").getSignature()).map(p -> p.getName()))
                .containsExactly("pool", "name", "role");

        MBeanInfo info = server.getMBeanInfo(ObjectNames.target("tank", "ost0"));
        assertThat(MetadataCheck.problems(info)).isEmpty();
        assertThat(info.getAttributes()).allSatisfy(a -> assertThat(a.isWritable()).isFalse());
        assertThat(Arrays.stream(info.getAttributes()).map(a -> a.getName())).contains("State", "Role",
                "LastCommitted", "LastTransno", "RecoveryStatus", "RecoveryKnownClients", "RecoveryRemainingMillis");
        Map<String, MBeanOperationInfo> ops = byName(info);
        assertThat(ops).containsOnlyKeys("abortRecovery", "evictClient", "status");
        assertThat(ops.get("abortRecovery").getImpact()).isEqualTo(MBeanOperationInfo.ACTION);
        assertThat(ops.get("status").getImpact()).isEqualTo(MBeanOperationInfo.INFO);
    }

    @Test
    void target_and_manager_send_declared_target_notifications_pos() throws Exception {
        for (ObjectName on : List.of(ObjectNames.targetManager())) {
            javax.management.MBeanNotificationInfo[] notes = server.getMBeanInfo(on).getNotifications();
            assertThat(Arrays.stream(notes).flatMap(n -> Arrays.stream(n.getNotifTypes())))
                    .containsExactlyInAnyOrder(TarnNotifications.allTargets());
            assertThat(notes).allSatisfy(n -> assertThat(n.getDescription()).isNotBlank());
        }
        List<javax.management.Notification> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<javax.management.Notification> own = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.addNotificationListener(ObjectNames.targetManager(), (n, hb) -> all.add(n), null, null);
        invoke(ObjectNames.targetManager(), "createTarget", "tank", "ost0", "OST");
        ObjectName ost = ObjectNames.target("tank", "ost0");
        assertThat(Arrays.stream(server.getMBeanInfo(ost).getNotifications())
                .flatMap(n -> Arrays.stream(n.getNotifTypes()))).containsExactlyInAnyOrder(TarnNotifications.allTargets());
        server.addNotificationListener(ost, (n, hb) -> own.add(n), null, null);

        invoke(ObjectNames.pool("tank"), "export");
        await().atMost(WAIT).until(() -> !server.isRegistered(ost));
        // the mount's last event reached its own MBean before it went ("mounted" too, when the mount's event
        // was delivered after the listener was added)
        assertThat(own).extracting(javax.management.Notification::getType)
                .endsWith(TarnNotifications.TARGET_UNMOUNTED)
                .isSubsetOf(TarnNotifications.TARGET_MOUNTED, TarnNotifications.TARGET_UNMOUNTED)
                .doesNotHaveDuplicates();
        await().atMost(WAIT).until(() -> all.size() >= 2);
        assertThat(all).extracting(javax.management.Notification::getType)
                .containsSubsequence(TarnNotifications.TARGET_MOUNTED, TarnNotifications.TARGET_UNMOUNTED);
        CompositeData data = (CompositeData) all.get(0).getUserData();
        assertThat(JmxFixture.isOpen(data)).isTrue();
        assertThat(data.get("pool")).isEqualTo("tank");
        assertThat(data.get("target")).isEqualTo("ost0");
        assertThat(data.get("type")).isEqualTo("mounted");
        assertThat(java.time.Instant.parse((String) data.get("time")).toEpochMilli())
                .isEqualTo(all.get(0).getTimeStamp());
        assertThat(all.get(0).getSource()).isEqualTo(ObjectNames.targetManager());
        assertThat(own.get(0).getSource()).isEqualTo(ost);
    }

    @Test
    void create_list_and_export_targets_pos() throws Exception {
        invoke(ObjectNames.targetManager(), "createTarget", "tank", "mdt0", "mdt");
        ObjectName mdt = ObjectNames.target("tank", "mdt0");
        // registered by the time the operation returns
        assertThat(server.isRegistered(mdt)).isTrue();
        assertThat(attribute(mdt, "State")).isEqualTo("ACTIVE");
        assertThat(attribute(mdt, "Role")).isEqualTo("MDT");
        assertThat(attribute(mdt, "RecoveryStatus")).isEqualTo("NONE");
        assertThat((String) invoke(mdt, "status")).contains("tank/mdt0").contains("ACTIVE");
        TabularData rows = (TabularData) attribute(ObjectNames.targetManager(), "Targets");
        CompositeData row = rows.get(new Object[] {"tank/mdt0"});
        assertThat(row.get("role")).isEqualTo("MDT");
        assertThat(row.get("state")).isEqualTo("ACTIVE");
        assertThat(JmxFixture.isOpen(rows)).isTrue();

        // the pool's export (through the target-aware manager) unmounts the target first
        invoke(ObjectNames.pool("tank"), "export");
        await().atMost(WAIT).until(() -> !server.isRegistered(mdt));
        assertThat(engine.pools()).isEmpty();
    }

    @Test
    void create_target_refuses_bad_input_neg() throws Exception {
        invoke(ObjectNames.targetManager(), "createTarget", "tank", "ost0", "OST");
        assertThat(JmxFixture.failure(() -> invoke(ObjectNames.targetManager(), "createTarget", "tank", "ost1", "MGS")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MDT or OST");
        assertThat(JmxFixture.failure(() -> invoke(ObjectNames.targetManager(), "createTarget", "nosuch", "ost1",
                "OST"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TARN-2");
        assertThat(JmxFixture.failure(() -> invoke(ObjectNames.targetManager(), "createTarget", "tank", "ost0",
                "OST"))).isInstanceOf(IllegalStateException.class).hasMessageContaining("already exists");
        assertThat(JmxFixture.failure(() -> invoke(ObjectNames.targetManager(), "createTarget", "tank", "a b",
                "OST"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid target name");
        assertThat(server.queryNames(ObjectNames.allTargets(), null)).containsExactly(ObjectNames.target("tank", "ost0"));
    }

    @Test
    void recovery_shows_and_can_be_aborted_then_force_export_removes_the_mbean_pos() throws Exception {
        invoke(ObjectNames.targetManager(), "createTarget", "tank", "ost0", "OST");
        ObjectName ost = ObjectNames.target("tank", "ost0");
        Target t = targets.target("tank", "ost0").orElseThrow();
        // the clients' records are on disk once they connected; an unclean handover (a force export) needs recovery
        t.connect("client-1");
        t.connect("client-2");
        invoke(ObjectNames.pool("tank"), "forceExport");
        await().atMost(WAIT).until(() -> !server.isRegistered(ost));
        invoke(ObjectNames.poolManager(), "importPool", "tank", "dir=" + dir + ",force=true");
        await().atMost(WAIT).until(() -> server.isRegistered(ost));

        assertThat(attribute(ost, "State")).isEqualTo("RECOVERING");
        assertThat(attribute(ost, "RecoveryStatus")).isEqualTo("RECOVERING");
        assertThat(attribute(ost, "RecoveryKnownClients")).isEqualTo(2);
        assertThat((Long) attribute(ost, "RecoveryRemainingMillis")).isPositive();
        assertThat(attribute(ost, "RecoveryWindowMillis")).isEqualTo(600_000L);
        assertThat((String[]) attribute(ost, "Clients")).containsExactly("client-1", "client-2");
        Target mounted = targets.target("tank", "ost0").orElseThrow();
        mounted.connect("client-1");
        mounted.replayDone("client-1");
        assertThat(attribute(ost, "RecoveryCompletedClients")).isEqualTo(1);

        assertThat(JmxFixture.failure(() -> invoke(ost, "evictClient", "nobody")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("TARN-24");
        assertThat((String) invoke(ost, "abortRecovery")).contains("aborted").contains("client-2");
        assertThat(attribute(ost, "State")).isEqualTo("ACTIVE");
        assertThat(attribute(ost, "RecoveryStatus")).isEqualTo("COMPLETE");
        assertThat(attribute(ost, "RecoveryEvictedClients")).isEqualTo(1);
        assertThat(attribute(ost, "RecoveryRemainingMillis")).isEqualTo(0L);
        assertThat((String[]) attribute(ost, "Clients")).containsExactly("client-1");
        assertThat((String) invoke(ost, "abortRecovery")).contains("not recovering");
        invoke(ost, "evictClient", "client-1");
        assertThat((String[]) attribute(ost, "Clients")).isEmpty();

        invoke(ObjectNames.pool("tank"), "forceExport");
        await().atMost(WAIT).until(() -> !server.isRegistered(ost));
        TabularData rows = (TabularData) attribute(ObjectNames.targetManager(), "Targets");
        assertThat(rows.get(new Object[] {"tank/ost0"}).get("state")).isEqualTo("FAILED");
        assertThat((String) rows.get(new Object[] {"tank/ost0"}).get("failure")).contains("force-exported");
    }
}
