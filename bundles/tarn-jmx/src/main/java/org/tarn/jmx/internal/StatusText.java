package org.tarn.jmx.internal;

import java.util.ArrayList;
import java.util.List;

import org.tarn.api.DataError;
import org.tarn.api.Health;
import org.tarn.api.Pool;
import org.tarn.api.PoolState;
import org.tarn.api.ScanStatus;
import org.tarn.api.VdevStatus;

/** Formats a pool's status as {@code zpool status} prints it. */
final class StatusText {
    private StatusText() {
    }

    static String of(Pool pool) {
        String name = pool.name();
        PoolState state = pool.state();
        Health health = pool.health();
        VdevStatus root = pool.vdevTree();
        StringBuilder sb = new StringBuilder();
        sb.append("  pool: ").append(name).append('\n');
        sb.append("  guid: ").append(OpenTypeCodec.guid(pool.guid())).append('\n');
        sb.append(" state: ").append(health).append('\n');
        String status = statusLine(state, health, pool.readOnly());
        if (status != null) {
            sb.append("status: ").append(status).append('\n');
        }
        if (state != PoolState.EXPORTED) {
            sb.append("   txg: synced ").append(pool.syncedTxg()).append(", open ").append(pool.openTxg())
                    .append(", dirty ").append(pool.dirtyBytes()).append(" bytes\n");
            sb.append(cacheLine(pool.blockCacheStats()));
        }
        String scan = scanLines(pool.scanStatus());
        if (scan != null) {
            sb.append("  scan: ").append(scan).append('\n');
        }
        sb.append("config:\n\n");
        sb.append(config(name, root));
        long errors = sumErrors(root);
        List<DataError> damaged = pool.dataErrors();
        sb.append('\n');
        if (!damaged.isEmpty()) {
            sb.append("errors: Permanent errors have been detected in the following blocks (no copy is "
                    + "readable):\n\n");
            damaged.forEach(e -> sb.append("        ").append(e).append('\n'));
        } else {
            sb.append("errors: ").append(errors == 0 ? "No known data errors"
                    : errors + " device error(s) counted above; clear() resets the counters once the devices work")
                    .append('\n');
        }
        return sb.toString();
    }

    /** The scan: line of zpool status, or null when no scan ever ran. */
    static String scanLines(ScanStatus s) {
        if (ScanStatus.NONE.equals(s.function())) {
            return null;
        }
        String fn = s.function();
        String what = ScanStatus.RESILVER.equals(fn) ? "resilvered" : "repaired";
        return switch (s.state()) {
            case ScanStatus.SCANNING, ScanStatus.PAUSED -> fn + (ScanStatus.PAUSED.equals(s.state())
                    ? " paused since " : " in progress since ") + OpenTypeCodec.time(s.startTime()) + "\n\t"
                    + bytes(s.examinedBytes()) + " scanned at " + bytes(s.bytesPerSecond()) + "/s, "
                    + bytes(s.issuedBytes()) + " issued, " + bytes(s.repairedBytes()) + " " + what + ", "
                    + String.format("%.2f%% done", s.percentDone())
                    + (s.secondsLeft() >= 0 ? ", " + duration(s.secondsLeft()) + " to go" : "")
                    + (s.errors() > 0 ? ", " + s.errors() + " errors" : "");
            case ScanStatus.CANCELED -> fn + " canceled on " + (s.endTime() == null ? "?" : OpenTypeCodec.time(
                    s.endTime())) + " after " + bytes(s.examinedBytes()) + " scanned";
            default -> fn + " " + what + " " + bytes(s.repairedBytes()) + " in " + duration(s.endTime() == null
                    || s.startTime() == null ? 0 : java.time.Duration.between(s.startTime(), s.endTime()).toSeconds())
                    + " with " + s.errors() + " errors on " + (s.endTime() == null ? "?"
                    : OpenTypeCodec.time(s.endTime()));
        };
    }

    /** {@code " cache: 12.0M of the engine's 512.0M, 97.1% hits (3400 hits, 101 misses), 7 evictions"}. */
    static String cacheLine(org.tarn.api.BlockCacheStats c) {
        return String.format(java.util.Locale.ROOT, " cache: %s of the engine's %s, %.1f%% hits (%d hits, %d misses), "
                + "%d evictions%n", bytes(c.sizeBytes()), bytes(c.budgetBytes()), 100 * c.hitRatio(), c.hits(),
                c.misses(), c.evictions());
    }

    static String bytes(long n) {
        String[] units = {"B", "K", "M", "G", "T", "P"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + "B" : String.format("%.1f%s", v, units[u]);
    }

    static String duration(long seconds) {
        return String.format("%02d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
    }

    private static String statusLine(PoolState state, Health health, boolean readOnly) {
        if (state == PoolState.SUSPENDED) {
            return "The pool is suspended: a transaction group could not be synced, or its multihost "
                    + "heartbeat could not be written. Fix the devices, then clear().";
        }
        if (state == PoolState.EXPORTED) {
            return "The pool is exported; import it again to use it.";
        }
        if (state != PoolState.ACTIVE) {
            return "The pool is " + state.name().toLowerCase() + ".";
        }
        if (health == Health.DEGRADED) {
            return "One or more devices are faulted, offline, missing or missed transaction groups (awaiting "
                    + "resilver); the pool continues with reduced redundancy.";
        }
        if (health == Health.FAULTED) {
            return "One or more top-level vdevs are unusable; data may be unreachable.";
        }
        return readOnly ? "The pool is imported read-only." : null;
    }

    /**
     * The config block of {@code zpool status}: a header and one line per
     * vdev in tree order, indented by depth, with state and error counters;
     * each line starts with a tab.
     */
    static String config(String poolName, VdevStatus root) {
        List<String[]> rows = new ArrayList<>();
        addRows(rows, root, poolName, 0, 0);
        int width = "NAME".length();
        for (String[] r : rows) {
            width = Math.max(width, r[0].length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("\t%-" + width + "s  %-8s %5s %5s %5s%n", "NAME", "STATE", "READ", "WRITE", "CKSUM"));
        for (String[] r : rows) {
            sb.append(String.format("\t%-" + width + "s  %-8s %5s %5s %5s%s%n", r[0], r[1], r[2], r[3], r[4], r[5]));
        }
        return sb.toString();
    }

    private static void addRows(List<String[]> rows, VdevStatus v, String rootName, int depth, int index) {
        String label = OpenTypeCodec.vdevName(rootName, v, depth, index);
        String note = v.note().isEmpty() ? "" : "  (" + v.note() + ")";
        rows.add(new String[] {"  ".repeat(depth) + label, v.state().name(), Long.toString(v.readErrors()),
            Long.toString(v.writeErrors()), Long.toString(v.checksumErrors()), note});
        int i = 0;
        for (VdevStatus c : v.children()) {
            addRows(rows, c, rootName, depth + 1, i++);
        }
    }

    private static long sumErrors(VdevStatus v) {
        long n = v.readErrors() + v.writeErrors() + v.checksumErrors();
        for (VdevStatus c : v.children()) {
            n += sumErrors(c);
        }
        return n;
    }
}
