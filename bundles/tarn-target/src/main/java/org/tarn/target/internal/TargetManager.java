package org.tarn.target.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.ExportHook;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolEventListener;
import org.tarn.api.PoolManager;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.target.Target;
import org.tarn.target.TargetListener;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.TargetState;

/**
 * The targets of every pool of one pool manager. Pool events drive the
 * mounts: {@code imported} mounts a pool's targets, {@code force-exported}
 * marks them failed at once, {@code exported} marks any still mounted as
 * unmounted. As the engine's {@link ExportHook}, it unmounts a pool's targets
 * before every clean export, whoever asks for it, mounts them again when the
 * export fails, and fails them the moment a force export returns. Mounts and unmounts of one pool run one after the other on a
 * worker thread (a slow pool never delays another's); recovery timers run on
 * one timer thread that only hands work to the workers; listeners are told
 * in order on one event thread.
 */
public final class TargetManager implements TargetService, PoolEventListener, ExportHook {
    private static final Logger LOG = LoggerFactory.getLogger(TargetManager.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,"
            + (TargetSettings.MAX_NAME_CHARS - 1) + "}");
    /** How often an unmount waiting for a sync looks at the pool's state. */
    private static final long SYNC_POLL_MILLIS = 50;

    private final PoolManager pools;
    private final TargetSettings settings;
    private final ScheduledExecutorService timer;
    private final ExecutorService workers;
    private final ExecutorService notifier;
    private final List<TargetListener> listeners = new CopyOnWriteArrayList<>();
    /** Targets by pool name; the pool's GUID tells one import of a name from the next. */
    private final Map<String, PoolTargets> byPool = new ConcurrentHashMap<>();
    /** The last task of each pool's serial queue. Guarded by this. */
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record PoolTargets(long guid, Map<String, TargetInstance> targets) {
    }

    private TargetManager(PoolManager pools, TargetSettings settings) {
        this.pools = pools;
        this.settings = settings;
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("tarn-target-timer"));
        this.workers = Executors.newCachedThreadPool(daemon("tarn-target-worker"));
        this.notifier = Executors.newSingleThreadExecutor(daemon("tarn-target-events"));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + (name.endsWith("worker") ? "-" + n.incrementAndGet() : ""));
            t.setDaemon(true);
            return t;
        };
    }

    public static TargetManager start(PoolManager pools, TargetSettings settings) {
        TargetManager m = new TargetManager(pools, settings);
        pools.addEventListener(m);
        pools.addExportHook(m);
        for (String pool : pools.pools()) {
            m.submit(pool, () -> m.mountPool(pool));
        }
        return m;
    }

    // ---- the engine's export hook --------------------------------------------

    /** A clean export or destroy of the pool begins: its targets unmount (syncing) first. */
    @Override
    public void beforeExport(Pool pool) {
        if (!closed) {
            unmountAll(pool.name());
        }
    }

    /** The export failed: the targets mount again (and recover, as after any mount). */
    @Override
    public void exportFailed(Pool pool, TarnException cause) {
        if (!closed) {
            mountAll(pool.name());
        }
    }

    /** Force-exported: the targets of that import of the pool fail at once. */
    @Override
    public void forceExported(String pool, long poolGuid, String reason) {
        PoolTargets pt = byPool.get(pool);
        if (pt != null && pt.guid() == poolGuid) {
            String why = "pool '" + pool + "' was force-exported: " + reason;
            pt.targets().values().forEach(t -> t.fail(why));
        }
    }

    // ---- pool events ------------------------------------------------------

    @Override
    public void onEvent(String pool, long poolGuid, PoolEvent event) {
        if (closed) {
            return;
        }
        switch (event.type()) {
            case "imported", "created" -> submit(pool, () -> mountPool(pool));
            case "force-exported" -> {
                String why = "pool '" + pool + "' was force-exported: " + event.detail();
                Runnable failThem = () -> {
                    PoolTargets pt = byPool.get(pool);
                    if (pt != null && pt.guid() == poolGuid) {
                        pt.targets().values().forEach(t -> t.fail(why));
                    }
                };
                // at once, never waiting; and again after a mount that may be running on the pool's queue
                failThem.run();
                submit(pool, failThem);
            }
            case "exported" -> submit(pool, () -> {
                PoolTargets pt = byPool.get(pool);
                if (pt != null && pt.guid() == poolGuid) {
                    pt.targets().values().forEach(t -> t.gone("pool '" + pool + "' was exported with the target "
                            + "still mounted"));
                    byPool.remove(pool, pt);
                }
            });
            default -> {
                // suspended, resumed, vdev-faulted, ...: the targets see it in their requests
            }
        }
    }

    /** Mounts every target of an imported pool that is not mounted. On the pool's queue. */
    private void mountPool(String name) {
        Optional<Pool> found = pools.pool(name);
        if (found.isEmpty() || found.get().state() == PoolState.EXPORTED || closed) {
            return;
        }
        Pool pool = found.get();
        PoolTargets pt = byPool.compute(name, (k, old) -> old != null && old.guid() == pool.guid() ? old
                : new PoolTargets(pool.guid(), new ConcurrentSkipListMap<>()));
        List<String> datasets;
        try {
            datasets = pool.datasets();
        } catch (RuntimeException e) {
            LOG.warn("pool '{}': cannot list its datasets to mount targets: {}", name, e.getMessage());
            return;
        }
        for (String ds : datasets) {
            if (!ds.startsWith(TargetSettings.DATASET_PREFIX)) {
                continue;
            }
            String target = ds.substring(TargetSettings.DATASET_PREFIX.length());
            TargetInstance t = pt.targets().get(target);
            if (t != null && (t.state() == TargetState.ACTIVE || t.state() == TargetState.RECOVERING
                    || t.state() == TargetState.UNMOUNTING)) {
                continue;
            }
            TargetInstance mounted = TargetInstance.mount(pool, target, settings, this::fire, timer, workers);
            pt.targets().put(target, mounted);
            mounted.announceMount();
        }
    }

    private void fire(TargetInstance target, String type, String detail) {
        if (notifier.isShutdown()) {
            return;
        }
        notifier.execute(() -> {
            for (TargetListener l : listeners) {
                try {
                    l.onTargetEvent(target, type, detail);
                } catch (RuntimeException e) {
                    LOG.warn("target listener failed on {} of {}", type, target, e);
                }
            }
        });
    }

    // ---- the service ------------------------------------------------------

    @Override
    public Target createTarget(String poolName, String name, TargetRole role) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "invalid target name '" + name + "': use letters, "
                    + "digits and _.- (up to " + TargetSettings.MAX_NAME_CHARS + " characters)");
        }
        if (role == null) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "a target needs a role: MDT or OST");
        }
        Pool pool = pools.pool(poolName).orElseThrow(() -> new TarnException(ErrorCode.POOL_NOT_FOUND,
                "no imported pool '" + poolName + "'; import it first"));
        if (pool.readOnly()) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + poolName + "' is imported read-only; "
                    + "targets cannot be created in it");
        }
        String ds = TargetInstance.datasetName(name);
        if (pool.datasets().contains(ds)) {
            throw new TarnException(ErrorCode.EXISTS, "target '" + name + "' already exists in pool '" + poolName
                    + "'");
        }
        pool.createDataset(ds);
        try {
            TargetInstance.format(pool, name, role);
        } catch (RuntimeException e) {
            try {
                pool.destroyDataset(ds);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        await(submit(poolName, () -> mountPool(poolName)));
        return target(poolName, name).orElseThrow(() -> new TarnException(ErrorCode.POOL_EXPORTED, "target '"
                + name + "' was created but pool '" + poolName + "' went away before it was mounted"));
    }

    @Override
    public List<Target> targets() {
        List<Target> out = new ArrayList<>();
        byPool.keySet().stream().sorted().forEach(p -> out.addAll(targets(p)));
        return out;
    }

    @Override
    public List<Target> targets(String pool) {
        PoolTargets pt = byPool.get(pool);
        return pt == null ? List.of() : List.copyOf(pt.targets().values());
    }

    @Override
    public Optional<Target> target(String pool, String name) {
        PoolTargets pt = byPool.get(pool);
        return pt == null ? Optional.empty() : Optional.ofNullable(pt.targets().get(name));
    }

    @Override
    public void unmountAll(String pool) {
        Optional<Pool> p = pools.pool(pool);
        if (p.isPresent() && p.get().state() == PoolState.SUSPENDED) {
            throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + pool + "' is suspended: its targets "
                    + "cannot sync; clear it once its devices work, or force-export it");
        }
        await(submit(pool, () -> {
            PoolTargets pt = byPool.get(pool);
            if (pt == null) {
                return;
            }
            for (TargetInstance t : pt.targets().values()) {
                t.unmount(() -> syncOrFail(t));
            }
            byPool.remove(pool, pt);
        }));
    }

    /**
     * Syncs the target's pool for an unmount, giving up with POOL_SUSPENDED
     * when the pool suspends meanwhile (a plain sync would wait for an
     * operator's clear); the abandoned sync ends with the clear or a force
     * export.
     */
    private void syncOrFail(TargetInstance t) {
        Pool pool = pools.pool(t.pool()).filter(p -> p.guid() == t.poolGuid()).orElse(null);
        if (pool == null || pool.readOnly()) {
            return;
        }
        CompletableFuture<Void> sync = CompletableFuture.runAsync(pool::sync, workers);
        while (true) {
            try {
                sync.get(SYNC_POLL_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                if (pool.state() == PoolState.SUSPENDED) {
                    throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + t.pool() + "' suspended while "
                            + "target '" + t.name() + "' was syncing for its unmount; clear it or force-export it");
                }
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TarnException(ErrorCode.BUSY, "interrupted while unmounting " + t);
            }
        }
    }

    @Override
    public void mountAll(String pool) {
        await(submit(pool, () -> mountPool(pool)));
    }

    @Override
    public void failAll(String pool, String reason) {
        PoolTargets pt = byPool.get(pool);
        if (pt != null) {
            pt.targets().values().forEach(t -> t.fail(reason));
        }
    }

    @Override
    public TargetSettings settings() {
        return settings;
    }

    @Override
    public void addListener(TargetListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(TargetListener listener) {
        listeners.remove(listener);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pools.removeEventListener(this);
        pools.removeExportHook(this);
        for (String pool : new ArrayList<>(byPool.keySet())) {
            try {
                CompletableFuture<Void> f = CompletableFuture.runAsync(() -> unmountAll(pool), workers);
                f.get(settings.unmountWaitMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failAll(pool, "the target service was interrupted while closing");
            } catch (ExecutionException | TimeoutException e) {
                String why = e instanceof TimeoutException ? "did not unmount within "
                        + settings.unmountWaitMillis() + " ms" : e.getCause().getMessage();
                LOG.warn("pool '{}': targets {}; marking them failed", pool, why);
                failAll(pool, "the target service closed: " + why);
            }
        }
        timer.shutdownNow();
        workers.shutdown();
        notifier.shutdown();
    }

    // ---- per-pool serial queues -------------------------------------------

    private synchronized CompletableFuture<Void> submit(String pool, Runnable task) {
        CompletableFuture<Void> prev = tails.getOrDefault(pool, CompletableFuture.completedFuture(null));
        CompletableFuture<Void> next = prev.exceptionally(e -> null).thenRunAsync(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.debug("pool '{}': target task failed: {}", pool, e.toString());
                throw e;
            }
        }, workers);
        tails.put(pool, next);
        return next;
    }

    private static void await(CompletableFuture<Void> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
