package org.tarn.engine.label;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
        return new VdevConfig(v.type(), v.guid(), v.id(), v.isLeaf() ? v.path() : "", kids, start, end);
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
                top = Vdev.leaf(t.guid(), t.id(), t.type(), paths.getOrDefault(t.guid(), t.path()));
            } else {
                List<Vdev> leaves = new ArrayList<>();
                for (VdevConfig l : t.children()) {
                    leaves.add(Vdev.leaf(l.guid(), l.id(), l.type(), paths.getOrDefault(l.guid(), l.path())));
                }
                top = Vdev.mirror(t.guid(), t.id(), leaves);
            }
            top.initSpace(t.dataStartBytes(), t.dataEndBytes());
            tops.add(top);
        }
        return Vdev.root(root.guid(), tops);
    }
}
