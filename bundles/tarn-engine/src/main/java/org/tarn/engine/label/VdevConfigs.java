package org.tarn.engine.label;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.tarn.engine.vdev.Vdev;

/** Converts between the runtime vdev tree and its label form. */
public final class VdevConfigs {
    private VdevConfigs() {
    }

    public static VdevConfig toConfig(Vdev v) {
        List<VdevConfig> kids = new ArrayList<>();
        for (Vdev c : v.children()) {
            kids.add(toConfig(c));
        }
        long start = v.kind() == Vdev.Kind.ROOT ? 0 : topOrSelf(v).dataStartBytes();
        long end = v.kind() == Vdev.Kind.ROOT ? 0 : topOrSelf(v).dataEndBytes();
        Map<String, Long> attrs = new TreeMap<>();
        if (v.isLeaf()) {
            if (v.isOfflinePersistent()) {
                attrs.put(VdevConfig.ATTR_OFFLINE, 1L);
            }
            if (v.replacing() != 0) {
                attrs.put(VdevConfig.ATTR_REPLACING, v.replacing());
            }
            if (v.spareFor() != 0) {
                attrs.put(VdevConfig.ATTR_SPARE_FOR, v.spareFor());
            }
        }
        return new VdevConfig(v.type(), v.guid(), v.id(), v.isLeaf() ? v.path() : "", kids, start, end, attrs);
    }

    /** The label form of a hot spare (a leaf outside the tree, with no data region of its own yet). */
    public static VdevConfig spareConfig(Vdev spare, long deviceSizeBytes) {
        return VdevConfig.leaf(spare.type(), spare.guid(), 0, spare.path(), deviceSizeBytes);
    }

    private static Vdev topOrSelf(Vdev v) {
        Vdev t = v;
        while (t.parent() != null && t.parent().kind() != Vdev.Kind.ROOT) {
            t = t.parent();
        }
        return t;
    }

    /** Builds the runtime tree (no devices attached) with each top-level's space map. */
    public static Vdev fromConfig(VdevConfig root) {
        return fromConfig(root, Map.of());
    }

    /** As {@link #fromConfig(VdevConfig)}, with leaves found at other paths than their labels say. */
    public static Vdev fromConfig(VdevConfig root, Map<Long, String> paths) {
        List<Vdev> tops = new ArrayList<>();
        for (VdevConfig t : root.children()) {
            Vdev top;
            if (t.isLeaf()) {
                top = leaf(t, paths);
            } else {
                List<Vdev> leaves = new ArrayList<>();
                for (VdevConfig l : t.children()) {
                    leaves.add(leaf(l, paths));
                }
                top = Vdev.mirror(t.guid(), t.id(), leaves);
            }
            top.initSpace(t.dataStartBytes(), t.dataEndBytes());
            tops.add(top);
        }
        return Vdev.root(root.guid(), tops);
    }

    private static Vdev leaf(VdevConfig l, Map<Long, String> paths) {
        Vdev leaf = Vdev.leaf(l.guid(), l.id(), l.type(), paths.getOrDefault(l.guid(), l.path()));
        leaf.replacing(l.attr(VdevConfig.ATTR_REPLACING));
        leaf.spareFor(l.attr(VdevConfig.ATTR_SPARE_FOR));
        return leaf;
    }
}
