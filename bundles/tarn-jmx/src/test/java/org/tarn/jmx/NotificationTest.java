package org.tarn.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.management.Notification;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.vdev.fault.FaultRule;

class NotificationTest {
    @TempDir
    Path dir;

    private JmxFixture fx;
    private final List<Notification> received = new CopyOnWriteArrayList<>();
    private final List<String> threads = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        fx = new JmxFixture(dir);
        NotificationListener listener = (n, handback) -> {
            received.add(n);
            threads.add(Thread.currentThread().getName());
        };
        fx.server.addNotificationListener(ObjectNames.poolManager(), listener, null, null);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    private List<String> types() {
        return received.stream().map(Notification::getType).toList();
    }

    @Test
    void lifecycle_notifications_arrive_in_order_off_the_caller_thread_pos() throws Exception {
        List<String> d = fx.devices(1);
        String guid = (String) fx.invokeManager("createPool", "tank", d.get(0), "");
        fx.invokeManager("exportPool", "tank", false);
        fx.invokeManager("importPool", "tank", "dir=" + dir);
        fx.invokeManager("forceExport", "tank");

        await().atMost(Duration.ofSeconds(10)).until(() -> types().contains(TarnNotifications.POOL_FORCE_EXPORTED));
        assertThat(types()).containsSubsequence(TarnNotifications.POOL_CREATED, TarnNotifications.POOL_EXPORTING,
                TarnNotifications.POOL_EXPORTED, TarnNotifications.POOL_IMPORTED,
                TarnNotifications.POOL_FORCE_EXPORTED);
        assertThat(types()).allSatisfy(t -> assertThat(TarnNotifications.all()).contains(t));

        long previous = 0;
        for (Notification n : received) {
            assertThat(n.getSequenceNumber()).isGreaterThan(previous);
            previous = n.getSequenceNumber();
            assertThat(n.getSource()).isEqualTo(ObjectNames.poolManager());
            assertThat(n.getMessage()).contains("tank");
            assertThat(n.getUserData()).isInstanceOf(CompositeData.class);
            CompositeData data = (CompositeData) n.getUserData();
            assertThat(JmxFixture.isOpen(data)).isTrue();
            assertThat(data.get("pool")).isEqualTo("tank");
            assertThat(data.get("guid")).isEqualTo(guid);
            assertThat(TarnNotifications.typeOf((String) data.get("type"))).isEqualTo(n.getType());
            assertThat(data.get("detail")).isInstanceOf(String.class);
            // ISO-8601 UTC with milliseconds, the same instant as the notification's time stamp
            assertThat((String) data.get("time")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            assertThat(Instant.parse((String) data.get("time")).toEpochMilli()).isEqualTo(n.getTimeStamp());
        }
        assertThat(threads).isNotEmpty().allSatisfy(t -> assertThat(t).isEqualTo("tarn-jmx-notifications"));
    }

    @Test
    void pool_mbean_sends_its_own_events_and_its_last_one_before_it_goes_pos() throws Exception {
        List<String> d = fx.devices(2);
        fx.invokeManager("createPool", "tank", d.get(0), "");
        fx.invokeManager("createPool", "other", d.get(1), "");
        List<Notification> tank = new CopyOnWriteArrayList<>();
        List<Boolean> registeredWhenDelivered = new CopyOnWriteArrayList<>();
        NotificationListener listener = (n, hb) -> {
            tank.add(n);
            registeredWhenDelivered.add(fx.server.isRegistered(ObjectNames.pool("tank")));
        };
        fx.server.addNotificationListener(ObjectNames.pool("tank"), listener, null, null);

        fx.invokePool("tank", "setProperty", "comment", "x");
        fx.invokePool("other", "sync");
        fx.invokePool("tank", "export");
        // the MBean is gone when export returns, and its listeners already had the pool's last events
        assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isFalse();
        assertThat(tank).extracting(Notification::getType).containsExactly(TarnNotifications.POOL_EXPORTING,
                TarnNotifications.POOL_EXPORTED);
        assertThat(registeredWhenDelivered).containsOnly(true);
        assertThat(tank).allSatisfy(n -> {
            assertThat(n.getSource()).isEqualTo(ObjectNames.pool("tank"));
            assertThat(((CompositeData) n.getUserData()).get("pool")).isEqualTo("tank");
        });
        // the manager sent the same events, each once, and nothing of 'other' reached the pool's listener
        await().atMost(Duration.ofSeconds(10)).until(() -> types().contains(TarnNotifications.POOL_EXPORTED));
        assertThat(types().stream().filter(TarnNotifications.POOL_EXPORTED::equals)).hasSize(1);
        // one counter for every MBean: the pool's numbers interleave with the manager's, never repeat
        List<Long> all = new java.util.ArrayList<>();
        received.forEach(n -> all.add(n.getSequenceNumber()));
        tank.forEach(n -> all.add(n.getSequenceNumber()));
        assertThat(all).doesNotHaveDuplicates();
    }

    @Test
    void pool_mbean_sends_destroyed_and_force_exported_pos() throws Exception {
        List<String> d = fx.devices(2);
        fx.invokeManager("createPool", "gone", d.get(0), "");
        fx.invokeManager("createPool", "hung", d.get(1), "");
        List<String> gone = new CopyOnWriteArrayList<>();
        List<String> hung = new CopyOnWriteArrayList<>();
        fx.server.addNotificationListener(ObjectNames.pool("gone"), (n, hb) -> gone.add(n.getType()), null, null);
        fx.server.addNotificationListener(ObjectNames.pool("hung"), (n, hb) -> hung.add(n.getType()), null, null);

        fx.invokeManager("destroyPool", "gone", false);
        assertThat(gone).containsExactly(TarnNotifications.POOL_EXPORTING, TarnNotifications.POOL_DESTROYED);
        // a force export straight on the engine (as failmode=export does): the event path removes the MBean
        fx.engine.forceExport("hung");
        await().atMost(Duration.ofSeconds(10)).until(() -> !fx.server.isRegistered(ObjectNames.pool("hung")));
        assertThat(hung).containsExactly(TarnNotifications.POOL_FORCE_EXPORTED);
    }

    @Test
    void subscribing_to_a_pool_that_is_not_imported_fails_clearly_neg() {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() ->
                fx.server.addNotificationListener(ObjectNames.pool("nope"), (n, hb) -> { }, null, null));
        assertThat(t).isInstanceOf(javax.management.InstanceNotFoundException.class).hasMessageContaining("nope");
    }

    @Test
    void device_failure_sends_vdev_faulted_suspended_and_resumed_pos() throws Exception {
        String dev = "fault:" + fx.devices(1).get(0);
        fx.invokeManager("createPool", "tank", dev, "failmode=continue");
        fx.fault.injector(dev).add(FaultRule.error().on(FaultRule.Op.WRITE));
        fx.invokePool("tank", "setProperty", "comment", "this change cannot be written");

        Throwable failed = JmxFixture.failure(() -> fx.invokePool("tank", "sync"));
        assertThat(failed).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-");
        await().atMost(Duration.ofSeconds(10)).until(() -> types().contains(TarnNotifications.POOL_SUSPENDED));
        assertThat(types()).contains(TarnNotifications.VDEV_FAULTED);
        assertThat(fx.attribute(ObjectNames.pool("tank"), "State")).isEqualTo("SUSPENDED");
        String status = (String) fx.invokePool("tank", "status");
        assertThat(status).contains("pool: tank").contains("state: SUSPENDED").contains(dev).contains("clear()");

        // wrong state: a suspended pool cannot be exported cleanly
        Throwable export = JmxFixture.failure(() -> fx.invokeManager("exportPool", "tank", false));
        assertThat(export).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-10 ");

        fx.fault.injector(dev).clear();
        fx.invokePool("tank", "clear");
        await().atMost(Duration.ofSeconds(10)).until(() -> types().contains(TarnNotifications.POOL_RESUMED));
        assertThat(fx.attribute(ObjectNames.pool("tank"), "State")).isEqualTo("ACTIVE");
        CompositeData resumed = (CompositeData) received.stream()
                .filter(n -> n.getType().equals(TarnNotifications.POOL_RESUMED)).findFirst().orElseThrow()
                .getUserData();
        assertThat(resumed.get("type")).isEqualTo("resumed");
    }

    @Test
    void closed_registration_sends_nothing_more_pos() throws Exception {
        List<String> d = fx.devices(3);
        fx.invokeManager("createPool", "tank", d.get(0), "");
        await().atMost(Duration.ofSeconds(10)).until(() -> types().contains(TarnNotifications.POOL_CREATED));
        fx.mbeans.close();
        int before = received.size();
        fx.engine.createPool("other", org.tarn.api.VdevLayout.parse(d.get(1)), java.util.Map.of(), false);
        fx.engine.exportPool("other", false);
        // the engine delivers events in order on one thread: once a later listener saw "exported",
        // ours would have seen "created" too
        List<String> seen = new CopyOnWriteArrayList<>();
        fx.engine.addEventListener((pool, guid, e) -> seen.add(pool + ":" + e.type()));
        fx.engine.createPool("third", org.tarn.api.VdevLayout.parse(d.get(2)), java.util.Map.of(), false);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("third:created"));
        assertThat(received).hasSize(before);
        assertThat(fx.server.queryNames(ObjectNames.allPools(), null)).isEmpty();
    }
}
