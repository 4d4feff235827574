package org.tarn.engine.vdev;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.tarn.api.VdevState;
import org.tarn.api.VdevStatus;
import org.tarn.api.vdev.BlockDevice;

/**
 * One node of a pool's vdev tree: the root, a top-level vdev (a mirror or a
 * single device) or a leaf device.
 *
 * <h2>Theory of operation</h2>
 * Leaves own an open {@link BlockDevice} and a small executor of their own.
 * All device I/O runs there, never on a caller's or another pool's thread, so
 * a device that hangs pins only its own threads; callers wait with a deadline
 * or until force export fails them. A leaf that fails a write or times out is
 * FAULTED and no longer written; interior states are derived from the leaves:
 * a mirror is ONLINE when all children are, DEGRADED while one still is, and
 * FAULTED when none is. Top-level vdevs own the {@link SpaceMap} of their data
 * region, which is the same byte range on every child of a mirror.
 */
public final class Vdev {
    /** The three kinds of node. */
    public enum Kind { ROOT, MIRROR, LEAF }

    private final Kind kind;
    private final long guid;
    private final int id;
    private final String type;
    private final String path;
    private final List<Vdev> children;
    private Vdev parent;

    private volatile BlockDevice device;
    private volatile VdevState leafState = VdevState.ONLINE;
    private volatile ExecutorService executor;
    private final AtomicLong readErrors = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final AtomicLong checksumErrors = new AtomicLong();

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

    /** Attaches an open device and starts the leaf's I/O threads. */
    public void attach(BlockDevice dev, String poolName, int threads) {
        this.device = dev;
        this.leafState = VdevState.ONLINE;
        AtomicInteger n = new AtomicInteger();
        String name = "tarn-" + poolName + "-io-" + shortName();
        ThreadPoolExecutor ex = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.executor = ex;
    }

    /** Marks a leaf whose device could not be opened. */
    public void markMissing() {
        this.device = null;
        this.leafState = VdevState.REMOVED;
    }

    private String shortName() {
        int slash = path.lastIndexOf('/');
        return slash >= 0 ? path.substring(slash + 1) : path;
    }

    public ExecutorService executor() {
        return executor;
    }

    /**
     * Stops the leaf's threads without waiting for them (a hung device keeps
     * its own threads pinned until the I/O returns) and closes the device.
     */
    public void detach() {
        ExecutorService ex = executor;
        if (ex != null) {
            ex.shutdownNow();
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

    /** Clears error counters and, for faulted leaves with a device, their state. */
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
        return state() != VdevState.FAULTED && state() != VdevState.REMOVED;
    }

    public VdevState state() {
        if (isLeaf()) {
            return leafState;
        }
        int online = 0;
        int usable = 0;
        for (Vdev c : children) {
            VdevState s = c.state();
            if (s == VdevState.ONLINE) {
                online++;
            }
            if (s == VdevState.ONLINE || s == VdevState.DEGRADED) {
                usable++;
            }
        }
        if (online == children.size()) {
            return VdevState.ONLINE;
        }
        if (kind == Kind.ROOT) {
            // the root needs every top-level vdev: there is no redundancy across them
            for (Vdev c : children) {
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

    public VdevStatus status() {
        List<VdevStatus> kids = new ArrayList<>();
        children.forEach(c -> kids.add(c.status()));
        return new VdevStatus(guid, type, isLeaf() ? path : type, state(),
                readErrors.get(), writeErrors.get(), checksumErrors.get(), kids);
    }

    @Override
    public String toString() {
        return isLeaf() ? path : type + "-" + id;
    }
}
