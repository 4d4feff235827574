package org.tarn.jmx;

/**
 * The notification types of the PoolManager MBean. Every notification carries
 * as user data a CompositeData with items {@code pool} (String), {@code guid}
 * (String, unsigned decimal), {@code type} (the engine's event type),
 * {@code detail} (String) and {@code time} (Long, epoch milliseconds).
 */
public final class TarnNotifications {
    public static final String POOL_CREATED = "tarn.pool.created";
    public static final String POOL_IMPORTED = "tarn.pool.imported";
    public static final String POOL_EXPORTED = "tarn.pool.exported";
    public static final String POOL_FORCE_EXPORTED = "tarn.pool.force-exported";
    public static final String POOL_SUSPENDED = "tarn.pool.suspended";
    public static final String POOL_RESUMED = "tarn.pool.resumed";
    public static final String VDEV_FAULTED = "tarn.vdev.faulted";
    /** Any other pool event (exporting, renamed, rewound, ...). */
    public static final String POOL_EVENT = "tarn.pool.event";

    private TarnNotifications() {
    }

    /** The notification type of an engine event type ({@code PoolEvent.type()}). */
    public static String typeOf(String eventType) {
        if (eventType == null) {
            return POOL_EVENT;
        }
        return switch (eventType) {
            case "created" -> POOL_CREATED;
            case "imported" -> POOL_IMPORTED;
            case "exported" -> POOL_EXPORTED;
            case "force-exported" -> POOL_FORCE_EXPORTED;
            case "suspended" -> POOL_SUSPENDED;
            case "resumed" -> POOL_RESUMED;
            case "vdev-faulted" -> VDEV_FAULTED;
            default -> POOL_EVENT;
        };
    }

    /** Every type, in declaration order. */
    public static String[] all() {
        return new String[] {POOL_CREATED, POOL_IMPORTED, POOL_EXPORTED, POOL_FORCE_EXPORTED, POOL_SUSPENDED,
            POOL_RESUMED, VDEV_FAULTED, POOL_EVENT};
    }
}
