package org.tarn.engine.vdev;

import java.util.ArrayList;
import java.util.List;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

import org.tarn.api.VdevState;
import org.tarn.api.VdevStatus;
import org.tarn.api.vdev.BlockDevice;

/**
 * One node of a pool's vdev tree: the root, a top-level vdev (a mirror or a
 * single device) or a leaf device.
 *
 * <h2>Theory of operation</h2>
 * Leaves own an open {@link BlockDevice} and an I/O scheduler of their own
 * ({@link LeafQueue}: priority classes, one ordered writer, threads started on
 * demand and retired when idle). All device I/O runs there, never on a
 * caller's or another pool's thread, so a device that hangs pins only its own
 * (bounded) threads; callers wait with a deadline or until force export fails
 * them. A leaf that fails a write or times out is
 * FAULTED and no longer written; an operator may take one OFFLINE; one whose
 * device is absent is REMOVED. Every txg a leaf does not take is added to its
 * {@link Dtl}, and a leaf is never read for a block born in its DTL, so a
 * leaf that comes back (clear, online, import) is ONLINE for writes at once
 * and trusted for reads of the txgs it holds; its mirror stays DEGRADED until
 * a resilver empties the DTL. Interior states are derived from the leaves: a
 * mirror is ONLINE when all children are ONLINE with empty DTLs, DEGRADED
 * while one child still works, and FAULTED when none does.
 *
 * <p>Top-level vdevs own the {@link SpaceMap} of their data region, which is
 * the same byte range on every child of a mirror. The tree changes (attach,
 * detach, add) only on the pool's sync thread, between two syncs; children
 * lists are replaced whole, so every other thread walks a consistent snapshot.
 */
public final class Vdev {
    /** The three kinds of node. */
    public enum Kind { ROOT, MIRROR, LEAF }

    private final Kind kind;
    private final long guid;
    private volatile int id;
    private final String type;
    private final String path;
    /** Replaced whole (copy on write) by the pool's sync thread when the tree changes; readers see a snapshot. */
    private volatile List<Vdev> children;
    private volatile Vdev parent;

    private volatile BlockDevice device;
    private volatile VdevState leafState = VdevState.ONLINE;
    private volatile LeafQueue queue;
    private final AtomicLong readErrors = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final AtomicLong checksumErrors = new AtomicLong();
    private final Dtl dtl = new Dtl();
    private final VdevStats stats = new VdevStats();
    /** An operator took the leaf offline; persistent ones stay offline across export and import. */
    private volatile boolean offline;
    private volatile boolean offlinePersistent;
    /** The GUID of the leaf this one is replacing (it is detached when this one is resilvered), or 0. */
    private volatile long replacing;
    /** For a hot spare in use: the GUID of the leaf it stands in for, or 0. */
    private volatile long spareFor;

    private SpaceMap spaceMap;
    private long dataStartBytes;
    private long dataEndBytes;

    private Vdev(Kind kind, long guid, int id, String type, String path, List<Vdev> children) {
        this.kind = kind;
        this.guid = guid;
        this.id = id;
        this.type = type;
        this.path = path;
        this.children = List.copyOf(children);
        for (Vdev c : this.children) {
            c.parent = this;
        }
    }

    public static Vdev root(long guid, List<Vdev> topLevel) {
        return new Vdev(Kind.ROOT, guid, 0, "root", "", topLevel);
    }

    public static Vdev mirror(long guid, int id, List<Vdev> leaves) {
        return new Vdev(Kind.MIRROR, guid, id, "mirror", "", leaves);
    }

    public static Vdev leaf(long guid, int id, String type, String path) {
        return new Vdev(Kind.LEAF, guid, id, type, path, List.of());
    }

    public Kind kind() {
        return kind;
    }

    public long guid() {
        return guid;
    }

    /** Index within the parent; for top-level vdevs, the index block pointers use. */
    public int id() {
        return id;
    }

    public String type() {
        return type;
    }

    public String path() {
        return path;
    }

    public List<Vdev> children() {
        return children;
    }

    public Vdev parent() {
        return parent;
    }

    public boolean isLeaf() {
        return kind == Kind.LEAF;
    }

    /** The leaves under (or at) this vdev. */
    public List<Vdev> leaves() {
        List<Vdev> out = new ArrayList<>();
        collectLeaves(out);
        return out;
    }

    private void collectLeaves(List<Vdev> out) {
        if (isLeaf()) {
            out.add(this);
        } else {
            children.forEach(c -> c.collectLeaves(out));
        }
    }

    /** The top-level vdevs, in id order (root only). */
    public List<Vdev> topLevel() {
        return children;
    }

    /** Sum of every GUID in this subtree, wrapping: detects a missing device. */
    public long guidSum() {
        long sum = guid;
        for (Vdev c : children) {
            sum += c.guidSum();
        }
        return sum;
    }

    // ---- leaf device -------------------------------------------------------

    public BlockDevice device() {
        return device;
    }

    /** Attaches an open device with a new I/O queue; its threads start when I/O arrives. */
    public void attach(BlockDevice dev, String poolName) {
        this.device = dev;
        this.leafState = VdevState.ONLINE;
        this.queue = new LeafQueue("tarn-" + poolName + "-io-" + shortName(), dev);
    }

    /** Marks a leaf whose device could not be opened. */
    public void markMissing() {
        this.device = null;
        this.leafState = VdevState.REMOVED;
    }

    /**
     * Stops using an attached leaf's device because it answered with another
     * pool's (or no) label: the leaf counts as missing, its device is closed.
     */
    public void markMissingAndClose() {
        detach();
        this.leafState = VdevState.REMOVED;
    }

    // ---- lifecycle of a leaf (offline, online, replacing, spares) ------------------

    /** The txgs this leaf missed. */
    public Dtl dtl() {
        return dtl;
    }

    /** Whether this leaf may hold the block born in {@code birthTxg}: it took the writes of that txg. */
    public boolean holds(long birthTxg) {
        return !dtl.contains(birthTxg);
    }

    public VdevStats stats() {
        return stats;
    }

    /** Takes an online leaf offline: no I/O reaches it until {@link #markOnline}. */
    public void markOffline(boolean persistent) {
        offline = true;
        offlinePersistent = persistent;
        leafState = VdevState.OFFLINE;
    }

    /** Brings an offline, faulted or (newly attached) removed leaf back; its DTL says what it still lacks. */
    public void markOnline() {
        offline = false;
        offlinePersistent = false;
        leafState = device != null ? VdevState.ONLINE : VdevState.REMOVED;
    }

    public boolean isOffline() {
        return offline;
    }

    /** Whether the offline state is kept in the labels (not a temporary offline). */
    public boolean isOfflinePersistent() {
        return offline && offlinePersistent;
    }

    public long replacing() {
        return replacing;
    }

    public void replacing(long oldLeafGuid) {
        this.replacing = oldLeafGuid;
    }

    public long spareFor() {
        return spareFor;
    }

    public void spareFor(long leafGuid) {
        this.spareFor = leafGuid;
    }

    // ---- tree changes (the pool's sync thread only) ----------------------------------

    /** Adds a child at the end (attach to a mirror, add to the root). */
    public void addChild(Vdev child) {
        List<Vdev> next = new ArrayList<>(children);
        child.id = next.size(); // a top-level vdev's id is its index in the root
        child.parent = this;
        next.add(child);
        children = List.copyOf(next);
    }

    /** Removes a child of a mirror; the others are renumbered by position. */
    public void removeChild(Vdev child) {
        List<Vdev> next = new ArrayList<>(children);
        if (!next.remove(child)) {
            throw new IllegalArgumentException(child + " is not a child of " + this);
        }
        for (int i = 0; i < next.size(); i++) {
            next.get(i).id = i;
        }
        child.parent = null;
        children = List.copyOf(next);
    }

    /** Puts {@code replacement} where {@code old} is among the children (a top-level leaf becoming a mirror). */
    public void replaceChild(Vdev old, Vdev replacement) {
        List<Vdev> next = new ArrayList<>(children);
        int at = next.indexOf(old);
        if (at < 0) {
            throw new IllegalArgumentException(old + " is not a child of " + this);
        }
        replacement.id = at; // ids are positions (a top-level vdev's id is its index in the root)
        replacement.parent = this;
        next.set(at, replacement);
        children = List.copyOf(next);
    }

    /** Makes this vdev a child of {@code newParent} without changing it (a leaf that moves into a new mirror). */
    void reparent(Vdev newParent, int newId) {
        this.parent = newParent;
        this.id = newId;
    }

    /**
     * A mirror that takes over the place, id and space of the top-level leaf
     * {@code top}, with {@code top} as its first child and {@code added} as
     * its second.
     */
    public static Vdev mirrorOver(long guid, Vdev top, Vdev added) {
        Vdev m = new Vdev(Kind.MIRROR, guid, top.id, "mirror", "", List.of(top, added));
        top.reparent(m, 0);
        added.reparent(m, 1);
        m.spaceMap = top.spaceMap;
        m.dataStartBytes = top.dataStartBytes;
        m.dataEndBytes = top.dataEndBytes;
        return m;
    }

    /** The top-level leaf that takes over the place and space of a mirror left with one child. */
    public static Vdev collapse(Vdev mirror) {
        Vdev only = mirror.children.get(0);
        only.spaceMap = mirror.spaceMap;
        only.dataStartBytes = mirror.dataStartBytes;
        only.dataEndBytes = mirror.dataEndBytes;
        return only;
    }

    /** The top-level vdev above (or at) this vdev. */
    public Vdev topLevelVdev() {
        Vdev v = this;
        while (v.parent != null && v.parent.kind != Kind.ROOT) {
            v = v.parent;
        }
        return v;
    }

    /** The root of this vdev's tree. */
    public Vdev rootVdev() {
        Vdev v = this;
        while (v.parent != null) {
            v = v.parent;
        }
        return v;
    }

    private String shortName() {
        int slash = path.lastIndexOf('/');
        return slash >= 0 ? path.substring(slash + 1) : path;
    }

    /** The leaf's I/O queue, or null before {@link #attach}. */
    public LeafQueue queue() {
        return queue;
    }

    /**
     * Closes the leaf's queue (what is queued fails at once; a hung device
     * keeps its own threads pinned until the I/O returns, nothing waits for
     * them) and closes the device.
     */
    public void detach() {
        LeafQueue q = queue;
        if (q != null) {
            q.close(new IOException("device " + path + " is closed"));
        }
        BlockDevice dev = device;
        device = null;
        if (dev != null) {
            try {
                dev.close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(Vdev.class).warn("closing {} failed: {}", path, e.toString());
            }
        }
    }

    public void fault() {
        if (isLeaf() && leafState == VdevState.ONLINE) {
            leafState = VdevState.FAULTED;
        }
    }

    /**
     * Clears error counters and, for faulted leaves with a device, their
     * state: they take writes again, and their DTL (the txgs they missed
     * meanwhile) keeps them from being read for those until a resilver.
     */
    public void clear() {
        readErrors.set(0);
        writeErrors.set(0);
        checksumErrors.set(0);
        if (isLeaf() && leafState == VdevState.FAULTED && device != null) {
            leafState = VdevState.ONLINE;
        }
        children.forEach(Vdev::clear);
    }

    /** Whether this vdev can take writes: a working leaf, or a node with one. */
    public boolean writable() {
        VdevState s = state();
        return s != VdevState.FAULTED && s != VdevState.REMOVED && s != VdevState.OFFLINE;
    }

    /** Whether this vdev works and holds every txg: ONLINE with an empty DTL, or every leaf below so. */
    public boolean complete() {
        if (isLeaf()) {
            return leafState == VdevState.ONLINE && dtl.isEmpty();
        }
        for (Vdev c : children) {
            if (!c.complete()) {
                return false;
            }
        }
        return true;
    }

    public VdevState state() {
        if (isLeaf()) {
            return leafState;
        }
        List<Vdev> kids = children;
        int online = 0;
        int usable = 0;
        boolean incomplete = false;
        for (Vdev c : kids) {
            VdevState s = c.state();
            if (s == VdevState.ONLINE) {
                online++;
                // a working child that missed txgs leaves the mirror without full redundancy until resilvered
                incomplete |= c.isLeaf() && !c.dtl.isEmpty();
            }
            if (s == VdevState.ONLINE || s == VdevState.DEGRADED) {
                usable++;
            }
        }
        if (online == kids.size()) {
            return incomplete ? VdevState.DEGRADED : VdevState.ONLINE;
        }
        if (kind == Kind.ROOT) {
            // the root needs every top-level vdev: there is no redundancy across them
            for (Vdev c : kids) {
                if (!c.writable()) {
                    return VdevState.FAULTED;
                }
            }
            return VdevState.DEGRADED;
        }
        return usable > 0 ? VdevState.DEGRADED : VdevState.FAULTED;
    }

    public AtomicLong readErrors() {
        return readErrors;
    }

    public AtomicLong writeErrors() {
        return writeErrors;
    }

    public AtomicLong checksumErrors() {
        return checksumErrors;
    }

    // ---- top-level space ---------------------------------------------------

    public void initSpace(long startBytes, long endBytes) {
        this.dataStartBytes = startBytes;
        this.dataEndBytes = endBytes;
        this.spaceMap = new SpaceMap(startBytes, endBytes);
    }

    public SpaceMap spaceMap() {
        return spaceMap;
    }

    public long dataStartBytes() {
        return dataStartBytes;
    }

    public long dataEndBytes() {
        return dataEndBytes;
    }

    /**
     * A snapshot of this subtree.
     *
     * @param note what an operator should know about a leaf ("resilvering", "replacing /d0", ...), by GUID
     */
    public VdevStatus status(java.util.function.Function<Vdev, String> note) {
        List<VdevStatus> kids = new ArrayList<>();
        children.forEach(c -> kids.add(c.status(note)));
        return new VdevStatus(guid, type, isLeaf() ? path : type, state(),
                readErrors.get(), writeErrors.get(), checksumErrors.get(), kids,
                isLeaf() ? dtl.toString() : "", isLeaf() ? note.apply(this) : "");
    }

    public VdevStatus status() {
        return status(v -> "");
    }

    @Override
    public String toString() {
        return isLeaf() ? path : type + "-" + id;
    }
}
