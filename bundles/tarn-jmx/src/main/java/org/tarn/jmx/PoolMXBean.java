package org.tarn.jmx;

import static javax.management.MBeanOperationInfo.ACTION;
import static javax.management.MBeanOperationInfo.INFO;

import javax.management.MXBean;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

/**
 * One imported pool: {@code tarn:type=Pool,name="<pool>"}. Registered while
 * the pool is imported, unregistered when it is exported or force-exported.
 * Open types only; see {@link PoolManagerMXBean} for why this is a standard
 * MBean with open types and how failures arrive. It emits the notifications
 * of its pool's events ({@link TarnNotifications}), the last of them
 * ({@code exported}, {@code destroyed}, {@code force-exported}) before it is
 * unregistered.
 */
@MXBean(false)
@Description("An imported Tarn pool: state, transaction groups, capacity, properties and vdev tree")
public interface PoolMXBean {

    @Description("The pool's name in this process")
    String getName();

    @Description("The pool's GUID (unsigned decimal), fixed at creation")
    String getGuid();

    @Description("Lifecycle state: IMPORTING, ACTIVE, SUSPENDED, EXPORTING or EXPORTED")
    String getState();

    @Description("Health derived from the vdevs: ONLINE, DEGRADED, FAULTED or SUSPENDED")
    String getHealth();

    @Description("The newest transaction group that is fully on disk")
    long getSyncedTxg();

    @Description("The transaction group that new transactions join")
    long getOpenTxg();

    @Description("Bytes of changes not yet on disk, over all unsynced transaction groups")
    long getDirtyBytes();

    @Description("Dirty bytes at which writers block until a sync completes (property dirtyMaxBytes)")
    long getDirtyMaxBytes();

    @Description("Usable capacity in bytes")
    long getSizeBytes();

    @Description("Bytes allocated to blocks, including frees not yet reusable")
    long getAllocatedBytes();

    @Description("Capacity not allocated, in bytes (SizeBytes - AllocatedBytes)")
    long getFreeBytes();

    @Description("What the pool does when suspended: wait, continue or export (property failmode)")
    String getFailmode();

    @Description("Every pool property with its current value: a map from property name to value")
    TabularData getProperties();

    @Description("Whether the pool was imported read-only")
    boolean isReadOnly();

    @Description("Names of the pool's datasets, sorted")
    String[] getDatasets();

    @Description("The vdev tree in tree order (root, then each top-level vdev followed by its children, in "
            + "layout order), one row per vdev: name, depth, GUID, parent GUID, type, path, state and "
            + "read/write/checksum error counters")
    CompositeData[] getVdevTree();

    @Description("The vdev tree as zpool status prints its config block: one line per vdev, indented by depth, "
            + "with STATE, READ, WRITE and CKSUM")
    String getConfig();

    @Operation(desc = "Exports the pool cleanly (refused while datasets are open); the MBean goes away",
            impact = ACTION)
    void export();

    @Operation(desc = "Force-exports the pool in bounded time, discarding unsynced changes; the MBean goes away",
            impact = ACTION)
    void forceExport();

    @Operation(desc = "Clears device errors and faults and retries a failed sync, resuming a suspended pool",
            impact = ACTION)
    void clear();

    @Operation(desc = "Waits until every change made before the call is on disk", impact = ACTION)
    void sync();

    @Operation(desc = "A health probe for HA managers: syncs the pool like sync, but answers within the deadline "
            + "whatever the devices do; returns the newest synced transaction group, or fails with TARN-19 when "
            + "the sync did not complete in time (the devices may be hung). Probes of one pool never pile up: a "
            + "probe that finds an earlier one still waiting waits for that one", impact = ACTION)
    long syncWithin(
            @Parameter(name = "timeoutMillis", desc = "How long to wait for the sync, in milliseconds (1 to "
                    + "600000)") long timeoutMillis);

    @Operation(desc = "Changes a pool property; it is persisted with the next transaction group", impact = ACTION)
    void setProperty(
            @Parameter(name = "name", desc = "Property name, e.g. failmode, comment, dirtyMaxBytes") String name,
            @Parameter(name = "value", desc = "New value of the property") String value);

    @Operation(desc = "The pool's status as zpool status prints it: state, config tree with READ WRITE CKSUM "
            + "counters, errors", impact = INFO)
    String status();

    @Operation(desc = "The pool's recent events, oldest first, one line each: time, type, detail", impact = INFO)
    String[] events();
}
