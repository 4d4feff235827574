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

    @Description("Where each property's value comes from, as zpool get's SOURCE: a map from property name to "
            + "'local' (set on this pool, at create or with setProperty) or 'default' (the engine's default)")
    TabularData getPropertySources();

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

    @Description("The last or current scrub or resilver: function, state, times, bytes examined/issued/repaired, "
            + "errors, rate, estimated seconds left, percent done, txg range")
    CompositeData getScan();

    @Description("Blocks found damaged on every copy since the last scrub began (zpool status -v), one line each: "
            + "dataset:<0xobject> offset N (type): detail; newest last, at most 100")
    String[] getDataErrors();

    @Description("I/O statistics since import, one row per vdev in tree order (pool first, as zpool iostat -v): "
            + "operations, bytes and total latency of reads/writes/flushes, latency histograms, queue depths, "
            + "bytes moved by scans")
    CompositeData[] getIoStats();

    @Description("The pool's command history kept in the pool (zpool history), oldest first: ISO time, "
            + "[internal] for what the engine did by itself, the command, the host")
    String[] getHistory();

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

    @Operation(desc = "Starts a scrub (verify every block on every device, repair bad copies), or resumes a "
            + "paused one; refused while a resilver runs or is needed", impact = ACTION)
    void scrub();

    @Operation(desc = "Pauses the running scrub; scrub resumes it where it stopped, also after an export",
            impact = ACTION)
    void pauseScrub();

    @Operation(desc = "Cancels the running or paused scrub", impact = ACTION)
    void stopScrub();

    @Operation(desc = "Starts (or restarts) a resilver of the devices that missed transaction groups",
            impact = ACTION)
    void resilver();

    @Operation(desc = "Attaches a new device to the vdev of an existing one, making or widening a mirror; the new "
            + "device is resilvered in the background", impact = ACTION)
    void attach(
            @Parameter(name = "device", desc = "A device of the pool, by path or GUID") String device,
            @Parameter(name = "newDevice", desc = "The device to attach: not in use, at least as large") String
                    newDevice,
            @Parameter(name = "force", desc = "Take a device that holds the label of an active pool") boolean force);

    @Operation(desc = "Detaches a device from a mirror; refused if no other device of the mirror holds every "
            + "transaction group", impact = ACTION)
    void detach(@Parameter(name = "device", desc = "The device to detach, by path or GUID") String device);

    @Operation(desc = "Replaces a device: the new one is attached and resilvered, then the old one is detached; "
            + "an empty newDevice replaces a disk swapped at the same path", impact = ACTION)
    void replace(
            @Parameter(name = "device", desc = "The device to replace, by path or GUID") String device,
            @Parameter(name = "newDevice", desc = "The replacement; empty for a new disk at the same path") String
                    newDevice,
            @Parameter(name = "force", desc = "Take a device that holds the label of an active pool") boolean force);

    @Operation(desc = "Brings an offline or faulted device back and resilvers what it missed", impact = ACTION)
    void online(@Parameter(name = "device", desc = "The device, by path or GUID") String device);

    @Operation(desc = "Takes a device offline (closed, no I/O); the transaction groups it misses are recorded and "
            + "resilvered by online; refused for the last copy", impact = ACTION)
    void offline(
            @Parameter(name = "device", desc = "The device, by path or GUID") String device,
            @Parameter(name = "temporary", desc = "Online again at the next import (else it stays offline)")
                    boolean temporary);

    @Operation(desc = "Adds top-level vdevs to the pool (zpool add): the new space is usable at once",
            impact = ACTION)
    void add(
            @Parameter(name = "layout", desc = "Vdevs as zpool add takes them: 'mirror /d4 /d5' or '/d4'") String
                    layout,
            @Parameter(name = "force", desc = "Take devices that hold the label of an active pool") boolean force);

    @Operation(desc = "The pool's status as zpool status prints it: state, config tree with READ WRITE CKSUM "
            + "counters, errors", impact = INFO)
    String status();

    @Operation(desc = "The pool's recent events, oldest first, one line each: time, type, detail", impact = INFO)
    String[] events();
}
