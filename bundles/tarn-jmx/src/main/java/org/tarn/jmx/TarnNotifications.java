package org.tarn.jmx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.tarn.api.PoolEvent;

/**
 * The notification types of the Tarn MBeans. Every engine event type
 * ({@link PoolEvent#types()}) and every target event type has a type of its
 * own, declared in the emitting MBean's {@code getNotificationInfo}:
 * <ul>
 * <li>{@code tarn:type=PoolManager} sends the {@code tarn.pool.*} and
 * {@code tarn.vdev.*} types of every pool;</li>
 * <li>{@code tarn:type=Pool,name=...} sends the same types for its own pool,
 * from the moment it is registered up to and including the event that ends
 * it ({@code exported}, {@code destroyed}, {@code force-exported}), which is
 * delivered before the MBean is unregistered;</li>
 * <li>{@code tarn:type=TargetManager} sends the {@code tarn.target.*} types of
 * every target, and {@code tarn:type=Target,...} those of its own mount.</li>
 * </ul>
 *
 * <p>Pool notifications carry as user data a CompositeData with items
 * {@code pool} (String), {@code guid} (String, unsigned decimal),
 * {@code type} (the engine's event type), {@code detail} (String) and
 * {@code time} (String, ISO-8601 UTC with milliseconds, e.g.
 * {@code 2026-11-02T10:15:30.123Z}); target notifications items {@code pool},
 * {@code target}, {@code type}, {@code detail} and {@code time}. The
 * notification's own time stamp is the same instant in epoch milliseconds.
 * Sequence numbers come from one counter per registration, so they grow
 * across every Tarn MBean of it.
 */
public final class TarnNotifications {
    public static final String POOL_CREATED = "tarn.pool.created";
    public static final String POOL_IMPORTED = "tarn.pool.imported";
    public static final String POOL_REWOUND = "tarn.pool.rewound";
    public static final String POOL_RENAMED = "tarn.pool.renamed";
    public static final String POOL_EXPORTING = "tarn.pool.exporting";
    public static final String POOL_EXPORTED = "tarn.pool.exported";
    public static final String POOL_DESTROYED = "tarn.pool.destroyed";
    public static final String POOL_FORCE_EXPORTED = "tarn.pool.force-exported";
    public static final String POOL_SUSPENDED = "tarn.pool.suspended";
    public static final String POOL_RESUMED = "tarn.pool.resumed";
    public static final String VDEV_FAULTED = "tarn.vdev.faulted";
    public static final String POOL_MULTIHOST_FAILED = "tarn.pool.multihost-failed";
    public static final String POOL_RESILVER_STARTED = "tarn.pool.resilver-started";
    public static final String POOL_RESILVER_FINISHED = "tarn.pool.resilver-finished";
    public static final String POOL_SCRUB_STARTED = "tarn.pool.scrub-started";
    public static final String POOL_SCRUB_PAUSED = "tarn.pool.scrub-paused";
    public static final String POOL_SCRUB_FINISHED = "tarn.pool.scrub-finished";
    public static final String POOL_SCRUB_CANCELED = "tarn.pool.scrub-canceled";
    public static final String VDEV_ATTACHED = "tarn.vdev.attached";
    public static final String VDEV_DETACHED = "tarn.vdev.detached";
    public static final String VDEV_ONLINE = "tarn.vdev.online";
    public static final String VDEV_OFFLINE = "tarn.vdev.offline";
    public static final String VDEV_ADDED = "tarn.vdev.added";

    public static final String TARGET_MOUNTED = "tarn.target.mounted";
    public static final String TARGET_RECOVERY_FINISHED = "tarn.target.recovery-finished";
    public static final String TARGET_EVICTED = "tarn.target.evicted";
    public static final String TARGET_UNMOUNTED = "tarn.target.unmounted";
    public static final String TARGET_FAILED = "tarn.target.failed";

    private static final Map<String, String> POOL_TYPES = Map.ofEntries(
            Map.entry(PoolEvent.CREATED, POOL_CREATED),
            Map.entry(PoolEvent.IMPORTED, POOL_IMPORTED),
            Map.entry(PoolEvent.REWOUND, POOL_REWOUND),
            Map.entry(PoolEvent.RENAMED, POOL_RENAMED),
            Map.entry(PoolEvent.EXPORTING, POOL_EXPORTING),
            Map.entry(PoolEvent.EXPORTED, POOL_EXPORTED),
            Map.entry(PoolEvent.DESTROYED, POOL_DESTROYED),
            Map.entry(PoolEvent.FORCE_EXPORTED, POOL_FORCE_EXPORTED),
            Map.entry(PoolEvent.SUSPENDED, POOL_SUSPENDED),
            Map.entry(PoolEvent.RESUMED, POOL_RESUMED),
            Map.entry(PoolEvent.VDEV_FAULTED, VDEV_FAULTED),
            Map.entry(PoolEvent.MULTIHOST_FAILED, POOL_MULTIHOST_FAILED),
            Map.entry(PoolEvent.RESILVER_STARTED, POOL_RESILVER_STARTED),
            Map.entry(PoolEvent.RESILVER_FINISHED, POOL_RESILVER_FINISHED),
            Map.entry(PoolEvent.SCRUB_STARTED, POOL_SCRUB_STARTED),
            Map.entry(PoolEvent.SCRUB_PAUSED, POOL_SCRUB_PAUSED),
            Map.entry(PoolEvent.SCRUB_FINISHED, POOL_SCRUB_FINISHED),
            Map.entry(PoolEvent.SCRUB_CANCELED, POOL_SCRUB_CANCELED),
            Map.entry(PoolEvent.VDEV_ATTACHED, VDEV_ATTACHED),
            Map.entry(PoolEvent.VDEV_DETACHED, VDEV_DETACHED),
            Map.entry(PoolEvent.VDEV_ONLINE, VDEV_ONLINE),
            Map.entry(PoolEvent.VDEV_OFFLINE, VDEV_OFFLINE),
            Map.entry(PoolEvent.VDEV_ADDED, VDEV_ADDED));

    /** The target service's event types ({@code TargetListener}), in lifecycle order. */
    private static final List<String> TARGET_EVENTS = List.of("mounted", "recovery-finished", "evicted",
            "unmounted", "failed");

    private TarnNotifications() {
    }

    /**
     * The notification type of an engine event type ({@code PoolEvent.type()}):
     * {@code tarn.pool.<type>}, except the {@code vdev-*} events, which are
     * {@code tarn.vdev.*} ({@code vdev-faulted} is {@code tarn.vdev.faulted}). A type this version does not know (a newer
     * engine) still gets {@code tarn.pool.<type>}, never a catch-all.
     */
    public static String typeOf(String eventType) {
        String t = POOL_TYPES.get(eventType);
        return t != null ? t : "tarn.pool." + eventType;
    }

    /** The notification type of a target event type: {@code tarn.target.<type>}. */
    public static String targetTypeOf(String eventType) {
        return "tarn.target." + eventType;
    }

    /** Every pool notification type, in the engine's lifecycle order. */
    public static String[] all() {
        return PoolEvent.types().stream().map(TarnNotifications::typeOf).toArray(String[]::new);
    }

    /** Every target notification type. */
    public static String[] allTargets() {
        List<String> out = new ArrayList<>();
        TARGET_EVENTS.forEach(t -> out.add(targetTypeOf(t)));
        return out.toArray(String[]::new);
    }
}
