package org.tarn.engine.pool;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.PoolEvent;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.VdevState;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.engine.label.DeviceLabels;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelLayout;
import org.tarn.engine.label.LabelReader;
import org.tarn.engine.vdev.Vdev;

/**
 * The device operations of one pool ({@code spa_vdev_attach}, {@code
 * spa_vdev_detach}, {@code vdev_online}, {@code vdev_offline}, {@code
 * spa_vdev_add}): attach, detach, replace, online, offline, add.
 *
 * <h2>Theory of operation</h2>
 * Every operation checks its arguments on the caller's thread (the device
 * exists, the new device is free and large enough, another device holds
 * every txg), opens and clears new devices there, and then queues a
 * <em>change</em> of the vdev tree. The sync thread applies queued changes
 * at the start of the next group ({@link SpaSync.Lifecycle#applyConfigChanges}),
 * checking them again against the tree as it is then, so the tree changes
 * only between two syncs and every group is written with one tree; that
 * group's labels carry the new tree and its uberblock the new GUID sum. The
 * caller waits for that group to be synced, with a deadline.
 *
 * <p>A new leaf (attach, replace) starts with a DTL of every txg before the
 * group that adds it, so it is never read for older blocks and the resilver
 * that starts after the change copies them. A replacing leaf records the
 * leaf it replaces; when a resilver leaves it complete, the old leaf is
 * detached ({@link #resilverDone}). A detached leaf's labels are cleared
 * after the change is on disk, so it is not taken for a pool device again.
 */
final class VdevOps {
    private static final Logger LOG = LoggerFactory.getLogger(VdevOps.class);

    /** How the pool opens new devices: the namespace's path policy and drivers. */
    interface Opener {
        /** Opens a device a caller named (path policy checked), read-write. */
        BlockDevice open(String path);

        /** The driver type of a device path. */
        String type(String path);
    }

    /** A queued tree change: applied on the sync thread with the txg it will be written in. */
    private record Change(String what, LongConsumer apply, CompletableFuture<Void> done) {
    }

    private final Spa spa;
    private final Vdev root;
    private final Scan scan;
    private volatile Opener opener;
    private final Queue<Change> queue = new ConcurrentLinkedQueue<>();
    private final long waitMillis;
    /** How long a new device may take to open and answer its label reads and writes. */
    private final long ioTimeoutMillis;

    VdevOps(Spa spa, Vdev root, Scan scan, long ioTimeoutMillis) {
        this.spa = spa;
        this.root = root;
        this.scan = scan;
        // a change waits for one sync: the devices' timeout for the group's writes and flushes, several times
        this.waitMillis = Math.max(30_000, ioTimeoutMillis * 4);
        this.ioTimeoutMillis = ioTimeoutMillis;
    }

    void opener(Opener o) {
        this.opener = o;
    }

    // ---- the sync thread's side ------------------------------------------------------

    boolean hasQueued() {
        return !queue.isEmpty();
    }

    /** Applies the queued changes (sync thread); each one that fails its check fails its caller instead. */
    boolean applyQueued(long txg) {
        boolean any = false;
        Change c;
        while ((c = queue.poll()) != null) {
            try {
                c.apply().accept(txg);
                any = true;
                c.done().complete(null);
                LOG.info("pool '{}': txg {}: {}", spa.name(), txg, c.what());
            } catch (RuntimeException e) {
                c.done().completeExceptionally(e);
            }
        }
        return any;
    }

    /** Queues a change, has it synced, and waits until it is on disk (or refused). */
    private void change(String what, LongConsumer apply) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        queue.add(new Change(what, apply, done));
        spa.syncForChange(waitMillis);
        try {
            done.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TarnException t) {
                throw new TarnException(t.code(), Spa.detail(t), t);
            }
            throw new TarnException(ErrorCode.IO_ERROR, "pool '" + spa.name() + "': " + what + " failed: "
                    + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            queue.removeIf(c -> c.done() == done);
            throw new TarnException(ErrorCode.TIMED_OUT, "pool '" + spa.name() + "': " + what + " was not synced "
                    + "within " + waitMillis + " ms; check the pool's state");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TarnException(ErrorCode.TIMED_OUT, "pool '" + spa.name() + "': interrupted waiting for " + what);
        }
    }

    // ---- lookups and checks --------------------------------------------------------

    /** The leaf named by path or GUID (decimal, unsigned, or hex with 0x). */
    Vdev find(String device) {
        if (device == null || device.isBlank()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + spa.name() + "': name a device (path or "
                    + "GUID)");
        }
        return lookup(device).orElseThrow(() -> new TarnException(ErrorCode.NO_SUCH_DEVICE, "pool '" + spa.name()
                + "' has no device '" + device + "'; its devices: " + String.join(", ",
                root.leaves().stream().map(Vdev::path).toList())));
    }

    private Optional<Vdev> lookup(String device) {
        for (Vdev leaf : root.leaves()) {
            if (leaf.path().equals(device)) {
                return Optional.of(leaf);
            }
        }
        // the same file spelled another way (relative, with .., through a link)
        String wanted = canonical(device);
        for (Vdev leaf : root.leaves()) {
            if (wanted != null && wanted.equals(canonical(leaf.path()))) {
                return Optional.of(leaf);
            }
        }
        Long guid = parseGuid(device);
        if (guid != null) {
            for (Vdev leaf : root.leaves()) {
                if (leaf.guid() == guid) {
                    return Optional.of(leaf);
                }
            }
        }
        return Optional.empty();
    }

    /** {@code scheme:} prefix kept, the rest as a real (or else absolute, normalized) path; null if not a path. */
    private static String canonical(String device) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^[a-z][a-z0-9+.-]*:").matcher(device);
        String scheme = m.find() ? device.substring(0, m.end()) : "";
        try {
            java.nio.file.Path p = java.nio.file.Path.of(device.substring(scheme.length())).toAbsolutePath()
                    .normalize();
            try {
                p = p.toRealPath();
            } catch (java.io.IOException e) {
                // not there (any more): the spelling is what we have
            }
            return scheme + p;
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private static Long parseGuid(String s) {
        try {
            return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private Vdev byGuid(long guid) {
        for (Vdev leaf : root.leaves()) {
            if (leaf.guid() == guid) {
                return leaf;
            }
        }
        return null;
    }

    /** Whether another leaf of {@code leaf}'s top-level vdev works and holds every txg. */
    private static boolean otherComplete(Vdev leaf) {
        Vdev top = leaf.topLevelVdev();
        for (Vdev l : top.leaves()) {
            if (l != leaf && l.complete()) {
                return true;
            }
        }
        return false;
    }

    /** Refuses taking {@code leaf} out of service when no other device holds every txg it may hold. */
    private void requireOtherCopy(Vdev leaf, String op) {
        if (leaf.topLevelVdev() == leaf) {
            throw new TarnException(ErrorCode.NO_REPLICAS, "pool '" + spa.name() + "': cannot " + op + " "
                    + leaf.path() + ": it is a top-level device without a mirror, the only copy of its data; "
                    + "attach a device to it first");
        }
        if (!otherComplete(leaf)) {
            throw new TarnException(ErrorCode.NO_REPLICAS, "pool '" + spa.name() + "': cannot " + op + " "
                    + leaf.path() + ": no other device of its mirror is online and holds every txg ("
                    + describeSiblings(leaf) + "); wait for the resilver or bring the others online");
        }
    }

    private static String describeSiblings(Vdev leaf) {
        List<String> out = new ArrayList<>();
        for (Vdev l : leaf.topLevelVdev().leaves()) {
            if (l != leaf) {
                out.add(l.path() + " " + l.state() + (l.dtl().isEmpty() ? "" : ", missing txgs " + l.dtl()));
            }
        }
        return String.join("; ", out);
    }

    private void checkWritable() {
        spa.checkReadable();
        if (spa.readOnly()) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + spa.name() + "' is imported read-only");
        }
    }

    private Set<Long> guids() {
        Set<Long> g = new HashSet<>();
        g.add(spa.guid());
        collect(root, g);
        return g;
    }

    private static void collect(Vdev v, Set<Long> out) {
        out.add(v.guid());
        v.children().forEach(c -> collect(c, out));
    }

    /**
     * Opens a device that is to join the pool: not already a device of it,
     * free (no active pool's label unless forced), large enough for
     * {@code minDataEnd}. Its labels are cleared. Closed again on refusal.
     */
    private BlockDevice openNew(String path, long minDataEnd, boolean force) {
        return openAllNew(List.of(path), minDataEnd, force).get(0);
    }

    /**
     * {@link #openNew} for several devices at once, in parallel, each within
     * the I/O deadline: a device that does not answer fails the call with
     * {@code TIMED_OUT} naming it, every device is closed again (one that
     * answers late, when it does), and nothing was changed.
     */
    private List<BlockDevice> openAllNew(List<String> paths, long minDataEnd, boolean force) {
        for (String path : paths) {
            if (path == null || path.isBlank()) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + spa.name() + "': name the new device");
            }
            if (lookup(path).isPresent()) {
                throw new TarnException(ErrorCode.DEVICE_IN_USE, "device '" + path + "' is already in pool '"
                        + spa.name() + "'");
            }
        }
        if (opener == null) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + spa.name() + "' cannot open devices");
        }
        return DeviceCalls.all(paths, path -> openAndClear(path, minDataEnd, force), ioTimeoutMillis, VdevOps::close,
                "opening it, reading and clearing its labels");
    }

    /** The device work of {@link #openNew}: runs on a thread of its own under a deadline. */
    private BlockDevice openAndClear(String path, long minDataEnd, boolean force) {
        BlockDevice dev = opener.open(path);
        try {
            NewPool.checkUsable(path, dev, force);
            long canHold = LabelLayout.dataEndBytes(dev.sizeBytes());
            if (canHold < minDataEnd) {
                throw new TarnException(ErrorCode.DEVICE_TOO_SMALL, "device '" + path + "' is too small: it has "
                        + dev.sizeBytes() + " bytes (data up to byte " + canHold + "), the vdev needs data up to "
                        + "byte " + minDataEnd + "; use a device of at least " + (dev.sizeBytes() + minDataEnd
                        - canHold) + " bytes");
            }
            NewPool.wipeLabels(dev);
            return dev;
        } catch (RuntimeException e) {
            close(dev);
            throw e;
        }
    }

    private static void close(BlockDevice dev) {
        try {
            dev.close();
        } catch (java.io.IOException e) {
            LOG.warn("closing {} failed: {}", dev.path(), e.toString());
        }
    }

    // ---- offline / online ----------------------------------------------------------

    void offline(String device, boolean temporary) {
        checkWritable();
        Vdev leaf = find(device);
        if (leaf.isOffline()) {
            return;
        }
        requireOtherCopy(leaf, "take offline");
        change("offline " + leaf.path(), txg -> {
            if (leaf.rootVdev() != root) {
                throw new TarnException(ErrorCode.NO_SUCH_DEVICE, "device " + leaf.path() + " left the pool");
            }
            requireOtherCopy(leaf, "take offline");
            leaf.markOffline(!temporary); // first: no new I/O is sent to it
            leaf.detach();
        });
        spa.event(PoolEvent.VDEV_OFFLINE, leaf.path() + (temporary ? " (temporary: online at the next import)" : ""));
    }

    void online(String device) {
        checkWritable();
        Vdev leaf = find(device);
        if (leaf.state() == VdevState.ONLINE && leaf.device() != null) {
            scan.resilverIfNeeded(leaf.path() + " is online");
            return;
        }
        BlockDevice dev = leaf.device();
        BlockDevice opened = null;
        if (dev == null) {
            opened = DeviceCalls.all(List.of(leaf.path()), path -> {
                BlockDevice d = opener.open(path);
                try {
                    checkOwnDevice(leaf, d);
                    return d;
                } catch (RuntimeException e) {
                    close(d);
                    throw e;
                }
            }, ioTimeoutMillis, VdevOps::close, "opening it and reading its labels").get(0);
        }
        BlockDevice toAttach = opened;
        try {
            change("online " + leaf.path(), txg -> {
                if (leaf.rootVdev() != root) {
                    throw new TarnException(ErrorCode.NO_SUCH_DEVICE, "device " + leaf.path() + " left the pool");
                }
                if (toAttach != null) {
                    leaf.attach(toAttach, spa.name());
                }
                leaf.markOnline();
                leaf.readErrors().set(0);
                leaf.writeErrors().set(0);
                leaf.checksumErrors().set(0);
            });
        } catch (RuntimeException e) {
            if (opened != null && leaf.device() != opened) {
                close(opened);
            }
            throw e;
        }
        spa.event(PoolEvent.VDEV_ONLINE, leaf.path() + (leaf.dtl().isEmpty() ? ""
                : "; missed txgs " + leaf.dtl() + ", resilvering"));
        scan.resilverIfNeeded(leaf.path() + " is online");
    }

    /** Refuses a device whose labels do not name this leaf of this pool (another disk at the path). */
    private void checkOwnDevice(Vdev leaf, BlockDevice dev) {
        DeviceLabels labels = LabelReader.read(dev);
        Optional<LabelConfig> c = labels.bestConfig();
        if (c.isEmpty() || c.get().poolGuid() != spa.guid() || c.get().vdevGuid() != leaf.guid()) {
            throw new TarnException(ErrorCode.DEVICE_IN_USE, "device '" + leaf.path() + "' now holds "
                    + (c.isEmpty() ? "no pool label" : "device " + Long.toUnsignedString(c.get().vdevGuid())
                    + " of pool '" + c.get().poolName() + "'") + ", not this pool's device; use replace to put "
                    + "it in that device's place");
        }
        if (LabelLayout.dataEndBytes(dev.sizeBytes()) < leaf.topLevelVdev().dataEndBytes()) {
            throw new TarnException(ErrorCode.DEVICE_TOO_SMALL, "device '" + leaf.path() + "' is smaller than when "
                    + "it joined the pool; use replace");
        }
    }

    // ---- attach / detach / replace ---------------------------------------------------

    void attach(String device, String newDevice, boolean force) {
        attach(device, newDevice, force, false);
    }

    private void attach(String device, String newDevice, boolean force, boolean replacing) {
        checkWritable();
        Vdev leaf = find(device);
        Vdev top = leaf.topLevelVdev();
        BlockDevice dev = openNew(newDevice, top.dataEndBytes(), force);
        String type = opener.type(newDevice);
        long guid = NewPool.newGuid(guids());
        long mirrorGuid = NewPool.newGuid(guids());
        Vdev added = Vdev.leaf(guid, 0, type, newDevice);
        added.attach(dev, spa.name());
        try {
            change((replacing ? "replace " : "attach ") + leaf.path() + " " + newDevice, txg -> {
                if (leaf.rootVdev() != root) {
                    throw new TarnException(ErrorCode.NO_SUCH_DEVICE, "device " + leaf.path() + " left the pool");
                }
                Vdev t = leaf.topLevelVdev();
                // it missed every txg before the one that adds it
                added.dtl().add(0, txg - 1);
                if (replacing) {
                    added.replacing(leaf.guid());
                }
                if (t.isLeaf()) {
                    root.replaceChild(t, Vdev.mirrorOver(mirrorGuid, t, added));
                } else {
                    t.addChild(added);
                }
            });
        } catch (RuntimeException e) {
            if (added.rootVdev() != root) {
                added.detach();
            }
            throw e;
        }
        spa.event(PoolEvent.VDEV_ATTACHED, newDevice + (replacing ? " replacing " : " attached to ") + leaf.path()
                + "; resilvering");
        scan.resilverIfNeeded(newDevice + (replacing ? " replaces " + leaf.path() : " was attached"));
    }

    void detach(String device) {
        checkWritable();
        Vdev leaf = find(device);
        detachLeaf(leaf, "detach " + leaf.path());
        spa.event(PoolEvent.VDEV_DETACHED, leaf.path());
    }

    private void detachLeaf(Vdev leaf, String what) {
        if (leaf.parent() == null || leaf.parent().kind() != Vdev.Kind.MIRROR) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + spa.name() + "': " + leaf.path()
                    + " is not in a mirror and cannot be detached; use replace to exchange it");
        }
        requireOtherCopy(leaf, "detach");
        change(what, txg -> {
            Vdev mirror = leaf.parent();
            if (mirror == null || leaf.rootVdev() != root) {
                throw new TarnException(ErrorCode.NO_SUCH_DEVICE, "device " + leaf.path() + " left the pool");
            }
            requireOtherCopy(leaf, "detach");
            mirror.removeChild(leaf);
            for (Vdev l : mirror.leaves()) {
                if (l.replacing() == leaf.guid()) {
                    l.replacing(0);
                }
            }
            if (mirror.children().size() == 1) {
                root.replaceChild(mirror, Vdev.collapse(mirror));
            }
        });
        // on disk without it: clear its labels so it is not taken for this pool's device again, and close it
        BlockDevice dev = leaf.device();
        if (dev != null) {
            try {
                NewPool.wipeLabels(dev);
            } catch (TarnException e) {
                LOG.warn("pool '{}': clearing the labels of detached {} failed: {}", spa.name(), leaf.path(),
                        e.getMessage());
            }
        }
        leaf.detach();
        leaf.markMissing();
    }

    void replace(String device, String newDevice, boolean force) {
        checkWritable();
        Vdev leaf = find(device);
        if (newDevice == null || newDevice.isBlank() || newDevice.equals(leaf.path())) {
            replaceInPlace(leaf, force);
            return;
        }
        attach(leaf.path(), newDevice, force, true);
    }

    /** A new disk at the old one's path: the old leaf leaves the tree, a new one takes its place, resilvered. */
    private void replaceInPlace(Vdev leaf, boolean force) {
        requireOtherCopy(leaf, "replace in place");
        String path = leaf.path();
        BlockDevice dev = DeviceCalls.all(List.of(path), p -> openInPlace(leaf, p, force), ioTimeoutMillis,
                VdevOps::close, "opening it, reading and clearing its labels").get(0);
        Vdev added = Vdev.leaf(NewPool.newGuid(guids()), leaf.id(), opener.type(path), path);
        attachInPlace(leaf, added, dev);
    }

    /** The device work of a replace in place: runs on a thread of its own under a deadline. */
    private BlockDevice openInPlace(Vdev leaf, String path, boolean force) {
        BlockDevice dev = opener.open(path);
        try {
            DeviceLabels labels = LabelReader.read(dev);
            Optional<LabelConfig> c = labels.bestConfig();
            if (c.isPresent() && c.get().poolGuid() == spa.guid() && c.get().vdevGuid() == leaf.guid() && !force) {
                throw new TarnException(ErrorCode.DEVICE_IN_USE, "device '" + path + "' is still this pool's "
                        + "device (its labels name it); to reuse the same disk, replace with force, or use online");
            }
            if (!(c.isPresent() && c.get().poolGuid() == spa.guid())) {
                NewPool.checkUsable(path, dev, force);
            }
            long canHold = LabelLayout.dataEndBytes(dev.sizeBytes());
            if (canHold < leaf.topLevelVdev().dataEndBytes()) {
                throw new TarnException(ErrorCode.DEVICE_TOO_SMALL, "device '" + path + "' is too small: data up "
                        + "to byte " + canHold + ", the vdev needs " + leaf.topLevelVdev().dataEndBytes());
            }
            NewPool.wipeLabels(dev);
            return dev;
        } catch (RuntimeException e) {
            close(dev);
            throw e;
        }
    }

    private void attachInPlace(Vdev leaf, Vdev added, BlockDevice dev) {
        String path = leaf.path();
        added.attach(dev, spa.name());
        try {
            change("replace " + path + " in place", txg -> {
                Vdev mirror = leaf.parent();
                if (mirror == null || leaf.rootVdev() != root) {
                    throw new TarnException(ErrorCode.NO_SUCH_DEVICE, "device " + path + " left the pool");
                }
                requireOtherCopy(leaf, "replace in place");
                added.dtl().add(0, txg - 1);
                leaf.markOffline(false);
                mirror.replaceChild(leaf, added);
            });
        } catch (RuntimeException e) {
            if (added.rootVdev() != root) {
                added.detach();
            }
            throw e;
        }
        leaf.detach();
        leaf.markMissing();
        spa.event(PoolEvent.VDEV_ATTACHED, path + " (new device) replacing the old device at that path; resilvering");
        scan.resilverIfNeeded(path + " was replaced in place");
    }

    /**
     * A resilver ended (its own thread): every replacing leaf that is now
     * complete has the leaf it replaced detached.
     */
    void resilverDone() {
        for (Vdev leaf : root.leaves()) {
            long old = leaf.replacing();
            if (old == 0 || !leaf.complete()) {
                continue;
            }
            Vdev gone = byGuid(old);
            if (gone == null) {
                continue;
            }
            try {
                detachLeaf(gone, "replace of " + gone.path() + " by " + leaf.path() + " finished: detach "
                        + gone.path());
                spa.event(PoolEvent.VDEV_DETACHED, gone.path() + " (replaced by " + leaf.path() + ")");
                spa.logInternal("replace finished: " + gone.path() + " detached, " + leaf.path() + " took its place");
            } catch (TarnException e) {
                LOG.warn("pool '{}': the replace of {} by {} could not finish: {}", spa.name(), gone.path(),
                        leaf.path(), e.getMessage());
            }
        }
    }

    // ---- add ---------------------------------------------------------------------------

    void add(VdevLayout layout, boolean force) {
        checkWritable();
        if (!layout.spares().isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + spa.name() + "': hot spares are not "
                    + "supported by this engine yet; add top-level vdevs only");
        }
        if (layout.topLevel().isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + spa.name() + "': name vdevs to add");
        }
        List<BlockDevice> opened = new ArrayList<>();
        List<Vdev> tops = new ArrayList<>();
        try {
            opened.addAll(openAllNew(layout.devices(), 0, force));
            Set<Long> used = guids();
            int k = 0;
            for (VdevLayout.TopLevel t : layout.topLevel()) {
                long end = Long.MAX_VALUE;
                List<Vdev> leaves = new ArrayList<>();
                for (String path : t.devices()) {
                    BlockDevice dev = opened.get(k++);
                    end = Math.min(end, LabelLayout.dataEndBytes(dev.sizeBytes()));
                    Vdev leaf = Vdev.leaf(NewPool.newGuid(used), leaves.size(), opener.type(path), path);
                    leaf.attach(dev, spa.name());
                    leaves.add(leaf);
                }
                Vdev top = t.mirror() ? Vdev.mirror(NewPool.newGuid(used), 0, leaves) : leaves.get(0);
                top.initSpace(LabelLayout.dataStartBytes(), end);
                tops.add(top);
            }
        } catch (RuntimeException e) {
            tops.forEach(t -> t.leaves().forEach(Vdev::detach));
            if (tops.isEmpty()) {
                opened.forEach(VdevOps::close);
            }
            throw e;
        }
        try {
            change("add " + layout, txg -> tops.forEach(root::addChild));
        } catch (RuntimeException e) {
            if (tops.get(0).rootVdev() != root) {
                tops.forEach(t -> t.leaves().forEach(Vdev::detach));
            }
            throw e;
        }
        spa.event(PoolEvent.VDEV_ADDED, layout.toString());
    }

    // ---- status notes ------------------------------------------------------------------

    /** What {@code status} says after a leaf. */
    String note(Vdev leaf) {
        List<String> parts = new ArrayList<>();
        if (leaf.replacing() != 0) {
            Vdev old = byGuid(leaf.replacing());
            parts.add("replacing " + (old == null ? Long.toUnsignedString(leaf.replacing()) : old.path()));
        }
        if (leaf.isOffline()) {
            parts.add(leaf.isOfflinePersistent() ? "offline" : "offline (temporary)");
        }
        if (!leaf.dtl().isEmpty()) {
            parts.add(scan.resilverTargets().contains(leaf.guid()) ? "resilvering" : "awaiting resilver");
        }
        return String.join(", ", parts);
    }
}
