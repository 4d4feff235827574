package org.tarn.jmx.internal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import javax.management.MBeanNotificationInfo;
import javax.management.Notification;
import javax.management.NotificationBroadcasterSupport;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolManager;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.jmx.ObjectNames;
import org.tarn.jmx.PoolManagerMXBean;
import org.tarn.jmx.TarnNotifications;

/**
 * The PoolManager MBean. Its notifications are sent by the registry's worker
 * thread ({@link MBeanRegistry}), which calls {@link #emit}; listeners run
 * there, never on a caller's or an engine thread.
 */
final class PoolManagerControl extends NotificationBroadcasterSupport implements PoolManagerMXBean {
    private final PoolCallLimiter limiter;
    private final PoolManager engine;
    private final Consumer<String> refresh;
    private final AtomicLong sequence;

    PoolManagerControl(PoolManager engine, AtomicLong sequence, Consumer<String> refresh, PoolCallLimiter limiter) {
        super(notificationInfo("of any pool"));
        this.limiter = limiter;
        this.engine = engine;
        this.sequence = sequence;
        this.refresh = refresh;
    }

    /** The pool notification types, one MBeanNotificationInfo each, as the Pool and PoolManager MBeans declare them. */
    static MBeanNotificationInfo[] notificationInfo(String whose) {
        String[] types = TarnNotifications.all();
        MBeanNotificationInfo[] out = new MBeanNotificationInfo[types.length];
        for (int i = 0; i < types.length; i++) {
            out[i] = new MBeanNotificationInfo(new String[] {types[i]}, Notification.class.getName(),
                    "Pool event '" + PoolEvent.types().get(i) + "' " + whose + ": "
                    + EVENT_DESCRIPTIONS.getOrDefault(PoolEvent.types().get(i), "")
                    + "; user data: CompositeData with pool, guid, type, detail and time (ISO-8601)");
        }
        return out;
    }

    private static final Map<String, String> EVENT_DESCRIPTIONS = Map.ofEntries(
            Map.entry(PoolEvent.CREATED, "the pool was created and imported"),
            Map.entry(PoolEvent.IMPORTED, "the pool was imported"),
            Map.entry(PoolEvent.REWOUND, "the pool was imported at an older transaction group"),
            Map.entry(PoolEvent.RENAMED, "the pool was imported under a new name"),
            Map.entry(PoolEvent.EXPORTING, "a clean export or destroy began"),
            Map.entry(PoolEvent.EXPORTED, "the pool was exported cleanly"),
            Map.entry(PoolEvent.DESTROYED, "the pool was destroyed (exported, labels marked DESTROYED)"),
            Map.entry(PoolEvent.FORCE_EXPORTED, "the pool was force-exported, unsynced changes discarded"),
            Map.entry(PoolEvent.SUSPENDED, "a transaction group could not be synced: the pool is suspended"),
            Map.entry(PoolEvent.RESUMED, "a suspended pool synced again"),
            Map.entry(PoolEvent.VDEV_FAULTED, "a device failed"),
            Map.entry(PoolEvent.MULTIHOST_FAILED, "multihost heartbeats could not be written"));

    /** The notification of an engine event, from {@code source}. */
    static Notification notification(ObjectName source, long sequence, String pool, long guid, PoolEvent event) {
        Notification n = new Notification(TarnNotifications.typeOf(event.type()), source, sequence,
                event.time().toEpochMilli(),
                "pool '" + pool + "': " + event.type() + (event.detail() == null ? "" : " " + event.detail()));
        n.setUserData(OpenTypeCodec.event(pool, guid, event));
        return n;
    }

    /** Sends the notification of an engine event (on the registry's worker). */
    void emit(String pool, long guid, PoolEvent event) {
        sendNotification(notification(ObjectNames.poolManager(), sequence.incrementAndGet(), pool, guid, event));
    }

    @Override
    public String[] getPools() {
        return Errors.call(() -> engine.pools().toArray(String[]::new));
    }

    @Override
    public String getHostId() {
        return Errors.call(() -> String.format("%08x", engine.hostId()));
    }

    @Override
    public String getHostname() {
        return Errors.call(engine::hostname);
    }

    @Override
    public String[] getSearchPaths() {
        return Errors.call(() -> engine.searchPaths().toArray(String[]::new));
    }

    @Override
    public CompositeData getBlockCache() {
        return Errors.call(() -> OpenTypeCodec.blockCache(engine.blockCacheStats()));
    }

    @Override
    public String[] getImportsInProgress() {
        return Errors.call(() -> engine.importsInProgress().stream().map(Object::toString).sorted()
                .toArray(String[]::new));
    }

    @Override
    public String createPool(String name, String layout, String properties) {
        Pool pool = Errors.call(() -> engine.createPool(name, VdevLayout.parse(layout), parseProperties(properties),
                false));
        refresh.accept(pool.name());
        return OpenTypeCodec.guid(pool.guid());
    }

    @Override
    public TabularData importablePools(String dirs) {
        return Errors.call(() -> OpenTypeCodec.importablePools(engine.scan(splitDirs(dirs))));
    }

    @Override
    public String importPool(String nameOrGuid, String options) {
        Pool pool = Errors.call(() -> engine.importPool(nameOrGuid, ImportOptions.parse(options)));
        refresh.accept(pool.name());
        return pool.name();
    }

    @Override
    public void exportPool(String name, boolean force) {
        try {
            limiter.run(String.valueOf(name), "export", () -> Errors.run(() -> engine.exportPool(name, force)));
        } finally {
            if (name != null) {
                refresh.accept(name);
            }
        }
    }

    @Override
    public void destroyPool(String name, boolean force) {
        try {
            limiter.run(String.valueOf(name), "destroy", () -> Errors.run(() -> engine.destroyPool(name, force)));
        } finally {
            if (name != null) {
                refresh.accept(name);
            }
        }
    }

    @Override
    public void forceExport(String name) {
        try {
            Errors.run(() -> engine.forceExport(name));
        } finally {
            if (name != null) {
                refresh.accept(name);
            }
        }
    }

    /** Parses {@code key=value,key=value}; empty or null for none. Duplicate keys are refused. */
    static Map<String, String> parseProperties(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0 || part.substring(0, eq).isBlank()) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "expected key=value in pool properties, got '"
                        + part.trim() + "'; write them as key=value,key=value");
            }
            String key = part.substring(0, eq).trim();
            if (out.put(key, part.substring(eq + 1).trim()) != null) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool property '" + key + "' is given twice");
            }
        }
        return out;
    }

    static List<String> splitDirs(String dirs) {
        if (dirs == null || dirs.isBlank()) {
            return List.of();
        }
        return Arrays.stream(dirs.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
