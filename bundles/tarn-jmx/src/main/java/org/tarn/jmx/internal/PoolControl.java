package org.tarn.jmx.internal;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import javax.management.NotificationBroadcasterSupport;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolManager;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
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
    private final PoolCallLimiter limiter;
    /** Events of the handle's history notified (or older than the MBean); worker thread only. */
    private final Set<PoolEvent> notified = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The sync of the last {@link #syncWithin} probe; a new probe starts only once it has ended. */
    private CompletableFuture<Long> probe;

    PoolControl(PoolManager engine, Pool pool, AtomicLong sequence, Consumer<String> refresh,
                PoolCallLimiter limiter) {
        super(PoolManagerControl.notificationInfo("of this pool"));
        this.limiter = limiter;
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
    public TabularData getPropertySources() {
        return Errors.call(() -> {
            java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
            pool.propertySources().forEach((k, v) -> out.put(k, v.name().toLowerCase(java.util.Locale.ROOT)));
            return OpenTypeCodec.stringMap(out);
        });
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
            limiter.run(name, "export", () -> Errors.run(() -> {
                requireCurrent();
                engine.exportPool(name, false);
            }));
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
        limiter.run(pool.name(), "clear", () -> Errors.run(pool::clear));
    }

    /** How long a sync that finds its pool suspended still waits for a force export to end it. */
    static final long SUSPENDED_GRACE_MILLIS = 1_000;

    /** How long a management {@code sync} waits: a sync bounded by the dirty limit takes far less. */
    static final long MANAGEMENT_SYNC_MILLIS = 60_000;

    /**
     * A sync with a deadline that never waits for an operator: a suspended
     * pool fails at once (or as soon as it suspends) with {@code POOL_SUSPENDED},
     * whatever its failmode, and a sync still running at the deadline fails
     * with {@code TIMED_OUT} (it goes on in the background).
     */
    @Override
    public void sync() {
        limiter.run(pool.name(), "sync", () -> {
            if (pool.readOnly()) {
                return;
            }
            requireNotSuspended();
            awaitProbe(MANAGEMENT_SYNC_MILLIS, true);
        });
    }

    private void requireNotSuspended() {
        if (pool.state() == PoolState.SUSPENDED) {
            throw new IllegalStateException(ErrorCode.POOL_SUSPENDED.tag() + " pool '" + pool.name() + "' is "
                    + "suspended and cannot sync: clear it once its devices work, or force-export it");
        }
    }

    /** Longest deadline a probe accepts: an HA manager's monitor timeout, not a way to wait forever. */
    static final long MAX_PROBE_MILLIS = 600_000;

    @Override
    public long syncWithin(long timeoutMillis) {
        if (timeoutMillis < 1 || timeoutMillis > MAX_PROBE_MILLIS) {
            throw new IllegalArgumentException(ErrorCode.INVALID_ARGUMENT.tag() + " timeoutMillis must be 1 to "
                    + MAX_PROBE_MILLIS + ", got " + timeoutMillis);
        }
        return awaitProbe(timeoutMillis, false);
    }

    /** Waits for the pool's probe sync up to the deadline; with {@code failWhenSuspended}, not past a suspension. */
    private long awaitProbe(long timeoutMillis, boolean failWhenSuspended) {
        CompletableFuture<Long> sync = startProbe();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new TimeoutException();
                }
                try {
                    return sync.get(Math.min(left, 100), TimeUnit.MILLISECONDS);
                } catch (TimeoutException notYet) {
                    if (failWhenSuspended && pool.state() == PoolState.SUSPENDED) {
                        // a force export suspends the pool first and ends the sync a moment later: its
                        // TARN-11 (force-exported) tells the operator more than "suspended"
                        try {
                            return sync.get(SUSPENDED_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                        } catch (TimeoutException stillSuspended) {
                            requireNotSuspended();
                        }
                    }
                }
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException(ErrorCode.TIMED_OUT.tag() + " pool '" + pool.name() + "': a sync did not "
                    + "complete within " + timeoutMillis + " ms (state " + pool.state() + ", synced txg "
                    + pool.syncedTxg() + "); its devices may be hung: see status, then clear or force-export it");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? Errors.translate(r)
                    : new IllegalStateException(e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ErrorCode.TIMED_OUT.tag() + " pool '" + pool.name()
                    + "': interrupted while waiting for a sync");
        }
    }

    /**
     * The running probe sync, or a new one on its own daemon thread: a sync
     * that hangs on a device pins that one thread (until a force export wakes
     * it), never the caller's, and never more than one per pool.
     */
    private synchronized CompletableFuture<Long> startProbe() {
        if (probe == null || probe.isDone()) {
            CompletableFuture<Long> next = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    pool.sync();
                    next.complete(pool.syncedTxg());
                } catch (RuntimeException | Error e) {
                    next.completeExceptionally(e);
                }
            }, "tarn-sync-probe-" + pool.name());
            t.setDaemon(true);
            probe = next;
            t.start();
        }
        return probe;
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

    // ---- device lifecycle ------------------------------------------------------------

    @Override
    public CompositeData getScan() {
        return Errors.call(() -> OpenTypeCodec.scan(pool.scanStatus()));
    }

    @Override
    public String[] getDataErrors() {
        return Errors.call(() -> pool.dataErrors().stream().map(Object::toString).toArray(String[]::new));
    }

    @Override
    public CompositeData[] getIoStats() {
        return Errors.call(() -> OpenTypeCodec.ioStats(pool.ioStats()));
    }

    @Override
    public String[] getHistory() {
        return Errors.call(() -> pool.history().stream().map(OpenTypeCodec::historyLine).toArray(String[]::new));
    }

    @Override
    public void scrub() {
        Errors.run(pool::scrub);
    }

    @Override
    public void pauseScrub() {
        Errors.run(pool::pauseScrub);
    }

    @Override
    public void stopScrub() {
        Errors.run(pool::stopScrub);
    }

    @Override
    public void resilver() {
        Errors.run(pool::resilver);
    }

    // the tree changes wait for a sync (bounded by the engine): at most two such calls per pool at once

    @Override
    public void attach(String device, String newDevice, boolean force) {
        limiter.run(pool.name(), "attach", () -> Errors.run(() -> pool.attach(device, newDevice, force)));
    }

    @Override
    public void detach(String device) {
        limiter.run(pool.name(), "detach", () -> Errors.run(() -> pool.detach(device)));
    }

    @Override
    public void replace(String device, String newDevice, boolean force) {
        limiter.run(pool.name(), "replace", () -> Errors.run(() -> pool.replace(device,
                newDevice == null || newDevice.isBlank() ? null : newDevice, force)));
    }

    @Override
    public void online(String device) {
        limiter.run(pool.name(), "online", () -> Errors.run(() -> pool.online(device)));
    }

    @Override
    public void offline(String device, boolean temporary) {
        limiter.run(pool.name(), "offline", () -> Errors.run(() -> pool.offline(device, temporary)));
    }

    @Override
    public void add(String layout, boolean force) {
        limiter.run(pool.name(), "add", () -> Errors.run(() -> pool.add(org.tarn.api.VdevLayout.parse(layout),
                force)));
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
