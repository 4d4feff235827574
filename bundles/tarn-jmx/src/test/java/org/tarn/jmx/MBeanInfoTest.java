package org.tarn.jmx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import javax.management.MBeanInfo;
import javax.management.MBeanNotificationInfo;
import javax.management.MBeanOperationInfo;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MBeanInfoTest {
    @TempDir
    Path dir;

    private JmxFixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new JmxFixture(dir);
        List<String> d = fx.devices(1);
        fx.invokeManager("createPool", "tank", d.get(0), "");
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void pool_manager_metadata_is_fully_described_pos() throws Exception {
        MBeanInfo info = fx.server.getMBeanInfo(ObjectNames.poolManager());
        assertThat(MetadataCheck.problems(info)).isEmpty();
        assertThat(Arrays.stream(info.getAttributes()).map(a -> a.getName()))
                .containsExactlyInAnyOrder("Pools", "HostId", "Hostname", "SearchPaths", "ImportsInProgress");
        Map<String, MBeanOperationInfo> ops = byName(info);
        assertThat(ops).containsOnlyKeys("createPool", "importablePools", "importPool", "exportPool", "destroyPool",
                "forceExport");
        assertThat(ops.get("importablePools").getImpact()).isEqualTo(MBeanOperationInfo.INFO);
        assertThat(ops.get("createPool").getImpact()).isEqualTo(MBeanOperationInfo.ACTION);
        assertThat(ops.get("exportPool").getImpact()).isEqualTo(MBeanOperationInfo.ACTION);
        assertThat(ops.get("forceExport").getImpact()).isEqualTo(MBeanOperationInfo.ACTION);
        assertThat(Arrays.stream(ops.get("createPool").getSignature()).map(p -> p.getName()))
                .containsExactly("name", "layout", "properties");
        assertThat(Arrays.stream(ops.get("importPool").getSignature()).map(p -> p.getName()))
                .containsExactly("nameOrGuid", "options");
        assertThat(Arrays.stream(ops.get("exportPool").getSignature()).map(p -> p.getName()))
                .containsExactly("name", "force");
    }

    @Test
    void pool_manager_declares_its_notification_types_pos() throws Exception {
        MBeanNotificationInfo[] notes = fx.server.getMBeanInfo(ObjectNames.poolManager()).getNotifications();
        assertThat(notes).isNotEmpty();
        assertThat(notes).allSatisfy(n -> assertThat(n.getDescription()).isNotBlank());
        assertThat(Arrays.stream(notes).flatMap(n -> Arrays.stream(n.getNotifTypes())))
                .contains("tarn.pool.created", "tarn.pool.imported", "tarn.pool.exported",
                        "tarn.pool.force-exported", "tarn.pool.suspended", "tarn.pool.resumed", "tarn.vdev.faulted");
        assertThat(fx.server.isInstanceOf(ObjectNames.poolManager(), "javax.management.NotificationEmitter"))
                .isTrue();
    }

    @Test
    void pool_declares_one_notification_type_per_engine_event_pos() throws Exception {
        for (javax.management.ObjectName on : List.of(ObjectNames.poolManager(), ObjectNames.pool("tank"))) {
            MBeanNotificationInfo[] notes = fx.server.getMBeanInfo(on).getNotifications();
            assertThat(notes).allSatisfy(n -> assertThat(n.getDescription()).isNotBlank());
            List<String> declared = Arrays.stream(notes).flatMap(n -> Arrays.stream(n.getNotifTypes())).toList();
            // every engine event type has its own declared type, destroyed and exporting included; no catch-all
            assertThat(declared).hasSize(org.tarn.api.PoolEvent.types().size()).doesNotHaveDuplicates()
                    .contains("tarn.pool.destroyed", "tarn.pool.exporting", "tarn.pool.rewound",
                            "tarn.pool.renamed", "tarn.pool.multihost-failed")
                    .doesNotContain("tarn.pool.event");
            org.tarn.api.PoolEvent.types().forEach(t -> assertThat(declared).contains(TarnNotifications.typeOf(t)));
            assertThat(fx.server.isInstanceOf(on, "javax.management.NotificationEmitter")).isTrue();
        }
    }

    @Test
    void pool_metadata_is_fully_described_pos() throws Exception {
        MBeanInfo info = fx.server.getMBeanInfo(ObjectNames.pool("tank"));
        assertThat(MetadataCheck.problems(info)).isEmpty();
        assertThat(Arrays.stream(info.getAttributes()).map(a -> a.getName())).containsExactlyInAnyOrder(
                "Name", "Guid", "State", "Health", "SyncedTxg", "OpenTxg", "DirtyBytes", "DirtyMaxBytes",
                "SizeBytes", "AllocatedBytes", "FreeBytes", "Failmode", "Properties", "PropertySources", "ReadOnly", "Datasets",
                "VdevTree", "Config", "Scan", "DataErrors", "IoStats", "History");
        assertThat(info.getAttributes()).allSatisfy(a -> assertThat(a.isWritable()).isFalse());
        Map<String, MBeanOperationInfo> ops = byName(info);
        assertThat(ops).containsOnlyKeys("export", "forceExport", "clear", "sync", "syncWithin", "setProperty",
                "status", "events", "scrub", "pauseScrub", "stopScrub", "resilver", "attach", "detach", "replace",
                "online", "offline", "add");
        assertThat(Arrays.stream(ops.get("attach").getSignature()).map(p -> p.getName()))
                .containsExactly("device", "newDevice", "force");
        assertThat(Arrays.stream(ops.get("offline").getSignature()).map(p -> p.getName()))
                .containsExactly("device", "temporary");
        assertThat(ops.get("status").getImpact()).isEqualTo(MBeanOperationInfo.INFO);
        assertThat(ops.get("events").getImpact()).isEqualTo(MBeanOperationInfo.INFO);
        assertThat(ops.get("export").getImpact()).isEqualTo(MBeanOperationInfo.ACTION);
        assertThat(ops.get("forceExport").getImpact()).isEqualTo(MBeanOperationInfo.ACTION);
        assertThat(Arrays.stream(ops.get("setProperty").getSignature()).map(p -> p.getName()))
                .containsExactly("name", "value");
    }

    private static Map<String, MBeanOperationInfo> byName(MBeanInfo info) {
        return Arrays.stream(info.getOperations()).collect(Collectors.toMap(MBeanOperationInfo::getName,
                Function.identity()));
    }
}
