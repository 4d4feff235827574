package org.tarn.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.management.JMX;
import javax.management.MBeanAttributeInfo;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.VdevLayout;

/** The PoolManager and Pool MBeans used the way a JMX client uses them: invoke and getAttribute only. */
class PoolManagerMBeanTest {
    @TempDir
    Path dir;

    private JmxFixture fx;
    private List<String> d;

    @BeforeEach
    void start() throws Exception {
        fx = new JmxFixture(dir);
        d = fx.devices(4);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    private String createTank() throws Exception {
        return (String) fx.invokeManager("createPool", "tank", "mirror " + d.get(0) + " " + d.get(1),
                "comment=rack 4,failmode=continue");
    }

    @Test
    void manager_attributes_are_open_values_pos() throws Exception {
        ObjectName on = ObjectNames.poolManager();
        assertThat((String[]) fx.attribute(on, "Pools")).isEmpty();
        assertThat((String) fx.attribute(on, "HostId")).matches("[0-9a-f]{8}")
                .isEqualTo(String.format("%08x", fx.engine.hostId()));
        assertThat((String) fx.attribute(on, "Hostname")).isEqualTo(fx.engine.hostname());
        assertThat((String[]) fx.attribute(on, "SearchPaths")).isEmpty();
        assertThat((String[]) fx.attribute(on, "ImportsInProgress")).as("no import is running").isEmpty();
        for (MBeanAttributeInfo a : fx.server.getMBeanInfo(on).getAttributes()) {
            assertThat(JmxFixture.isOpen(fx.attribute(on, a.getName()))).as(a.getName()).isTrue();
        }
    }

    @Test
    void create_pool_registers_its_mbean_with_every_attribute_pos() throws Exception {
        String guid = createTank();
        ObjectName on = ObjectNames.pool("tank");
        // registered by the time the operation returns, not only after the engine event
        assertThat(fx.server.isRegistered(on)).isTrue();
        assertThat((String[]) fx.attribute(ObjectNames.poolManager(), "Pools")).containsExactly("tank");

        for (MBeanAttributeInfo a : fx.server.getMBeanInfo(on).getAttributes()) {
            Object value = fx.attribute(on, a.getName());
            assertThat(value).as(a.getName()).isNotNull();
            assertThat(JmxFixture.isOpen(value)).as(a.getName() + " is an open value").isTrue();
        }
        assertThat(fx.attribute(on, "Name")).isEqualTo("tank");
        assertThat(fx.attribute(on, "Guid")).isEqualTo(guid)
                .isEqualTo(Long.toUnsignedString(fx.engine.pool("tank").orElseThrow().guid()));
        assertThat(fx.attribute(on, "State")).isEqualTo("ACTIVE");
        assertThat(fx.attribute(on, "Health")).isEqualTo("ONLINE");
        assertThat(fx.attribute(on, "Failmode")).isEqualTo("continue");
        assertThat(fx.attribute(on, "ReadOnly")).isEqualTo(false);
        assertThat((Long) fx.attribute(on, "SyncedTxg")).isPositive();
        assertThat((Long) fx.attribute(on, "OpenTxg")).isGreaterThan((Long) fx.attribute(on, "SyncedTxg"));
        assertThat((Long) fx.attribute(on, "DirtyMaxBytes")).isPositive();
        long size = (Long) fx.attribute(on, "SizeBytes");
        long allocated = (Long) fx.attribute(on, "AllocatedBytes");
        assertThat(size).isPositive();
        assertThat((Long) fx.attribute(on, "FreeBytes")).isEqualTo(size - allocated);

        TabularData props = (TabularData) fx.attribute(on, "Properties");
        // an MXBean-style map (key, value), which Jolokia renders as a flat name -> value object
        assertThat(props.getTabularType().getIndexNames()).containsExactly("key");
        assertThat(props.getTabularType().getRowType().keySet()).containsExactlyInAnyOrder("key", "value");
        assertThat(props.get(new Object[] {"comment"}).get("value")).isEqualTo("rack 4");
        assertThat(props.get(new Object[] {"failmode"}).get("value")).isEqualTo("continue");
        TabularData sources = (TabularData) fx.attribute(on, "PropertySources");
        assertThat(sources.size()).isEqualTo(props.size());
        assertThat(sources.get(new Object[] {"comment"}).get("value")).isEqualTo("local");
        assertThat(sources.get(new Object[] {"checksum"}).get("value")).isEqualTo("default");

        CompositeData[] tree = (CompositeData[]) fx.attribute(on, "VdevTree");
        // tree order: root, the mirror, then its leaves in layout order
        assertThat(tree).extracting(r -> r.get("type")).containsExactly("root", "mirror", "file", "file");
        assertThat(tree).extracting(r -> r.get("depth")).containsExactly(0, 1, 2, 2);
        assertThat(tree).extracting(r -> r.get("name")).containsExactly("tank", "mirror-0", d.get(0), d.get(1));
        assertThat(tree).extracting(r -> r.get("path")).endsWith(d.get(0), d.get(1));
        assertThat(tree).allSatisfy(r -> {
            assertThat(r.get("state")).isEqualTo("ONLINE");
            assertThat(r.get("readErrors")).isEqualTo(0L);
        });
        CompositeData root = tree[0];
        CompositeData mirror = tree[1];
        assertThat(tree[2].get("parentGuid")).isEqualTo(mirror.get("guid"));
        assertThat(fx.attribute(on, "VdevTree")).isEqualTo(tree); // stable from one read to the next
        String config = (String) fx.attribute(on, "Config");
        assertThat(config.lines().map(String::strip).toList()).satisfiesExactly(
                header -> assertThat(header).startsWith("NAME").contains("STATE", "READ", "WRITE", "CKSUM"),
                l -> assertThat(l).startsWith("tank ").contains("ONLINE"),
                l -> assertThat(l).startsWith("mirror-0 ").contains("ONLINE"),
                l -> assertThat(l).startsWith(d.get(0) + " ").endsWith("0     0     0"),
                l -> assertThat(l).startsWith(d.get(1) + " "));
        assertThat(config.lines().toList().get(3)).startsWith("\t    " + d.get(0)); // indented by depth
        assertThat(mirror.get("parentGuid")).isEqualTo(root.get("guid"));
    }

    @Test
    void create_pool_refuses_bad_input_neg() throws Exception {
        assertIllegalArgument("createPool", "1bad", d.get(0), "");
        assertIllegalArgument("createPool", "tank", "", "");
        assertIllegalArgument("createPool", "tank", "mirror " + d.get(0), "");
        assertIllegalArgument("createPool", "tank", d.get(0), "nokey");
        assertIllegalArgument("createPool", "tank", d.get(0), "comment=a,comment=b");
        assertIllegalArgument("createPool", "tank", d.get(0), "bogus=1");
        assertIllegalArgument("createPool", "tank", d.get(0), "failmode=sometimes");
        Throwable missing = JmxFixture.failure(() -> fx.invokeManager("createPool", "tank",
                dir.resolve("nope").toString(), ""));
        assertThat(missing).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-6 ");
        assertThat(fx.server.queryNames(ObjectNames.allPools(), null)).isEmpty();
        assertThat(fx.engine.pools()).isEmpty();
    }

    @Test
    void create_pool_refuses_existing_name_and_device_in_use_neg() throws Exception {
        createTank();
        assertIllegalArgument("createPool", "tank", d.get(2), "").hasMessageStartingWith("TARN-3 ");
        Throwable inUse = JmxFixture.failure(() -> fx.invokeManager("createPool", "other", d.get(0), ""));
        assertThat(inUse).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-4 ")
                .hasMessageContaining(d.get(0));
        assertThat(fx.server.queryNames(ObjectNames.allPools(), null)).containsExactly(ObjectNames.pool("tank"));
    }

    @Test
    void export_pool_unregisters_its_mbean_pos() throws Exception {
        createTank();
        fx.invokeManager("exportPool", "tank", false);
        assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isFalse();
        assertThat((String[]) fx.attribute(ObjectNames.poolManager(), "Pools")).isEmpty();
    }

    @Test
    void export_and_force_export_of_unknown_pool_neg() throws Exception {
        assertIllegalArgument("exportPool", "nope", false).hasMessageStartingWith("TARN-2 ");
        assertIllegalArgument("forceExport", "nope").hasMessageStartingWith("TARN-2 ");
    }

    @Test
    void export_with_open_dataset_is_refused_unless_forced_neg() throws Exception {
        createTank();
        Pool pool = fx.engine.pool("tank").orElseThrow();
        pool.createDataset("ost0");
        fx.invokePool("tank", "sync");
        try (Dataset handle = pool.openDataset("ost0")) {
            assertThat(handle).isNotNull();
            Throwable busy = JmxFixture.failure(() -> fx.invokeManager("exportPool", "tank", false));
            assertThat(busy).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-17 ")
                    .hasMessageContaining("ost0");
            Throwable viaPool = JmxFixture.failure(() -> fx.invokePool("tank", "export"));
            assertThat(viaPool).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-17 ");
            // refused: nothing half-done
            assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isTrue();
            assertThat(fx.attribute(ObjectNames.pool("tank"), "State")).isEqualTo("ACTIVE");
            assertThat((String[]) fx.attribute(ObjectNames.pool("tank"), "Datasets")).containsExactly("ost0");

            fx.invokeManager("exportPool", "tank", true);
        }
        assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isFalse();
    }

    @Test
    void force_export_through_manager_and_pool_unregisters_pos() throws Exception {
        createTank();
        fx.invokeManager("forceExport", "tank");
        assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isFalse();

        fx.invokeManager("importPool", "tank", "dir=" + dir);
        assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isTrue();
        fx.invokePool("tank", "forceExport");
        assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isFalse();
        assertThat(fx.engine.pools()).isEmpty();
    }

    @Test
    void importable_pools_lists_exported_pool_by_guid_pos() throws Exception {
        String guid = createTank();
        fx.invokeManager("exportPool", "tank", false);
        TabularData table = (TabularData) fx.invokeManager("importablePools", dir.toString());
        assertThat(JmxFixture.isOpen(table)).isTrue();
        assertThat(table.getTabularType().getIndexNames()).containsExactly("guid");
        assertThat(table.size()).isEqualTo(1);
        CompositeData row = table.get(new Object[] {guid});
        assertThat(row).isNotNull();
        assertThat(row.get("name")).isEqualTo("tank");
        assertThat(row.get("state")).isEqualTo("EXPORTED");
        assertThat(row.get("importable")).isEqualTo(true);
        assertThat(row.get("problems")).isEqualTo("");
        assertThat((Long) row.get("txg")).isPositive();
        assertThat((String) row.get("host")).contains(fx.engine.hostname()).contains(String.format("%08x",
                fx.engine.hostId()));
        assertThat((String) row.get("devices")).contains("mirror").contains(d.get(0)).contains(d.get(1))
                .contains("ONLINE");
    }

    @Test
    void importable_pools_without_directory_or_search_path_neg() throws Exception {
        assertIllegalArgument("importablePools", "").hasMessageStartingWith("TARN-1 ");
    }

    @Test
    void import_pool_by_name_and_by_guid_with_rename_pos() throws Exception {
        String guid = createTank();
        fx.invokeManager("exportPool", "tank", false);
        assertThat(fx.invokeManager("importPool", "tank", "dir=" + dir)).isEqualTo("tank");
        assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isTrue();
        assertThat(fx.attribute(ObjectNames.pool("tank"), "Properties")).isInstanceOf(TabularData.class);
        fx.invokePool("tank", "export");
        assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isFalse();

        assertThat(fx.invokeManager("importPool", guid, "dir=" + dir + ",rename=tank2,readonly=true"))
                .isEqualTo("tank2");
        ObjectName on = ObjectNames.pool("tank2");
        assertThat(fx.server.isRegistered(on)).isTrue();
        assertThat(fx.attribute(on, "Guid")).isEqualTo(guid);
        assertThat(fx.attribute(on, "ReadOnly")).isEqualTo(true);
        // wrong state: a read-only pool refuses property changes
        Throwable ro = JmxFixture.failure(() -> fx.invokePool("tank2", "setProperty", "comment", "x"));
        assertThat(ro).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("TARN-18 ");
    }

    @Test
    void import_pool_refuses_bad_input_neg() throws Exception {
        createTank();
        fx.invokeManager("exportPool", "tank", false);
        assertIllegalArgument("importPool", "nope", "dir=" + dir).hasMessageStartingWith("TARN-2 ");
        assertIllegalArgument("importPool", "tank", "bogus=1").hasMessageStartingWith("TARN-1 ");
        assertIllegalArgument("importPool", "tank", "dir=" + dir + ",txg=abc").hasMessageStartingWith("TARN-1 ");
        assertIllegalArgument("importPool", "", "dir=" + dir).hasMessageStartingWith("TARN-1 ");
        assertIllegalArgument("importPool", "tank", "dir=" + dir + ",rename=bad name!")
                .hasMessageStartingWith("TARN-1 ");
        assertThat(fx.server.queryNames(ObjectNames.allPools(), null)).isEmpty();
        fx.invokeManager("importPool", "tank", "dir=" + dir);
        assertThat(JmxFixture.failure(() -> fx.invokeManager("importPool", "tank", "dir=" + dir)))
                .hasMessageStartingWith("TARN-");
    }

    @Test
    void pool_operations_sync_set_property_clear_status_events_pos() throws Exception {
        createTank();
        ObjectName on = ObjectNames.pool("tank");
        fx.invokePool("tank", "setProperty", "comment", "moved to rack 5");
        fx.invokePool("tank", "sync");
        assertThat(((TabularData) fx.attribute(on, "Properties")).get(new Object[] {"comment"}).get("value"))
                .isEqualTo("moved to rack 5");
        fx.invokePool("tank", "clear");
        assertThat(fx.attribute(on, "Health")).isEqualTo("ONLINE");

        String status = (String) fx.invokePool("tank", "status");
        assertThat(status).contains("pool: tank").contains("state: ONLINE").contains("NAME").contains("READ")
                .contains("WRITE").contains("CKSUM").contains("mirror-0").contains(d.get(0)).contains(d.get(1))
                .contains("errors: No known data errors");

        String[] events = (String[]) fx.invokePool("tank", "events");
        assertThat(events).anyMatch(l -> l.contains(" created ")).noneMatch(l -> l.contains(" imported "));
    }

    @Test
    void set_property_refuses_bad_values_neg() throws Exception {
        createTank();
        assertThat(JmxFixture.failure(() -> fx.invokePool("tank", "setProperty", "bogus", "1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("TARN-1 ");
        assertThat(JmxFixture.failure(() -> fx.invokePool("tank", "setProperty", "failmode", "maybe")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("TARN-1 ")
                .hasMessageContaining("wait");
        assertThat(fx.attribute(ObjectNames.pool("tank"), "Failmode")).isEqualTo("continue");
    }

    @Test
    void pool_mbeans_follow_engine_changes_made_outside_jmx_pos() throws Exception {
        fx.engine.createPool("direct", VdevLayout.parse(d.get(2)), Map.of(), false);
        await().atMost(Duration.ofSeconds(10)).until(() -> fx.server.isRegistered(ObjectNames.pool("direct")));
        fx.engine.exportPool("direct", false);
        await().atMost(Duration.ofSeconds(10)).until(() -> !fx.server.isRegistered(ObjectNames.pool("direct")));
        fx.engine.importPool("direct", org.tarn.api.ImportOptions.parse("dir=" + dir));
        await().atMost(Duration.ofSeconds(10)).until(() -> fx.server.isRegistered(ObjectNames.pool("direct")));
        fx.engine.forceExport("direct");
        await().atMost(Duration.ofSeconds(10)).until(() -> !fx.server.isRegistered(ObjectNames.pool("direct")));
    }

    @Test
    void register_picks_up_existing_pools_and_close_unregisters_everything_pos() throws Exception {
        createTank();
        fx.mbeans.close();
        assertThat(fx.server.queryNames(new ObjectName("tarn:*"), null)).isEmpty();
        fx.mbeans.close(); // idempotent

        try (TarnMBeans again = TarnMBeans.register(fx.engine, fx.server)) {
            assertThat(fx.server.isRegistered(ObjectNames.poolManager())).isTrue();
            assertThat(fx.server.isRegistered(ObjectNames.pool("tank"))).isTrue();
            assertThat(again.registeredPools()).containsExactly("tank");
        }
        assertThat(fx.server.queryNames(new ObjectName("tarn:*"), null)).isEmpty();
    }

    @Test
    void second_registration_in_same_server_is_refused_neg() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TarnMBeans.register(fx.engine, fx.server))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("tarn:type=PoolManager");
        assertThat(fx.server.isRegistered(ObjectNames.poolManager())).isTrue();
    }

    @Test
    void typed_proxy_needs_only_the_interface_pos() throws Exception {
        PoolManagerMXBean manager = JMX.newMBeanProxy(fx.server, ObjectNames.poolManager(), PoolManagerMXBean.class,
                true);
        String guid = manager.createPool("tank", d.get(0), "");
        assertThat(manager.getPools()).containsExactly("tank");
        PoolMXBean pool = JMX.newMBeanProxy(fx.server, ObjectNames.pool("tank"), PoolMXBean.class);
        assertThat(pool.getGuid()).isEqualTo(guid);
        assertThat(pool.status()).contains("tank");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> manager.exportPool("nope", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("TARN-2 ");
        pool.export();
        assertThat(manager.getPools()).isEmpty();
    }

    private org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertIllegalArgument(String op,
            Object... args) {
        Throwable t = JmxFixture.failure(() -> fx.invokeManager(op, args));
        return assertThat(t).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("TARN-");
    }
}
