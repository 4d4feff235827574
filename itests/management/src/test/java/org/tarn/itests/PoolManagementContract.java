package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import javax.management.ObjectName;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tarn.jmx.ObjectNames;

/**
 * The management contract of {@code tarn:type=PoolManager} and
 * {@code tarn:type=Pool,name=...}, written once against {@link MBeanAccess}
 * and run in-process, over remote JMX and over Jolokia HTTP by the subclasses
 * (as Artemis' {@code QueueControlUsingCoreTest extends QueueControlTest}).
 * Each test makes its own pools, so tests share one engine per class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class PoolManagementContract {
    private static final ObjectName MANAGER = ObjectNames.poolManager();
    private static final String IAE = IllegalArgumentException.class.getName();
    private static final String ISE = IllegalStateException.class.getName();

    private final AtomicInteger pools = new AtomicInteger();
    private MBeanAccess access;

    /** Starts the engine (or server) and connects; called once per class. */
    protected abstract MBeanAccess connect() throws Exception;

    /** Creates {@code n} fresh device files where this path's engine may use them. */
    protected abstract List<String> newDevices(int n) throws Exception;

    /** Stops what {@link #connect()} started. */
    protected abstract void shutdown() throws Exception;

    /**
     * Checks the transport-level marks of a failure; Jolokia overrides this to
     * check the response status. {@code exceptionType} is what the MBean threw.
     */
    protected void assertFailureStatus(ManagementFailure failure, String exceptionType) {
        assertThat(failure.status()).as("JMX paths carry no status").isNull();
    }

    @BeforeAll
    final void connectAll() throws Exception {
        access = connect();
    }

    @AfterAll
    final void closeAll() throws Exception {
        try {
            if (access != null) {
                access.close();
            }
        } finally {
            shutdown();
        }
    }

    protected final MBeanAccess access() {
        return access;
    }

    private String uniqueName(String prefix) {
        return prefix + pools.incrementAndGet();
    }

    /** Creates a pool on a fresh mirror of two devices; returns its GUID. */
    private String createMirror(String name) throws Exception {
        List<String> d = newDevices(2);
        return (String) access.invoke(MANAGER, "createPool", name, "mirror " + d.get(0) + " " + d.get(1),
                "comment=contract");
    }

    private ManagementFailure failure(Runnable call, String code, String exceptionType) {
        ManagementFailure f = catchThrowableOfType(ManagementFailure.class, call::run);
        assertThat(f).as("expected a failure naming %s", code).isNotNull();
        assertThat(f.exceptionType()).as("exception type of %s", f.getMessage()).isEqualTo(exceptionType);
        assertThat(f.getMessage()).as("names the stable code").containsPattern(code + "\\b");
        assertFailureStatus(f, exceptionType);
        return f;
    }

    @SuppressWarnings("unchecked")
    private List<Object> pools() {
        return (List<Object>) access.getAttribute(MANAGER, "Pools");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object v) {
        assertThat(v).isInstanceOf(Map.class);
        return (Map<String, Object>) v;
    }

    // --- create -----------------------------------------------------------------------------------------------

    @Test
    void createPool_registers_an_active_pool_pos() throws Exception {
        String name = uniqueName("create");
        String guid = createMirror(name);

        assertThat(guid).matches("[0-9]+");
        assertThat(pools()).contains(name);
        ObjectName pool = ObjectNames.pool(name);
        assertThat(access.isRegistered(pool)).isTrue();
        assertThat(access.getAttribute(pool, "Guid")).isEqualTo(guid);
        assertThat(access.getAttribute(pool, "Name")).isEqualTo(name);
        assertThat(access.getAttribute(pool, "State")).isEqualTo("ACTIVE");
        assertThat(access.getAttribute(pool, "Health")).isEqualTo("ONLINE");
    }

    @Test
    void createPool_refuses_bad_input_with_TARN_1_neg() throws Exception {
        List<String> d = newDevices(1);
        failure(() -> access.invoke(MANAGER, "createPool", "bad", "mirror", ""), "TARN-1", IAE);
        failure(() -> access.invoke(MANAGER, "createPool", "9starts-with-digit", d.get(0), ""), "TARN-1", IAE);
        failure(() -> access.invoke(MANAGER, "createPool", uniqueName("props"), d.get(0), "novalue"), "TARN-1", IAE);
        // nothing was left half-done: the device is still free for a good create
        String name = uniqueName("after");
        access.invoke(MANAGER, "createPool", name, d.get(0), "");
        assertThat(access.isRegistered(ObjectNames.pool(name))).isTrue();
    }

    @Test
    void createPool_refuses_devices_of_an_active_pool_with_TARN_4_neg() throws Exception {
        List<String> d = newDevices(1);
        String first = uniqueName("inuse");
        access.invoke(MANAGER, "createPool", first, d.get(0), "");
        String second = uniqueName("steal");
        failure(() -> access.invoke(MANAGER, "createPool", second, d.get(0), ""), "TARN-4", ISE);
        assertThat(access.isRegistered(ObjectNames.pool(second))).isFalse();
        assertThat(access.getAttribute(ObjectNames.pool(first), "Health")).isEqualTo("ONLINE");
    }

    // --- read -------------------------------------------------------------------------------------------------

    @Test
    void attributes_read_pos() throws Exception {
        String name = uniqueName("read");
        createMirror(name);
        ObjectName pool = ObjectNames.pool(name);

        assertThat((String) access.getAttribute(MANAGER, "HostId")).matches("[0-9a-f]{8}");
        assertThat((String) access.getAttribute(MANAGER, "Hostname")).isNotBlank();
        assertThat(access.getAttribute(MANAGER, "SearchPaths")).isInstanceOf(List.class);

        long size = (Long) access.getAttribute(pool, "SizeBytes");
        long allocated = (Long) access.getAttribute(pool, "AllocatedBytes");
        long free = (Long) access.getAttribute(pool, "FreeBytes");
        assertThat(size).isPositive();
        assertThat(free).isBetween(0L, size);
        assertThat(allocated).isBetween(0L, size);
        assertThat((Long) access.getAttribute(pool, "OpenTxg"))
                .isGreaterThan((Long) access.getAttribute(pool, "SyncedTxg"));
        assertThat((Long) access.getAttribute(pool, "DirtyBytes")).isNotNegative();
        assertThat(access.getAttribute(pool, "ReadOnly")).isEqualTo(false);
        assertThat(access.getAttribute(pool, "Datasets")).isInstanceOf(List.class);
        // a flat name -> value map on every path
        assertThat(map(access.getAttribute(pool, "Properties"))).containsEntry("comment", "contract")
                .containsKey("failmode").allSatisfy((k, v) -> assertThat(v).isInstanceOf(String.class));

        List<?> tree = (List<?>) access.getAttribute(pool, "VdevTree");
        assertThat(tree).hasSize(4); // root, mirror, two files, in tree order on every path
        assertThat(tree).allSatisfy(row -> assertThat(map(row))
                .containsKeys("name", "guid", "parentGuid", "depth", "type", "path", "state", "readErrors",
                        "writeErrors", "checksumErrors")
                .containsEntry("state", "ONLINE"));
        assertThat(tree).extracting(row -> map(row).get("type")).containsExactly("root", "mirror", "file", "file");
        assertThat(tree).extracting(row -> map(row).get("depth")).containsExactly(0L, 1L, 2L, 2L);
        assertThat(map(tree.get(0)).get("name")).isEqualTo(name);
        assertThat(map(tree.get(1)).get("name")).isEqualTo("mirror-0");
        String config = (String) access.getAttribute(pool, "Config");
        assertThat(config.lines().map(String::strip)).hasSize(5).first().asString().startsWith("NAME");
        assertThat(config).contains("mirror-0", (String) map(tree.get(2)).get("path"));
        assertThat(((String) access.invoke(pool, "status"))).contains(name).contains("ONLINE");
        assertThat((List<?>) access.invoke(pool, "events")).anySatisfy(e -> assertThat((String) e).contains("created"));
    }

    @Test
    void attribute_of_an_unknown_pool_is_refused_neg() {
        ManagementFailure f = catchThrowableOfType(ManagementFailure.class,
                () -> access.getAttribute(ObjectNames.pool("no-such-pool"), "Health"));
        assertThat(f).isNotNull();
        assertThat(f.exceptionType()).isEqualTo("javax.management.InstanceNotFoundException");
    }

    // --- setProperty ------------------------------------------------------------------------------------------

    @Test
    void setProperty_is_read_back_pos() throws Exception {
        String name = uniqueName("prop");
        createMirror(name);
        ObjectName pool = ObjectNames.pool(name);

        access.invoke(pool, "setProperty", "comment", "rack 4");
        access.invoke(pool, "setProperty", "failmode", "continue");
        access.invoke(pool, "sync");

        assertThat(map(access.getAttribute(pool, "Properties"))).containsEntry("comment", "rack 4");
        assertThat(access.getAttribute(pool, "Failmode")).isEqualTo("continue");
    }

    @Test
    void setProperty_refuses_unknown_property_with_TARN_1_neg() throws Exception {
        String name = uniqueName("badprop");
        createMirror(name);
        ObjectName pool = ObjectNames.pool(name);

        failure(() -> access.invoke(pool, "setProperty", "no-such-property", "x"), "TARN-1", IAE);
        assertThat(map(access.getAttribute(pool, "Properties"))).doesNotContainKey("no-such-property");
    }

    // --- export, importablePools, importPool ------------------------------------------------------------------

    @Test
    void export_then_importablePools_lists_it_then_importPool_pos() throws Exception {
        String name = uniqueName("cycle");
        String guid = createMirror(name);
        ObjectName pool = ObjectNames.pool(name);

        access.invoke(MANAGER, "exportPool", name, false);
        assertThat(access.isRegistered(pool)).isFalse();
        assertThat(pools()).doesNotContain(name);

        Map<String, Object> found = map(access.invoke(MANAGER, "importablePools", ""));
        assertThat(found).containsKey(guid);
        assertThat(map(found.get(guid))).containsEntry("name", name).containsEntry("state", "EXPORTED")
                .containsEntry("importable", true);

        assertThat(access.invoke(MANAGER, "importPool", name, "")).isEqualTo(name);
        assertThat(access.isRegistered(pool)).isTrue();
        assertThat(access.getAttribute(pool, "Guid")).isEqualTo(guid);
        assertThat(access.getAttribute(pool, "State")).isEqualTo("ACTIVE");
    }

    @Test
    void pool_export_operation_unregisters_the_mbean_pos() throws Exception {
        String name = uniqueName("selfexport");
        createMirror(name);
        access.invoke(ObjectNames.pool(name), "export");
        assertThat(access.isRegistered(ObjectNames.pool(name))).isFalse();
    }

    @Test
    void export_and_import_of_unknown_pools_are_refused_with_TARN_2_neg() {
        failure(() -> access.invoke(MANAGER, "exportPool", "no-such-pool", false), "TARN-2", IAE);
        failure(() -> access.invoke(MANAGER, "forceExport", "no-such-pool"), "TARN-2", IAE);
        failure(() -> access.invoke(MANAGER, "importPool", "no-such-pool", ""), "TARN-2", IAE);
    }

    @Test
    void importPool_refuses_malformed_options_with_TARN_1_neg() {
        failure(() -> access.invoke(MANAGER, "importPool", "whatever", "bogus-option=1"), "TARN-1", IAE);
    }

    // --- forceExport ------------------------------------------------------------------------------------------

    @Test
    void forceExport_removes_the_pool_mbean_pos() throws Exception {
        String viaManager = uniqueName("force");
        String viaPool = uniqueName("force");
        createMirror(viaManager);
        createMirror(viaPool);

        access.invoke(MANAGER, "forceExport", viaManager);
        access.invoke(ObjectNames.pool(viaPool), "forceExport");

        assertThat(access.isRegistered(ObjectNames.pool(viaManager))).isFalse();
        assertThat(access.isRegistered(ObjectNames.pool(viaPool))).isFalse();
        assertThat(pools()).doesNotContain(viaManager, viaPool);
        // a force-exported pool can be imported again
        assertThat(access.invoke(MANAGER, "importPool", viaManager, "")).isEqualTo(viaManager);
        assertThat(access.isRegistered(ObjectNames.pool(viaManager))).isTrue();
    }
}
