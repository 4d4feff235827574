package org.tarn.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
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
        assertThat(types()).containsSubsequence(TarnNotifications.POOL_CREATED, TarnNotifications.POOL_EXPORTED,
                TarnNotifications.POOL_IMPORTED, TarnNotifications.POOL_FORCE_EXPORTED);
        // engine events without a type of their own ("exporting") arrive as tarn.pool.event
        assertThat(types()).contains(TarnNotifications.POOL_EVENT);

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
            assertThat((Long) data.get("time")).isEqualTo(n.getTimeStamp()).isPositive();
        }
        assertThat(threads).isNotEmpty().allSatisfy(t -> assertThat(t).isEqualTo("tarn-jmx-notifications"));
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
