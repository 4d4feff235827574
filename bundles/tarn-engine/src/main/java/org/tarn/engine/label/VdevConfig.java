package org.tarn.engine.label;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One node of the vdev tree a label records: the root, a top-level vdev (a
 * {@code mirror} or a single leaf) or a leaf device.
 *
 * <p>Every vdev but the root carries a data region: for a top-level vdev the
 * byte range the allocator may use on each of its devices (for a mirror, the
 * smallest child's), for a leaf its own range, from which a reader can tell
 * that the device was since truncated. The root's region is empty (0, 0).
 *
 * @param type           {@link #TYPE_ROOT}, {@link #TYPE_MIRROR} or a leaf driver type ("file", "fault")
 * @param guid           unique in the pool
 * @param id             index within the parent
 * @param path           the device path of a leaf; "" for interior vdevs
 * @param children       empty for a leaf
 * @param dataStartBytes first allocatable byte on each device
 * @param dataEndBytes   end (exclusive) of the allocatable bytes on each device
 * @param attrs          a leaf's lifecycle attributes ({@link #ATTR_OFFLINE}, {@link #ATTR_REPLACING},
 *                       {@link #ATTR_SPARE_FOR}); empty for most vdevs and in pools written before them
 */
public record VdevConfig(String type, long guid, int id, String path, List<VdevConfig> children,
                         long dataStartBytes, long dataEndBytes, Map<String, Long> attrs) {

    public static final String TYPE_ROOT = "root";
    public static final String TYPE_MIRROR = "mirror";
    /** 1: an operator took the leaf offline (not temporarily); it stays offline across imports. */
    public static final String ATTR_OFFLINE = "offline";
    /** The GUID of the leaf this new leaf replaces; that one is detached once this one is resilvered. */
    public static final String ATTR_REPLACING = "replacing";
    /** The GUID of the leaf this hot spare stands in for. */
    public static final String ATTR_SPARE_FOR = "spare_for";

    private static final String K_TYPE = "type";
    private static final String K_GUID = "guid";
    private static final String K_ID = "id";
    private static final String K_PATH = "path";
    private static final String K_CHILDREN = "children";
    private static final String K_DATA_START = "data_start";
    private static final String K_DATA_END = "data_end";
    private static final String K_ATTRS = "attrs";

    /** A vdev without lifecycle attributes. */
    public VdevConfig(String type, long guid, int id, String path, List<VdevConfig> children, long dataStartBytes,
                      long dataEndBytes) {
        this(type, guid, id, path, children, dataStartBytes, dataEndBytes, Map.of());
    }

    public VdevConfig {
        attrs = attrs == null ? Map.of() : Map.copyOf(new TreeMap<>(attrs));
        Objects.requireNonNull(type, "type");
        if (type.isBlank()) {
            throw new IllegalArgumentException("vdev type must not be blank");
        }
        path = path == null ? "" : path;
        children = List.copyOf(Objects.requireNonNull(children, "children"));
        if (id < 0) {
            throw new IllegalArgumentException("vdev id " + id + " is negative");
        }
        if ((TYPE_ROOT.equals(type) || TYPE_MIRROR.equals(type)) && children.isEmpty()) {
            throw new IllegalArgumentException("a " + type + " vdev needs at least one child");
        }
        if (dataStartBytes < 0 || dataEndBytes < dataStartBytes) {
            throw new IllegalArgumentException("vdev " + Long.toUnsignedString(guid) + " has a bad data region "
                    + dataStartBytes + ".." + dataEndBytes);
        }
        Set<Long> seen = new HashSet<>();
        seen.add(guid);
        for (int i = 0; i < children.size(); i++) {
            VdevConfig c = children.get(i);
            if (c.id() != i) {
                throw new IllegalArgumentException("child " + i + " of vdev " + Long.toUnsignedString(guid)
                        + " has id " + c.id());
            }
            c.forEach(v -> {
                if (!seen.add(v.guid())) {
                    throw new IllegalArgumentException("vdev guid " + Long.toUnsignedString(v.guid())
                            + " appears twice in the tree");
                }
            });
        }
    }

    /** A leaf whose data region follows from its device size. */
    public static VdevConfig leaf(String type, long guid, int id, String path, long deviceSizeBytes) {
        return new VdevConfig(type, guid, id, path, List.of(),
                LabelLayout.dataStartBytes(), LabelLayout.dataEndBytes(deviceSizeBytes));
    }

    /** A mirror over {@code children} (renumbered by position); its region is the one all children hold. */
    public static VdevConfig mirror(long guid, int id, List<VdevConfig> children) {
        List<VdevConfig> numbered = renumber(children);
        long start = numbered.stream().mapToLong(VdevConfig::dataStartBytes).max().orElse(0);
        long end = numbered.stream().mapToLong(VdevConfig::dataEndBytes).min().orElse(0);
        return new VdevConfig(TYPE_MIRROR, guid, id, "", numbered, start, Math.max(start, end));
    }

    /** The root over {@code topLevels} (renumbered by position). */
    public static VdevConfig root(long guid, List<VdevConfig> topLevels) {
        return new VdevConfig(TYPE_ROOT, guid, 0, "", renumber(topLevels), 0, 0);
    }

    public VdevConfig withId(int newId) {
        return new VdevConfig(type, guid, newId, path, children, dataStartBytes, dataEndBytes, attrs);
    }

    /** A lifecycle attribute, or 0 when absent. */
    public long attr(String name) {
        return attrs.getOrDefault(name, 0L);
    }

    public boolean isLeaf() {
        return children.isEmpty();
    }

    public boolean isRoot() {
        return TYPE_ROOT.equals(type);
    }

    /** Allocatable bytes per device. */
    public long dataBytes() {
        return dataEndBytes - dataStartBytes;
    }

    /** The leaves under (or equal to) this vdev, in tree order. */
    public List<VdevConfig> leaves() {
        List<VdevConfig> out = new ArrayList<>();
        forEach(v -> {
            if (v.isLeaf()) {
                out.add(v);
            }
        });
        return out;
    }

    /** The wrapping sum of the GUIDs of every vdev in this subtree, as the uberblock records it. */
    public long guidSum() {
        long sum = guid;
        for (VdevConfig c : children) {
            sum += c.guidSum();
        }
        return sum;
    }

    /** The vdev with that GUID in this subtree. */
    public Optional<VdevConfig> findByGuid(long wanted) {
        if (guid == wanted) {
            return Optional.of(this);
        }
        for (VdevConfig c : children) {
            Optional<VdevConfig> found = c.findByGuid(wanted);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** The child of this vdev (normally the root) whose subtree holds {@code wanted}. */
    public Optional<VdevConfig> topLevelFor(long wanted) {
        for (VdevConfig c : children) {
            if (c.findByGuid(wanted).isPresent()) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** Visits this vdev and its subtree, parents first. */
    public void forEach(Consumer<VdevConfig> visitor) {
        visitor.accept(this);
        children.forEach(c -> c.forEach(visitor));
    }

    public NvList toNvList() {
        NvList nv = new NvList()
                .putString(K_TYPE, type)
                .putLong(K_GUID, guid)
                .putLong(K_ID, id);
        if (!path.isEmpty()) {
            nv.putString(K_PATH, path);
        }
        nv.putLong(K_DATA_START, dataStartBytes).putLong(K_DATA_END, dataEndBytes);
        if (!attrs.isEmpty()) {
            NvList a = new NvList();
            attrs.forEach(a::putLong);
            nv.putNvList(K_ATTRS, a);
        }
        if (!children.isEmpty()) {
            nv.putNvLists(K_CHILDREN, children.stream().map(VdevConfig::toNvList).toList());
        }
        return nv;
    }

    /**
     * @throws IllegalArgumentException ({@link NvListException} for a missing or
     *         mistyped value) if {@code nv} does not describe a valid tree
     */
    public static VdevConfig fromNvList(NvList nv) {
        long id = nv.getLong(K_ID);
        if (id < 0 || id > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("vdev id " + id + " is out of range");
        }
        List<VdevConfig> children = new ArrayList<>();
        if (nv.contains(K_CHILDREN)) {
            for (NvList c : nv.getNvLists(K_CHILDREN)) {
                children.add(fromNvList(c));
            }
        }
        Map<String, Long> attrs = new TreeMap<>();
        if (nv.contains(K_ATTRS)) {
            NvList a = nv.getNvList(K_ATTRS);
            for (String k : a.names()) {
                attrs.put(k, a.getLong(k));
            }
        }
        return new VdevConfig(nv.getString(K_TYPE), nv.getLong(K_GUID), (int) id, nv.getString(K_PATH, ""),
                children, nv.getLong(K_DATA_START, 0), nv.getLong(K_DATA_END, 0), attrs);
    }

    private static List<VdevConfig> renumber(List<VdevConfig> children) {
        List<VdevConfig> out = new ArrayList<>(children.size());
        for (int i = 0; i < children.size(); i++) {
            out.add(children.get(i).withId(i));
        }
        return out;
    }
}
