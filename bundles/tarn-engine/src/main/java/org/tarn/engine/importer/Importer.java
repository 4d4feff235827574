package org.tarn.engine.importer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.PoolProperty;
import org.tarn.api.SkippedDevice;
import org.tarn.api.TarnException;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.engine.EngineDefaults;
import org.tarn.engine.dmu.DatasetRecord;
import org.tarn.engine.dmu.PoolDirectory;
import org.tarn.engine.io.BlockCache;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.label.VdevConfig;
import org.tarn.engine.label.VdevConfigs;
import org.tarn.engine.mmp.ActivityCheck;
import org.tarn.engine.vdev.Vdev;

/**
 * Finding a pool on devices and opening it at the right uberblock: the
 * import half of {@code spa_import} / {@code spa_load}.
 *
 * <h2>Theory of operation</h2>
 * An import goes through these steps; the pool layer reserves the pool's name
 * and GUID between {@link #select} and {@link #open} and builds the pool
 * from what {@code open} returns.
 * <ol>
 * <li><b>read</b> ({@link #read}, {@link #readDirs}): the labels of every
 *     device, in parallel with deadlines ({@link DeviceScanner}), grouped into
 *     one {@link PoolCandidate} per pool GUID;</li>
 * <li><b>select</b>: the candidate named by name or GUID; destroyed pools
 *     only when asked for;</li>
 * <li><b>checks</b> ({@link #checkImportable}, {@link #checkActivity}):
 *     blockers (a missing top-level vdev, a newer format), another host's
 *     ACTIVE pool without force, and with {@code multihost=on} the activity
 *     check, which refuses even with force while that host still writes;</li>
 * <li><b>open</b> ({@link #open}): the runtime vdev tree from the newest
 *     config, the devices attached (missing leaves marked so), then the
 *     newest uberblock whose directory, object sets and space maps verify —
 *     an older one only with {@code rewind}, exactly the asked one with
 *     {@code txg=}.</li>
 * </ol>
 * Nothing here changes a device: every read goes through a probe pipeline,
 * and a failure detaches what {@code open} attached.
 */
public final class Importer {
    private final long hostId;
    private final DeviceScanner scanner;
    private final long ioTimeoutMillis;

    /**
     * @param hostId          this engine's host id: a pool ACTIVE under another one is in use elsewhere
     * @param scanner         reads labels
     * @param ioTimeoutMillis deadline of the probe pipeline's reads
     */
    public Importer(long hostId, DeviceScanner scanner, long ioTimeoutMillis) {
        this.hostId = hostId;
        this.scanner = scanner;
        this.ioTimeoutMillis = ioTimeoutMillis;
    }

    // ---- read ----------------------------------------------------------------------

    /** The pools on the given devices; unusable devices go to {@code skipped} with the reason. */
    public List<PoolCandidate> read(List<String> devices, List<SkippedDevice> skipped) {
        return PoolCandidate.assemble(scanner.scan(devices), hostId, skipped);
    }

    /** The pools on the devices in the given directories (or named directly). */
    public List<PoolCandidate> readDirs(List<String> dirs, List<SkippedDevice> skipped) {
        return readDirs(dirs, skipped, device -> true);
    }

    /**
     * As {@link #readDirs(List, List)}, reading only the devices {@code allowed}
     * accepts; the others are skipped, unread, as links out of the search paths.
     */
    public List<PoolCandidate> readDirs(List<String> dirs, List<SkippedDevice> skipped, Predicate<String> allowed) {
        List<String> devices = new ArrayList<>();
        for (String d : DeviceScanner.listDevices(dirs)) {
            if (allowed.test(d)) {
                devices.add(d);
            } else {
                skipped.add(new SkippedDevice(d, "leads outside the search paths (a symbolic link?); not read"));
            }
        }
        return read(devices, skipped);
    }

    /** The same pool assembled from a fresh read of the devices it was found on. */
    public PoolCandidate reread(PoolCandidate c) {
        return find(read(List.copyOf(c.leafPaths().values()), new ArrayList<>()), c.guid())
                .orElseThrow(() -> new TarnException(ErrorCode.POOL_NOT_FOUND, "pool '" + c.name()
                        + "' is no longer on its devices " + c.leafPaths().values()));
    }

    /** The candidate of a GUID. */
    public static Optional<PoolCandidate> find(List<PoolCandidate> found, long guid) {
        return found.stream().filter(p -> p.guid() == guid).findFirst();
    }

    // ---- select --------------------------------------------------------------------

    /**
     * The pool an import names, as {@code zpool import} (with {@code -D} for
     * destroyed pools) picks it.
     *
     * @throws TarnException {@code POOL_NOT_FOUND} (none, or only a destroyed one without
     *     {@code destroyed=true}), {@code INVALID_ARGUMENT} (a name several pools share)
     */
    public static PoolCandidate select(List<PoolCandidate> found, String nameOrGuid, ImportOptions opts,
                                       List<String> where) {
        // like zpool import -D: destroyed pools only when asked for, and then only they
        List<PoolCandidate> wanted = found.stream().filter(c -> c.destroyed() == opts.destroyed()).toList();
        List<PoolCandidate> other = found.stream().filter(c -> c.destroyed() != opts.destroyed()).toList();
        if (!opts.destroyed() && wanted.stream().noneMatch(c -> matches(c, nameOrGuid))
                && other.stream().anyMatch(c -> matches(c, nameOrGuid))) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "pool '" + nameOrGuid + "' was destroyed; import it "
                    + "with destroyed=true to recover it");
        }
        List<PoolCandidate> matches = wanted.stream().filter(c -> matches(c, nameOrGuid)).toList();
        if (matches.isEmpty()) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "no pool '" + nameOrGuid + "' on the devices in "
                    + where + (wanted.isEmpty() ? "" : "; found: " + wanted.stream()
                    .map(c -> c.name() + " (" + Long.toUnsignedString(c.guid()) + ")").toList()));
        }
        if (matches.size() > 1) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "several pools are named '" + nameOrGuid
                    + "': import one by GUID: " + matches.stream().map(c -> Long.toUnsignedString(c.guid())).toList());
        }
        return matches.get(0);
    }

    /** Whether a candidate is the pool named by a name or a GUID (decimal, or hexadecimal with 0x). */
    public static boolean matches(PoolCandidate c, String nameOrGuid) {
        Long guid = parseGuid(nameOrGuid);
        return c.name().equals(nameOrGuid) || (guid != null && c.guid() == guid);
    }

    private static Long parseGuid(String s) {
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseUnsignedLong(s.substring(2), 16);
            }
            return s.chars().allMatch(Character::isDigit) ? Long.parseUnsignedLong(s) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ---- checks --------------------------------------------------------------------

    /** Refusals that depend only on the labels: a blocker, or in use by another host without force. */
    public void checkImportable(PoolCandidate c, ImportOptions opts) {
        if (c.destroyed() && !opts.destroyed()) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "pool '" + c.name() + "' was destroyed; import it "
                    + "with destroyed=true to recover it");
        }
        if (c.blocker() != null) {
            throw new TarnException(c.blocker(), "pool '" + c.name() + "' cannot be imported: "
                    + String.join("; ", c.problems()));
        }
        if (c.activeElsewhere(hostId) && !opts.force()) {
            throw new TarnException(ErrorCode.POOL_IN_USE_ELSEWHERE, "pool '" + c.name() + "' is "
                    + PoolCandidate.inUseMessageFor(c));
        }
    }

    /** The multihost activity check, when the labels say ACTIVE with {@code multihost=on}. */
    public void checkActivity(PoolCandidate c) {
        checkActivity(c, remaining -> { });
    }

    /**
     * The multihost activity check, telling {@code remainingMillis} how long
     * it still watches at every look at the devices.
     */
    public void checkActivity(PoolCandidate c, java.util.function.LongConsumer remainingMillis) {
        if (c.config().state() != PoolLabelState.ACTIVE
                || !"on".equals(c.config().properties().get(PoolProperty.MULTIHOST))) {
            return;
        }
        Uberblock before = c.uberblocks().isEmpty() ? null : c.uberblocks().get(0);
        String holder = "host " + c.config().hostname() + " (hostid " + String.format("%08x", c.config().hostid())
                + ")";
        int leaves = c.config().vdevTree().leaves().size();
        ActivityCheck.check(c.name(), holder, before, leaves, () -> find(read(List.copyOf(c.leafPaths().values()),
                new ArrayList<>()), c.guid()).flatMap(p -> p.uberblocks().stream().findFirst()), remainingMillis);
    }

    // ---- open ----------------------------------------------------------------------

    /**
     * A pool opened for import: its vdev tree with the devices attached, the
     * uberblock chosen and the directory it points at.
     *
     * @param root      the vdev tree; its leaves hold the devices (the caller detaches them on failure)
     * @param uberblock the uberblock the pool starts from
     * @param directory the pool directory that uberblock points at
     * @param startTxg  the txg the pool continues from: after a rewind, above the discarded newer ones
     * @param newestTxg the newest txg in the rings (above {@code uberblock}'s after a rewind)
     */
    public record Opened(Vdev root, Uberblock uberblock, PoolDirectory directory, long startTxg, long newestTxg,
                         List<Vdev> spares) {
    }

    /**
     * Builds the vdev tree of a candidate over opened devices and chooses its
     * uberblock.
     *
     * @param name       the name the pool is imported under (its I/O threads carry it)
     * @param byLeafGuid the opened device of each leaf found; leaves without one are marked missing
     */
    public Opened open(String name, PoolCandidate c, Map<Long, BlockDevice> byLeafGuid, ImportOptions opts,
                       boolean readOnly) {
        LabelConfig cfg = c.config();
        Vdev root = VdevConfigs.fromConfig(cfg.vdevTree(), c.leafPaths());
        for (Vdev leaf : root.leaves()) {
            BlockDevice dev = byLeafGuid.get(leaf.guid());
            if (dev != null) {
                leaf.attach(dev, name);
            } else {
                leaf.markMissing();
            }
        }
        List<Vdev> spares = new ArrayList<>();
        for (VdevConfig sc : cfg.spares()) {
            Vdev spare = Vdev.leaf(sc.guid(), 0, sc.type(), c.sparePaths().getOrDefault(sc.guid(), sc.path()));
            BlockDevice dev = byLeafGuid.get(sc.guid());
            if (dev != null) {
                spare.attach(dev, name);
            } else {
                spare.markMissing();
            }
            spares.add(spare);
        }
        try {
            // before any read: a leaf is never read for txgs it missed
            markStaleAndOffline(root, cfg, c, c.uberblocks().isEmpty() ? null : c.uberblocks().get(0));
            IoPipeline probe = new IoPipeline(name, root, ioTimeoutMillis, new BlockCache(EngineDefaults.PROBE_CACHE_BYTES));
            Uberblock ub = chooseUberblock(name, c.uberblocks(), probe, opts);
            PoolDirectory dir = PoolDirectory.decode(probe.read(ub.rootBp(), false));
            long newest = c.uberblocks().get(0).txg();
            // after a rewind, new txgs must outrank the damaged newer uberblocks still in the rings
            long startTxg = readOnly ? ub.txg() : Math.max(ub.txg(), newest);
            return new Opened(root, ub, dir, startTxg, newest, spares);
        } catch (RuntimeException e) {
            root.leaves().forEach(Vdev::detach);
            spares.forEach(Vdev::detach);
            throw e;
        }
    }

    /**
     * A leaf whose newest uberblock is older than the one the pool opens at
     * did not take the txgs in between (it was faulted, offline or absent
     * while another host or an earlier import ran the pool): its DTL gets
     * them, so it is not read for them and a resilver copies them, whatever
     * the directory recorded. One txg behind is not stale: a sync writes and
     * flushes every leaf's data before any uberblock, so a leaf that lacks
     * only the newest uberblock lost it to a crash or power cut in the label
     * stage and holds that txg's blocks (a leaf that failed the txg's writes
     * has the txg in the DTL its directory recorded). Leaves an operator took
     * offline stay offline.
     */
    private static void markStaleAndOffline(Vdev root, LabelConfig cfg, PoolCandidate c, Uberblock ub) {
        for (Vdev leaf : root.leaves()) {
            if (leaf.device() != null && ub != null) {
                long own = c.leafTxgs().getOrDefault(leaf.guid(), 0L);
                if (own < ub.txg() - 1) {
                    leaf.dtl().add(own + 1, ub.txg());
                }
            }
            if (cfg.vdevTree().findByGuid(leaf.guid()).map(v -> v.attr(VdevConfig.ATTR_OFFLINE) != 0)
                    .orElse(false)) {
                leaf.detach();
                leaf.markOffline(true);
            }
        }
    }

    /**
     * The newest uberblock whose tree verifies; older ones only with rewind;
     * exactly the asked one with {@code txg=}.
     */
    private static Uberblock chooseUberblock(String name, List<Uberblock> ubs, IoPipeline probe,
                                             ImportOptions opts) {
        if (opts.txg() > 0) {
            for (Uberblock ub : ubs) {
                if (ub.txg() == opts.txg()) {
                    String why = verify(ub, probe);
                    if (why != null) {
                        throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "pool '" + name + "': txg "
                                + opts.txg() + " does not verify: " + why);
                    }
                    return ub;
                }
            }
            throw new TarnException(ErrorCode.NOT_FOUND, "pool '" + name + "' has no uberblock for txg "
                    + opts.txg() + "; available: " + ubs.stream().map(Uberblock::txg).distinct().toList());
        }
        String newestWhy = null;
        for (Uberblock ub : ubs) {
            String why = verify(ub, probe);
            if (why == null) {
                if (ub == ubs.get(0) || opts.rewind()) {
                    return ub;
                }
                throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "pool '" + name + "': the newest txg "
                        + ubs.get(0).txg() + " does not verify (" + newestWhy + "); txg " + ub.txg()
                        + " does: import with rewind=true to discard " + (ubs.get(0).txg() - ub.txg())
                        + " txg(s)");
            }
            if (newestWhy == null) {
                newestWhy = why;
            }
        }
        throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "pool '" + name + "': no uberblock's tree verifies ("
                + newestWhy + ")");
    }

    /** Reads the directory, object set blocks and space maps of an uberblock; null when all verify. */
    private static String verify(Uberblock ub, IoPipeline probe) {
        try {
            PoolDirectory dir = PoolDirectory.decode(probe.read(ub.rootBp(), false));
            // the txgs each leaf missed, as that group recorded them: not read for them from here on
            for (Vdev leaf : probe.root().leaves()) {
                for (long[] r : dir.dtls().getOrDefault(leaf.guid(), List.of())) {
                    leaf.dtl().add(r[0], r[1]);
                }
            }
            for (DatasetRecord r : dir.datasets()) {
                probe.read(r.objsetBp(), false);
            }
            for (List<BlockPointer> chunks : dir.spaceMaps()) {
                for (BlockPointer bp : chunks) {
                    if (!bp.isHole()) {
                        probe.read(bp, false);
                    }
                }
            }
            return null;
        } catch (TarnException e) {
            return e.getMessage();
        }
    }
}
