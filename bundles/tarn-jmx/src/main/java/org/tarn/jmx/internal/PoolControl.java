package org.tarn.jmx.internal;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import javax.management.NotificationBroadcasterSupport;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolManager;
import org.tarn.api.PoolProperty;
import org.tarn.api.TarnException;
import org.tarn.jmx.ObjectNames;
import org.tarn.jmx.PoolMXBean;

/**
 * The Pool MBean of one imported pool (one pool handle). It sends the
 * notifications of its own pool's events, those in its handle's history
 * from its registration on, each once; the registry calls
 * {@link #emitIfOwn} and {@link #emitPending} on its worker thread.
 */
final class PoolControl extends NotificationBroadcasterSupport implements PoolMXBean {
    private final PoolManager engine;
    private final Pool pool;
    private final AtomicLong sequence;
    private final Consumer<String> refresh;
    /** Events of the handle's history notified (or older than the MBean); worker thread only. */
    private final Set<PoolEvent> notified = Collections.newSetFromMap(new IdentityHashMap<>());

    PoolControl(PoolManager engine, Pool pool, AtomicLong sequence, Consumer<String> refresh) {
        super(PoolManagerControl.notificationInfo("of this pool"));
        this.engine = engine;
        this.pool = pool;
        this.sequence = sequence;
        this.refresh = refresh;
        notified.addAll(pool.events());
    }

    /** Whether this MBean shows that pool handle. */
    boolean shows(Pool other) {
        return other == pool;
    }

    /** Sends the notification of an event of this pool's handle that was not sent yet. */
    void emitIfOwn(PoolEvent event) {
        if (notified.contains(event)) {
            return;
        }
        for (PoolEvent e : pool.events()) {
            if (e == event) {
                send(e);
                return;
            }
        }
    }

    /** Sends every event of the handle's history not sent yet (before the MBean goes away). */
    void emitPending() {
        for (PoolEvent e : pool.events()) {
            if (!notified.contains(e)) {
                send(e);
            }
        }
    }

    private void send(PoolEvent e) {
        notified.add(e);
        sendNotification(PoolManagerControl.notification(ObjectNames.pool(pool.name()), sequence.incrementAndGet(),
                pool.name(), pool.guid(), e));
    }

    @Override
    public String getName() {
        return pool.name();
    }

    @Override
    public String getGuid() {
        return OpenTypeCodec.guid(pool.guid());
    }

    @Override
    public String getState() {
        return Errors.call(() -> pool.state().name());
    }

    @Override
    public String getHealth() {
        return Errors.call(() -> pool.health().name());
    }

    @Override
    public long getSyncedTxg() {
        return Errors.call(pool::syncedTxg);
    }

    @Override
    public long getOpenTxg() {
        return Errors.call(pool::openTxg);
    }

    @Override
    public long getDirtyBytes() {
        return Errors.call(pool::dirtyBytes);
    }

    @Override
    public long getDirtyMaxBytes() {
        return Errors.call(() -> {
            String v = pool.properties().get(PoolProperty.DIRTY_MAX_BYTES);
            try {
                return v == null ? -1L : Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                return -1L;
            }
        });
    }

    @Override
    public long getSizeBytes() {
        return Errors.call(pool::sizeBytes);
    }

    @Override
    public long getAllocatedBytes() {
        return Errors.call(pool::allocatedBytes);
    }

    @Override
    public long getFreeBytes() {
        return Errors.call(() -> Math.max(0, pool.sizeBytes() - pool.allocatedBytes()));
    }

    @Override
    public String getFailmode() {
        return Errors.call(() -> pool.properties().getOrDefault(PoolProperty.FAILMODE, ""));
    }

    @Override
    public TabularData getProperties() {
        return Errors.call(() -> OpenTypeCodec.stringMap(pool.properties()));
    }

    @Override
    public boolean isReadOnly() {
        return pool.readOnly();
    }

    @Override
    public String[] getDatasets() {
        return Errors.call(() -> pool.datasets().toArray(String[]::new));
    }

    @Override
    public CompositeData[] getVdevTree() {
        return Errors.call(() -> OpenTypeCodec.vdevTree(pool.name(), pool.vdevTree()));
    }

    @Override
    public String getConfig() {
        return Errors.call(() -> StatusText.config(pool.name(), pool.vdevTree()));
    }

    @Override
    public void export() {
        String name = pool.name();
        try {
            Errors.run(() -> {
                requireCurrent();
                engine.exportPool(name, false);
            });
        } finally {
            refresh.accept(name);
        }
    }

    @Override
    public void forceExport() {
        String name = pool.name();
        try {
            Errors.run(() -> {
                requireCurrent();
                engine.forceExport(name);
            });
        } finally {
            refresh.accept(name);
        }
    }

    @Override
    public void clear() {
        Errors.run(pool::clear);
    }

    @Override
    public void sync() {
        Errors.run(pool::sync);
    }

    @Override
    public void setProperty(String name, String value) {
        Errors.run(() -> pool.setProperty(name, value));
    }

    @Override
    public String status() {
        return Errors.call(() -> StatusText.of(pool));
    }

    @Override
    public String[] events() {
        return Errors.call(() -> pool.events().stream().map(OpenTypeCodec::eventLine).toArray(String[]::new));
    }

    /** Refuses to act by name on another pool that took this one's name. */
    private void requireCurrent() {
        boolean current = engine.pool(pool.name()).map(p -> p.guid() == pool.guid()).orElse(false);
        if (!current) {
            throw new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + pool.name() + "' (guid "
                    + OpenTypeCodec.guid(pool.guid()) + ") is no longer imported here");
        }
    }
}
