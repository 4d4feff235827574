package org.tarn.jmx.internal;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.ArrayType;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import javax.management.openmbean.TabularData;
import javax.management.openmbean.TabularDataSupport;
import javax.management.openmbean.TabularType;

import org.tarn.api.ImportScan;
import org.tarn.api.ImportablePool;
import org.tarn.api.PoolEvent;
import org.tarn.api.VdevStatus;

/**
 * Every conversion between Tarn values and open types. Each table has one
 * simple index (pool GUID, property name) so Jolokia renders it as a flat
 * map; name-to-value tables use the items {@code key} and {@code value} of an
 * MXBean map, which Jolokia renders as a plain JSON object
 * ({@code {"failmode":"wait",...}}). The vdev tree is an array in tree order
 * (depth first, children in layout order), the order {@code zpool status}
 * prints. GUIDs travel as unsigned decimal strings, times as ISO-8601 UTC
 * with milliseconds.
 */
public final class OpenTypeCodec {
    /** One vdev of a pool's tree. */
    public static final CompositeType VDEV_ROW;
    /** The vdev tree: its rows in tree order. */
    public static final ArrayType<CompositeData> VDEV_TREE;
    public static final CompositeType SCAN;
    /** Block cache counters (of a pool, or of the engine). */
    public static final CompositeType BLOCK_CACHE;
    public static final CompositeType IOSTAT_ROW;
    public static final ArrayType<CompositeData> IOSTATS;
    /** One pool found by a scan. */
    public static final CompositeType IMPORTABLE_ROW;
    /** The pools found by a scan, indexed by {@code guid}. */
    public static final TabularType IMPORTABLE_POOLS;
    /** One entry of a name-to-value map. */
    public static final CompositeType MAP_ENTRY;
    /** A name-to-value map (pool properties, their sources), indexed by {@code key}. */
    public static final TabularType STRING_MAP;
    /** The user data of a pool notification. */
    public static final CompositeType EVENT;
    /** The user data of a target notification. */
    public static final CompositeType TARGET_EVENT;

    /** Event times: ISO-8601 UTC, always with milliseconds, so they sort as text. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    // CompositeType sorts its item names; rows are written in declaration order
    // (declared before the static block, which fills it).
    private static final Map<CompositeType, String[]> DECLARED = new java.util.concurrent.ConcurrentHashMap<>();

    static {
        try {
            VDEV_ROW = composite("tarn.Vdev", "One vdev of a pool's tree",
                    "name", "As zpool status names it: the pool for the root, mirror-N for a mirror, the path "
                            + "for a leaf", SimpleType.STRING,
                    "guid", "The vdev's GUID (unsigned decimal), unique within the pool", SimpleType.STRING,
                    "parentGuid", "The parent vdev's GUID; empty for the root", SimpleType.STRING,
                    "depth", "Depth in the tree: 0 for the root, 1 for top-level vdevs", SimpleType.INTEGER,
                    "type", "root, mirror or the leaf driver type (file, fault, ...)", SimpleType.STRING,
                    "path", "The device path of a leaf; the type for interior vdevs", SimpleType.STRING,
                    "state", "ONLINE, DEGRADED, FAULTED or REMOVED", SimpleType.STRING,
                    "readErrors", "Failed reads since import or the last clear", SimpleType.LONG,
                    "writeErrors", "Failed writes since import or the last clear", SimpleType.LONG,
                    "checksumErrors", "Reads whose data did not match its checksum", SimpleType.LONG,
                    "missingTxgs", "For a leaf, the transaction groups it missed (its dirty time log) as ranges such "
                            + "as 12-40,45, which a resilver copies; empty when it holds every txg", SimpleType.STRING,
                    "note", "For a leaf, what zpool status says after it: resilvering, awaiting resilver, "
                            + "replacing <path>, offline; empty when nothing", SimpleType.STRING);
            VDEV_TREE = new ArrayType<>(1, VDEV_ROW);
            SCAN = composite("tarn.ScanStatus", "The pool's last or current scrub or resilver",
                    "function", "none, scrub or resilver", SimpleType.STRING,
                    "state", "none, scanning, paused, finished or canceled", SimpleType.STRING,
                    "startTime", "When it began (ISO-8601 UTC); empty if never", SimpleType.STRING,
                    "endTime", "When it finished or was canceled (ISO-8601 UTC); empty while in progress",
                    SimpleType.STRING,
                    "toExamineBytes", "Bytes allocated when it began: what it walks", SimpleType.LONG,
                    "examinedBytes", "Bytes of blocks walked so far", SimpleType.LONG,
                    "issuedBytes", "Bytes read from devices so far", SimpleType.LONG,
                    "repairedBytes", "Bytes written: repaired by a scrub, copied by a resilver", SimpleType.LONG,
                    "errors", "Blocks no copy of which could be read or verified", SimpleType.LONG,
                    "bytesPerSecond", "Recent rate of examined bytes; 0 when not scanning", SimpleType.LONG,
                    "secondsLeft", "Estimated seconds to the end; -1 when unknown", SimpleType.LONG,
                    "percentDone", "Percent of toExamineBytes examined (100 once finished)", SimpleType.DOUBLE,
                    "minTxg", "Oldest birth txg of the blocks it visits (0 for a scrub)", SimpleType.LONG,
                    "maxTxg", "Newest birth txg of the blocks it visits", SimpleType.LONG);
            BLOCK_CACHE = composite("tarn.BlockCacheStats", "Counters of the engine's block cache (ARC), whose "
                            + "one fixed budget all pools of the engine share",
                    "budgetBytes", "The engine's cache budget in bytes (setting blockCacheBytes)", SimpleType.LONG,
                    "sizeBytes", "Bytes of blocks cached now", SimpleType.LONG,
                    "hits", "Block reads answered from memory", SimpleType.LONG,
                    "misses", "Block reads that went to the devices", SimpleType.LONG,
                    "evictions", "Blocks dropped to stay within the budget", SimpleType.LONG,
                    "hitPercent", "hits / (hits + misses) in percent; 0 before the first read", SimpleType.DOUBLE);
            ArrayType<long[]> histogram = ArrayType.getPrimitiveArrayType(long[].class);
            IOSTAT_ROW = composite("tarn.VdevIoStats", "I/O counters of one vdev since import; interior vdevs sum "
                            + "their leaves",
                    "name", "As zpool iostat -v names it: the pool, mirror-N, a device path", SimpleType.STRING,
                    "guid", "The vdev's GUID (unsigned decimal)", SimpleType.STRING,
                    "depth", "0 for the pool, 1 for top-level vdevs, 2 for mirror children", SimpleType.INTEGER,
                    "allocatedBytes", "Bytes allocated (pool and top-level vdevs; 0 for mirror children)",
                    SimpleType.LONG,
                    "freeBytes", "Bytes free (pool and top-level vdevs; 0 for mirror children)", SimpleType.LONG,
                    "readOps", "Reads completed", SimpleType.LONG,
                    "writeOps", "Writes completed", SimpleType.LONG,
                    "flushOps", "Cache flushes completed", SimpleType.LONG,
                    "readBytes", "Bytes read", SimpleType.LONG,
                    "writeBytes", "Bytes written", SimpleType.LONG,
                    "readNanos", "Total latency of the reads, queueing included, in ns", SimpleType.LONG,
                    "writeNanos", "Total latency of the writes, in ns", SimpleType.LONG,
                    "flushNanos", "Total latency of the flushes, in ns", SimpleType.LONG,
                    "readLatency", "Read latency histogram: element i counts calls of [2^i, 2^(i+1)) ns", histogram,
                    "writeLatency", "Write latency histogram, buckets as readLatency", histogram,
                    "flushLatency", "Flush latency histogram, buckets as readLatency", histogram,
                    "queued", "Calls waiting for a device thread now", SimpleType.INTEGER,
                    "active", "Calls running on the device now", SimpleType.INTEGER,
                    "scanBytes", "Bytes of the totals moved by scrubs and resilvers", SimpleType.LONG);
            IOSTATS = new ArrayType<>(1, IOSTAT_ROW);
            IMPORTABLE_ROW = composite("tarn.ImportablePool", "A pool found on the scanned devices",
                    "guid", "The pool's GUID (unsigned decimal)", SimpleType.STRING,
                    "name", "The pool's name", SimpleType.STRING,
                    "state", "The state its labels record: ACTIVE, EXPORTED or DESTROYED", SimpleType.STRING,
                    "host", "The host that last imported it: name and hex host id", SimpleType.STRING,
                    "txg", "The newest transaction group found", SimpleType.LONG,
                    "lastWritten", "When that group was written (ISO-8601)", SimpleType.STRING,
                    "importable", "Whether an import can succeed (possibly with force)", SimpleType.BOOLEAN,
                    "problems", "What would stop or degrade an import, separated by '; '", SimpleType.STRING,
                    "devices", "Its devices with their state, in layout order", SimpleType.STRING);
            IMPORTABLE_POOLS = new TabularType("tarn.ImportablePools", "Pools found by a scan, by GUID",
                    IMPORTABLE_ROW, new String[] {"guid"});
            MAP_ENTRY = composite("tarn.MapEntry", "A name and its value",
                    "key", "The name", SimpleType.STRING,
                    "value", "Its value", SimpleType.STRING);
            STRING_MAP = new TabularType("tarn.StringMap", "Values by name", MAP_ENTRY, new String[] {"key"});
            EVENT = composite("tarn.PoolEvent", "A pool event",
                    "pool", "The pool's name", SimpleType.STRING,
                    "guid", "The pool's GUID (unsigned decimal)", SimpleType.STRING,
                    "type", "The engine's event type: created, imported, exported, ...", SimpleType.STRING,
                    "detail", "Why, for an operator", SimpleType.STRING,
                    "time", "When it happened: ISO-8601 UTC with milliseconds", SimpleType.STRING);
            TARGET_EVENT = composite("tarn.TargetEvent", "A storage target event",
                    "pool", "The target's pool", SimpleType.STRING,
                    "target", "The target's name", SimpleType.STRING,
                    "type", "mounted, recovery-finished, evicted, unmounted or failed", SimpleType.STRING,
                    "detail", "Why, for an operator", SimpleType.STRING,
                    "time", "When it happened: ISO-8601 UTC with milliseconds", SimpleType.STRING);
        } catch (OpenDataException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private OpenTypeCodec() {
    }

    /** A GUID as it travels over JMX: unsigned decimal. */
    public static String guid(long guid) {
        return Long.toUnsignedString(guid);
    }

    /** The vdev tree, one row per vdev, depth first in layout order (root first). */
    public static CompositeData[] vdevTree(String poolName, VdevStatus root) {
        List<CompositeData> rows = new ArrayList<>();
        addVdev(rows, poolName, root, null, 0, 0);
        return rows.toArray(CompositeData[]::new);
    }

    private static void addVdev(List<CompositeData> rows, String poolName, VdevStatus v, VdevStatus parent,
            int depth, int index) {
        rows.add(row(VDEV_ROW, vdevName(poolName, v, depth, index), guid(v.guid()),
                parent == null ? "" : guid(parent.guid()), depth, v.type(), v.path(), v.state().name(),
                v.readErrors(), v.writeErrors(), v.checksumErrors(), v.missingTxgs(), v.note()));
        int i = 0;
        for (VdevStatus child : v.children()) {
            addVdev(rows, poolName, child, v, depth + 1, i++);
        }
    }

    /** A scan status as the {@code Scan} attribute carries it. */
    public static CompositeData scan(org.tarn.api.ScanStatus s) {
        return row(SCAN, s.function(), s.state(), s.startTime() == null ? "" : time(s.startTime()),
                s.endTime() == null ? "" : time(s.endTime()), s.toExamineBytes(), s.examinedBytes(),
                s.issuedBytes(), s.repairedBytes(), s.errors(), s.bytesPerSecond(), s.secondsLeft(), s.percentDone(),
                s.minTxg(), s.maxTxg());
    }

    /** Block cache counters as the {@code BlockCache} attributes carry them. */
    public static CompositeData blockCache(org.tarn.api.BlockCacheStats s) {
        return row(BLOCK_CACHE, s.budgetBytes(), s.sizeBytes(), s.hits(), s.misses(), s.evictions(),
                100 * s.hitRatio());
    }

    /** I/O statistics, one row per vdev in tree order (the pool first). */
    public static CompositeData[] ioStats(org.tarn.api.IoStats stats) {
        List<CompositeData> rows = new ArrayList<>();
        for (org.tarn.api.VdevIoStats v : stats.vdevs()) {
            rows.add(row(IOSTAT_ROW, v.name(), guid(v.guid()), v.depth(), v.allocatedBytes(), v.freeBytes(),
                    v.readOps(), v.writeOps(), v.flushOps(), v.readBytes(), v.writeBytes(), v.readNanos(),
                    v.writeNanos(), v.flushNanos(), v.readLatency(), v.writeLatency(), v.flushLatency(), v.queued(),
                    v.active(), v.scanBytes()));
        }
        return rows.toArray(CompositeData[]::new);
    }

    /** One history entry as a line: ISO time, host, the command ({@code [internal]} for the engine's own). */
    public static String historyLine(org.tarn.api.HistoryEntry e) {
        return time(e.time()) + " " + (e.internal() ? "[internal] " : "") + e.command()
                + (e.hostname().isEmpty() ? "" : " [on " + e.hostname() + "]");
    }

    /**
     * A vdev's name as {@code zpool status} prints it: the pool's name for the
     * root, {@code <type>-<index among its siblings>} for an interior vdev, the
     * path for a leaf.
     */
    public static String vdevName(String poolName, VdevStatus v, int depth, int index) {
        if (depth == 0) {
            return poolName;
        }
        return v.isLeaf() ? v.path() : v.type() + "-" + index;
    }

    /** The pools of a scan, one row per pool. */
    public static TabularData importablePools(ImportScan scan) {
        TabularDataSupport table = new TabularDataSupport(IMPORTABLE_POOLS);
        for (ImportablePool p : scan.pools()) {
            table.put(row(IMPORTABLE_ROW, guid(p.guid()), p.name(), p.state(),
                    p.hostname() + " (hostid " + String.format("%08x", p.hostId()) + ")", p.txg(),
                    Instant.ofEpochMilli(p.lastWrittenMillis()).toString(), p.importable(),
                    String.join("; ", p.problems()), devices(p.vdevTree())));
        }
        return table;
    }

    /**
     * The devices of a tree in one line: {@code mirror(/d0 ONLINE, /d1 REMOVED) /d2 ONLINE}.
     */
    public static String devices(VdevStatus root) {
        List<String> parts = new ArrayList<>();
        List<VdevStatus> tops = root.isLeaf() ? List.of(root) : root.children();
        for (VdevStatus top : tops) {
            if (top.isLeaf()) {
                parts.add(top.path() + " " + top.state());
            } else {
                List<String> leaves = new ArrayList<>();
                top.children().forEach(c -> leaves.add(c.path() + " " + c.state()));
                parts.add(top.type() + "(" + String.join(", ", leaves) + ")");
            }
        }
        return String.join(" ", parts);
    }

    /** A name-to-value map (in the map's order), one row per name. */
    public static TabularData stringMap(Map<String, String> values) {
        TabularDataSupport table = new TabularDataSupport(STRING_MAP);
        values.forEach((k, v) -> table.put(row(MAP_ENTRY, k, v == null ? "" : v)));
        return table;
    }

    /** The user data of the notification of a pool event. */
    public static CompositeData event(String pool, long guid, PoolEvent e) {
        return row(EVENT, pool, guid(guid), e.type(), e.detail() == null ? "" : e.detail(), time(e.time()));
    }

    /** The user data of the notification of a target event. */
    public static CompositeData targetEvent(String pool, String target, String type, String detail, Instant time) {
        return row(TARGET_EVENT, pool, target, type, detail == null ? "" : detail, time(time));
    }

    /** An instant as Tarn's notifications and histories print it: ISO-8601 UTC with milliseconds. */
    public static String time(Instant t) {
        return TIME.format(t);
    }

    /** One line of a pool's event history: time, type, detail. */
    public static String eventLine(PoolEvent e) {
        return time(e.time()) + " " + e.type()
                + (e.detail() == null || e.detail().isEmpty() ? "" : " " + e.detail());
    }

    private static CompositeData row(CompositeType type, Object... values) {
        try {
            return new CompositeDataSupport(type, type.keySet().toArray(String[]::new), orderedLike(type, values));
        } catch (OpenDataException e) {
            throw new IllegalStateException("cannot encode " + type.getTypeName() + ": " + e.getMessage(), e);
        }
    }

    private static Object[] orderedLike(CompositeType type, Object[] declaredOrderValues) {
        String[] declared = DECLARED.get(type);
        String[] sorted = type.keySet().toArray(String[]::new);
        Object[] out = new Object[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            for (int j = 0; j < declared.length; j++) {
                if (declared[j].equals(sorted[i])) {
                    out[i] = declaredOrderValues[j];
                }
            }
        }
        return out;
    }

    private static CompositeType composite(String name, String description, Object... triples)
            throws OpenDataException {
        int n = triples.length / 3;
        String[] names = new String[n];
        String[] descriptions = new String[n];
        OpenType<?>[] types = new OpenType<?>[n];
        for (int i = 0; i < n; i++) {
            names[i] = (String) triples[3 * i];
            descriptions[i] = (String) triples[3 * i + 1];
            types[i] = (OpenType<?>) triples[3 * i + 2];
        }
        CompositeType type = new CompositeType(name, description, names, descriptions, types);
        DECLARED.put(type, names);
        return type;
    }
}
