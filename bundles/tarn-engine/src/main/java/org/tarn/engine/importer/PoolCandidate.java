package org.tarn.engine.importer;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.tarn.api.ErrorCode;
import org.tarn.api.ImportablePool;
import org.tarn.api.SkippedDevice;
import org.tarn.api.VdevState;
import org.tarn.api.VdevStatus;
import org.tarn.engine.label.DeviceLabels;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelLayout;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.label.VdevConfig;

/**
 * One pool assembled from the labels of scanned devices: its newest config,
 * which leaf lives at which path, its uberblocks, and what stands in the way
 * of importing it.
 *
 * @param config     the newest valid config among its devices
 * @param leafPaths  leaf GUID to device path, for the leaves found
 * @param uberblocks every valid uberblock of this pool's tree, newest first
 * @param problems   for an operator
 * @param blocker    the error code that forbids the import even with force, or null
 * @param sparePaths hot spare GUID to device path, for the spares found
 * @param leafTxgs   leaf GUID to the newest txg of an uberblock on that leaf (0: none), for the leaves found:
 *                   a leaf whose newest is older than the pool's missed the txgs in between
 */
public record PoolCandidate(LabelConfig config, Map<Long, String> leafPaths, List<Uberblock> uberblocks,
                            List<String> problems, ErrorCode blocker, Map<Long, String> sparePaths,
                            Map<Long, Long> leafTxgs) {

    public PoolCandidate {
        sparePaths = sparePaths == null ? Map.of() : Map.copyOf(sparePaths);
        leafTxgs = leafTxgs == null ? Map.of() : Map.copyOf(leafTxgs);
    }

    /** Groups scanned devices into pools; unusable ones go to {@code skipped}. */
    public static List<PoolCandidate> assemble(List<DeviceScanner.Scanned> scanned, long myHostId,
                                               List<SkippedDevice> skipped) {
        Map<Long, List<DeviceScanner.Scanned>> byPool = new TreeMap<>();
        for (DeviceScanner.Scanned s : scanned) {
            if (!s.usable()) {
                skipped.add(new SkippedDevice(s.path(), s.skipReason() == null ? "no valid label" : s.skipReason()));
                continue;
            }
            byPool.computeIfAbsent(s.labels().bestConfig().orElseThrow().poolGuid(), g -> new ArrayList<>()).add(s);
        }
        List<PoolCandidate> out = new ArrayList<>();
        for (List<DeviceScanner.Scanned> devices : byPool.values()) {
            out.add(of(devices, myHostId));
        }
        out.sort(Comparator.comparing((PoolCandidate c) -> c.config().poolName())
                .thenComparing(c -> Long.toUnsignedString(c.config().poolGuid())));
        return out;
    }

    private static PoolCandidate of(List<DeviceScanner.Scanned> devices, long myHostId) {
        LabelConfig newest = newestBacked(devices);
        Map<Long, String> leafPaths = new LinkedHashMap<>();
        Map<Long, String> sparePaths = new LinkedHashMap<>();
        Map<Long, Long> leafTxgs = new LinkedHashMap<>();
        Map<Long, String> unusable = new LinkedHashMap<>();
        for (DeviceScanner.Scanned s : devices) {
            LabelConfig c = s.labels().bestConfig().orElseThrow();
            java.util.Optional<VdevConfig> leaf = newest.vdevTree().findByGuid(c.vdevGuid());
            if (leaf.isEmpty()) {
                if (newest.spares().stream().anyMatch(sp -> sp.guid() == c.vdevGuid())) {
                    sparePaths.putIfAbsent(c.vdevGuid(), s.path());
                }
                continue;
            }
            long canHold = LabelLayout.dataEndBytes(s.labels().sizeBytes());
            if (canHold < leaf.get().dataEndBytes()) {
                // its front labels survive, but the pool's data (and its back labels) lay past the new end
                unusable.putIfAbsent(c.vdevGuid(), "device " + s.path() + " is smaller (" + s.labels().sizeBytes()
                        + " bytes) than when it joined the pool (data up to byte " + leaf.get().dataEndBytes()
                        + "): truncated or replaced, not used");
            } else if (leafPaths.putIfAbsent(c.vdevGuid(), s.path()) == null) {
                long guidSum = newest.vdevTree().guidSum();
                leafTxgs.put(c.vdevGuid(), s.labels().uberblocks().stream().map(DeviceLabels.FoundUberblock::uberblock)
                        .filter(u -> u.guidSum() == guidSum).mapToLong(Uberblock::txg).max().orElse(0));
            }
        }
        unusable.keySet().removeAll(leafPaths.keySet());
        long guidSum = newest.vdevTree().guidSum();
        List<Uberblock> ubs = new ArrayList<>();
        for (DeviceScanner.Scanned s : devices) {
            for (DeviceLabels.FoundUberblock f : s.labels().uberblocks()) {
                if (f.uberblock().guidSum() == guidSum && !ubs.contains(f.uberblock())) {
                    ubs.add(f.uberblock());
                }
            }
        }
        ubs.sort(Uberblock.ORDER.reversed());

        List<String> problems = new ArrayList<>(unusable.values());
        ErrorCode blocker = null;
        for (VdevConfig top : newest.vdevTree().children()) {
            List<String> missing = new ArrayList<>();
            for (VdevConfig leaf : top.leaves()) {
                if (!leafPaths.containsKey(leaf.guid())) {
                    missing.add(leaf.path());
                }
            }
            if (missing.size() == top.leaves().size()) {
                problems.add("top-level vdev " + top.id() + " is missing (" + String.join(", ", missing)
                        + "): the pool cannot be imported");
                blocker = ErrorCode.MISSING_VDEV;
            } else if (!missing.isEmpty()) {
                problems.add("device " + String.join(", ", missing) + " is missing: the pool imports DEGRADED");
            }
        }
        if (newest.formatVersion() > LabelLayout.FORMAT_VERSION) {
            problems.add("format version " + newest.formatVersion() + " is newer than this engine reads ("
                    + LabelLayout.FORMAT_VERSION + ")");
            blocker = ErrorCode.UNSUPPORTED_VERSION;
        }
        if (newest.state() == PoolLabelState.DESTROYED) {
            problems.add("the pool was destroyed; import with destroyed=true (tarnctl import -D) to recover it");
        }
        if (ubs.isEmpty()) {
            problems.add("no valid uberblock was found");
            blocker = ErrorCode.NO_VALID_LABEL;
        }
        if (newest.state() == PoolLabelState.ACTIVE && newest.hostid() != myHostId) {
            problems.add(inUseMessage(newest, ubs));
        }
        return new PoolCandidate(newest, leafPaths, ubs, problems, blocker, sparePaths, leafTxgs);
    }

    /**
     * The newest config (by txg) among the devices' best ones whose vdev tree
     * some uberblock was written for (same GUID sum). A tree change (attach,
     * detach, add) writes its config before its uberblock: after a crash in
     * between, the new tree has no uberblock yet and the pool is the one
     * before the change. Without any backed config, the newest one (the
     * import then reports that no valid uberblock was found).
     */
    private static LabelConfig newestBacked(List<DeviceScanner.Scanned> devices) {
        List<LabelConfig> configs = new ArrayList<>();
        java.util.Set<Long> sums = new java.util.HashSet<>();
        for (DeviceScanner.Scanned s : devices) {
            configs.add(s.labels().bestConfig().orElseThrow());
            s.labels().uberblocks().forEach(f -> sums.add(f.uberblock().guidSum()));
        }
        configs.sort(Comparator.comparingLong(LabelConfig::txg).reversed());
        for (LabelConfig c : configs) {
            if (sums.contains(c.vdevTree().guidSum())) {
                return c;
            }
        }
        return configs.get(0);
    }

    static String inUseMessage(LabelConfig c, List<Uberblock> ubs) {
        String since = ubs.isEmpty() ? "an unknown time" : Instant.ofEpochMilli(ubs.get(0).timestampMillis()).toString();
        return "in use by host " + c.hostname() + " (hostid " + String.format("%08x", c.hostid())
                + "), last txg written at " + since + "; import with force if that host is down";
    }

    /** The in-use problem text of a candidate. */
    public static String inUseMessageFor(PoolCandidate c) {
        return inUseMessage(c.config(), c.uberblocks());
    }

    /** Whether the pool was destroyed: importable only when destroyed pools are asked for. */
    public boolean destroyed() {
        return config.state() == PoolLabelState.DESTROYED;
    }

    /** Whether the pool's labels say another host has it imported. */
    public boolean activeElsewhere(long myHostId) {
        return config.state() == PoolLabelState.ACTIVE && config.hostid() != myHostId;
    }

    public String name() {
        return config.poolName();
    }

    public long guid() {
        return config.poolGuid();
    }

    /** The API view, as {@code zpool import} lists it. */
    public ImportablePool view() {
        VdevStatus tree = status(config.vdevTree());
        long when = uberblocks.isEmpty() ? 0 : uberblocks.get(0).timestampMillis();
        long txg = uberblocks.isEmpty() ? config.txg() : uberblocks.get(0).txg();
        return new ImportablePool(config.poolName(), config.poolGuid(), config.state().name(), config.hostid(),
                config.hostname(), txg, when, tree, problems, blocker == null && !destroyed());
    }

    private VdevStatus status(VdevConfig v) {
        List<VdevStatus> kids = new ArrayList<>();
        for (VdevConfig c : v.children()) {
            kids.add(status(c));
        }
        VdevState state;
        if (v.isLeaf()) {
            state = leafPaths.containsKey(v.guid()) ? VdevState.ONLINE : VdevState.REMOVED;
        } else {
            long online = kids.stream().filter(k -> k.state() == VdevState.ONLINE).count();
            long usable = kids.stream().filter(k -> k.state() != VdevState.REMOVED && k.state() != VdevState.FAULTED)
                    .count();
            state = online == kids.size() ? VdevState.ONLINE : usable > 0 && !v.isRoot() ? VdevState.DEGRADED
                    : v.isRoot() && kids.stream().noneMatch(k -> k.state() == VdevState.REMOVED
                            || k.state() == VdevState.FAULTED) ? VdevState.DEGRADED : VdevState.FAULTED;
        }
        String path = v.isLeaf() ? leafPaths.getOrDefault(v.guid(), v.path()) : v.type();
        return new VdevStatus(v.guid(), v.type(), path, state, 0, 0, 0, kids);
    }
}
