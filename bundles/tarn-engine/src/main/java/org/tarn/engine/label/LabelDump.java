package org.tarn.engine.label;

import java.time.Instant;
import java.util.Map;

import org.tarn.api.vdev.BlockDevice;

/**
 * The text of {@code tarnctl label DEVICE}, like {@code zdb -l}: each label's
 * status and config, then every uberblock found, newest first, the best one
 * marked. Needs no pool and no server: only the device.
 */
public final class LabelDump {
    private static final String RULE = "-".repeat(72);
    private static final String INDENT = "    ";

    private LabelDump() {
    }

    /** Reads {@code dev} and renders what it holds. */
    public static String dump(BlockDevice dev) {
        return dump(LabelReader.read(dev));
    }

    public static String dump(DeviceLabels labels) {
        StringBuilder out = new StringBuilder();
        out.append("device: ").append(labels.path()).append('\n');
        out.append("size:   ").append(labels.sizeBytes()).append(" bytes\n");
        for (DeviceLabels.LabelCopy label : labels.labels()) {
            appendLabel(out, label);
        }
        appendUberblocks(out, labels);
        appendSummary(out, labels);
        return out.toString();
    }

    private static void appendLabel(StringBuilder out, DeviceLabels.LabelCopy label) {
        out.append(RULE).append('\n')
                .append(String.format("LABEL %d   offset %d (0x%x)%n", label.index(), label.offset(), label.offset()))
                .append(RULE).append('\n');
        line(out, 1, "status", label.status());
        if (label.isValid()) {
            LabelConfig c = label.config();
            line(out, 1, "name", quote(c.poolName()));
            line(out, 1, "pool_guid", guid(c.poolGuid()));
            line(out, 1, "state", c.state().name());
            line(out, 1, "txg", Long.toString(c.txg()));
            line(out, 1, "version", Integer.toString(c.formatVersion()));
            line(out, 1, "hostid", String.format("%d (0x%x)", c.hostid(), c.hostid()));
            line(out, 1, "hostname", quote(c.hostname()));
            line(out, 1, "guid", guid(c.vdevGuid()));
            line(out, 1, "top_guid", guid(c.topGuid()));
            line(out, 1, "properties", c.properties().isEmpty() ? "(none)" : "");
            for (Map.Entry<String, String> p : c.properties().entrySet()) {
                line(out, 2, p.getKey(), quote(p.getValue()));
            }
            line(out, 1, "vdev_tree", "");
            appendVdev(out, c.vdevTree(), 2);
        }
        if (label.ringRejection() != null && label.isValid()) {
            line(out, 1, "uberblock ring", label.ringRejection().reason());
        }
    }

    private static void appendVdev(StringBuilder out, VdevConfig v, int depth) {
        StringBuilder sb = new StringBuilder();
        sb.append("type: ").append(quote(v.type()))
                .append("  id: ").append(v.id())
                .append("  guid: ").append(guid(v.guid()));
        if (!v.path().isEmpty()) {
            sb.append("  path: ").append(quote(v.path()));
        }
        if (!v.isRoot()) {
            sb.append("  data: ").append(v.dataStartBytes()).append("..").append(v.dataEndBytes())
                    .append(" (").append(v.dataBytes()).append(" bytes)");
        }
        out.append(INDENT.repeat(depth)).append(sb).append('\n');
        v.children().forEach(c -> appendVdev(out, c, depth + 1));
    }

    private static void appendUberblocks(StringBuilder out, DeviceLabels labels) {
        out.append(RULE).append('\n')
                .append(String.format("UBERBLOCKS   %d valid copies, %d rejected slots   (* = best)%n",
                        labels.uberblocks().size(), labels.rejectedSlots().size()))
                .append(RULE).append('\n');
        DeviceLabels.FoundUberblock best = labels.bestUberblock().orElse(null);
        for (DeviceLabels.FoundUberblock f : labels.uberblocksNewestFirst()) {
            Uberblock ub = f.uberblock();
            out.append(f == best ? "  * " : INDENT)
                    .append(String.format("label %d slot %3d  txg %d  timestamp %s  guid_sum %s  mmp_seq %d"
                                    + "  version %d  root_bp %s",
                            f.label(), f.slot(), ub.txg(), Instant.ofEpochMilli(ub.timestampMillis()),
                            guid(ub.guidSum()), ub.mmpSequence(), ub.formatVersion(), ub.rootBp()))
                    .append(f == best ? "  (best)" : "")
                    .append('\n');
        }
        if (labels.uberblocks().isEmpty()) {
            out.append(INDENT).append("(no valid uberblock)\n");
        }
        for (DeviceLabels.RejectedSlot r : labels.rejectedSlots()) {
            out.append(INDENT).append(String.format("label %d slot %3d  rejected: %s%n",
                    r.label(), r.slot(), r.reason().reason()));
        }
    }

    private static void appendSummary(StringBuilder out, DeviceLabels labels) {
        out.append(RULE).append('\n');
        labels.bestLabel().ifPresentOrElse(
                l -> out.append("best config: label ").append(l.index())
                        .append(" (pool ").append(quote(l.config().poolName()))
                        .append(", txg ").append(l.config().txg()).append(")\n"),
                () -> out.append("best config: none (")
                        .append(labels.whyNoValidLabel().map(LabelException::reason).orElse("no labels"))
                        .append(")\n"));
        labels.bestUberblock().ifPresentOrElse(
                u -> out.append("best uberblock: txg ").append(u.uberblock().txg())
                        .append(" (label ").append(u.label()).append(" slot ").append(u.slot()).append(")\n"),
                () -> out.append("best uberblock: none\n"));
    }

    private static void line(StringBuilder out, int depth, String name, String value) {
        out.append(INDENT.repeat(depth)).append(name).append(':');
        if (!value.isEmpty()) {
            out.append(' ').append(value);
        }
        out.append('\n');
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }

    private static String guid(long guid) {
        return Long.toUnsignedString(guid);
    }
}
