package org.tarn.jmx;

import static javax.management.MBeanOperationInfo.ACTION;
import static javax.management.MBeanOperationInfo.INFO;

import javax.management.MXBean;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

/**
 * The pools of one Tarn engine: {@code tarn:type=PoolManager}.
 *
 * <p>Every type here is an open type (String, long, boolean, String[],
 * TabularData), so generic clients need no Tarn classes. The tabular types are
 * built explicitly (one simple index each), which the MXBean mapping cannot
 * express, so this interface is registered as a standard MBean with open
 * types ({@code @MXBean(false)}); use {@link javax.management.JMX#newMBeanProxy}
 * for a typed proxy. Failures arrive as {@link IllegalArgumentException} (bad
 * input, unknown pool) or {@link IllegalStateException} (wrong state, device
 * problems), their message starting with the stable code, e.g. {@code TARN-2}.
 * The MBean is a notification emitter; see {@link TarnNotifications}.
 */
@MXBean(false)
@Description("The pools of this Tarn engine: create, scan for, import and export pools")
public interface PoolManagerMXBean {

    @Description("Names of the pools imported in this process, sorted")
    String[] getPools();

    @Description("This engine's host id (hexadecimal), written into the labels of the pools it imports")
    String getHostId();

    @Description("This engine's host name")
    String getHostname();

    @Description("Directories scanned for devices when an import or scan names none")
    String[] getSearchPaths();

    @Description("The engine's block cache as a whole (one fixed budget for all its pools): budget, bytes cached "
            + "now, hits, misses and evictions since the engine started, hit percent")
    CompositeData getBlockCache();

    @Description("The imports running now, one line each: the pool, its step and how long the step still "
            + "takes, e.g. 'ost1: checking multihost activity, 2.5 s left'")
    String[] getImportsInProgress();

    @Operation(desc = "Creates a pool on the given devices and imports it; returns the new pool's GUID "
            + "(unsigned decimal). Refuses devices of an active pool.", impact = ACTION)
    String createPool(
            @Parameter(name = "name", desc = "Name of the new pool: a letter, then letters, digits and _.-") String name,
            @Parameter(name = "layout", desc = "Devices in zpool create syntax, e.g. 'mirror /d1 /d2 mirror /d3 /d4' "
                    + "or '/d1 /d2'") String layout,
            @Parameter(name = "properties", desc = "Pool properties as key=value,key=value (e.g. "
                    + "'failmode=continue,comment=rack 4'); empty for the defaults") String properties);

    @Operation(desc = "Scans directories for devices and lists the pools they hold, one row per pool indexed "
            + "by GUID, with what would stop each import", impact = INFO)
    TabularData importablePools(
            @Parameter(name = "dirs", desc = "Directories to scan, separated by commas; empty for the search "
                    + "paths") String dirs);

    @Operation(desc = "Imports a pool found on the devices, by name or GUID; returns the name it was "
            + "imported under", impact = ACTION)
    String importPool(
            @Parameter(name = "nameOrGuid", desc = "The pool's name, or its GUID (decimal, or hexadecimal with "
                    + "0x)") String nameOrGuid,
            @Parameter(name = "options", desc = "Import options: force=true,readonly=true,rename=NEW,dir=PATH,"
                    + "rewind=true,txg=N,destroyed=true (dir may repeat; destroyed imports a destroyed pool); "
                    + "empty for the defaults") String options);

    @Operation(desc = "Exports a pool cleanly: syncs it, marks its labels EXPORTED and releases its devices",
            impact = ACTION)
    void exportPool(
            @Parameter(name = "name", desc = "Name of the imported pool") String name,
            @Parameter(name = "force", desc = "Close open dataset handles instead of refusing the export")
            boolean force);

    @Operation(desc = "Destroys a pool: exports it cleanly, marking its labels DESTROYED; it can be "
            + "imported again only with the option destroyed=true, and its devices reused without force",
            impact = ACTION)
    void destroyPool(
            @Parameter(name = "name", desc = "Name of the imported pool") String name,
            @Parameter(name = "force", desc = "Close open dataset handles instead of refusing") boolean force);

    @Operation(desc = "Force-exports a pool in bounded time whatever its devices do: discards unsynced "
            + "changes and writes nothing", impact = ACTION)
    void forceExport(
            @Parameter(name = "name", desc = "Name of the imported pool") String name);
}
