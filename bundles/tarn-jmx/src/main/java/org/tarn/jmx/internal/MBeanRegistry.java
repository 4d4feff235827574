package org.tarn.jmx.internal;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolEventListener;
import org.tarn.api.PoolManager;
import org.tarn.api.PoolState;
import org.tarn.jmx.ObjectNames;
import org.tarn.jmx.PoolManagerMXBean;
import org.tarn.jmx.PoolMXBean;

/**
 * Registers the MBeans of one engine in one MBeanServer and keeps the Pool
 * MBeans in step with the engine: a pool's MBean exists while the pool is
 * imported (created or imported: registered; exported, destroyed or
 * force-exported: unregistered).
 *
 * <p>One worker thread ({@code tarn-jmx-notifications}) does everything that
 * must happen in order: it sends every notification (listeners are called on
 * it, never on a caller's or an engine thread) and it registers and
 * unregisters the Pool MBeans. A pool's last events ({@code exporting},
 * {@code exported}, ...) are therefore delivered to the Pool MBean's
 * listeners before that MBean goes away, whichever comes first: the engine's
 * event or the JMX operation that exported the pool. Engine events and JMX
 * operations both reconcile one pool name against the engine, so their order
 * does not matter; an operation waits (bounded) for its reconciliation, so
 * the MBean is gone when {@code export} returns.
 */
public final class MBeanRegistry implements PoolEventListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MBeanRegistry.class);
    /** How long an operation waits for the worker to reconcile its pool's MBean. */
    private static final long RECONCILE_WAIT_MILLIS = 10_000;
    static final String WORKER_THREAD = "tarn-jmx-notifications";

    private final PoolManager engine;
    private final MBeanServer server;
    private final ExecutorService worker;
    private final AtomicLong sequence = new AtomicLong();
    private final PoolCallLimiter limiter = new PoolCallLimiter();
    private final PoolManagerControl manager;
    /** Registered pool MBeans by pool name; changed on the worker only. */
    private final Map<String, PoolControl> pools = new ConcurrentHashMap<>();
    private volatile boolean open;

    private MBeanRegistry(PoolManager engine, MBeanServer server) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.server = Objects.requireNonNull(server, "server");
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, WORKER_THREAD);
            t.setDaemon(true);
            return t;
        });
        this.manager = new PoolManagerControl(engine, sequence, this::refresh, limiter);
    }

    /**
     * Registers the PoolManager MBean and a Pool MBean per imported pool.
     *
     * @throws IllegalStateException when the manager name is taken in that server
     */
    public static MBeanRegistry start(PoolManager engine, MBeanServer server) {
        MBeanRegistry r = new MBeanRegistry(engine, server);
        try {
            server.registerMBean(new DescribedEmitterMBean(r.manager, PoolManagerMXBean.class, r.manager),
                    ObjectNames.poolManager());
            r.open = true;
        } catch (JMException e) {
            r.worker.shutdownNow();
            throw new IllegalStateException("cannot register " + ObjectNames.poolManager() + ": " + e, e);
        }
        // the pools there now, on the caller's thread: the caller may hold locks the worker would need (an
        // engine being activated in OSGi), so it never waits for the worker here; then a pass on the worker
        // catches what changed before the listener was added
        for (String name : engine.pools()) {
            r.reconcile(name);
        }
        engine.addEventListener(r);
        for (String name : engine.pools()) {
            r.submit(() -> r.reconcile(name));
        }
        return r;
    }

    @Override
    public void onEvent(String pool, long poolGuid, PoolEvent event) {
        submit(() -> {
            try {
                manager.emit(pool, poolGuid, event);
                PoolControl shown = pools.get(pool);
                if (shown != null) {
                    shown.emitIfOwn(event);
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot send the notification of {} on pool '{}'", event.type(), pool, e);
            }
            reconcile(pool);
        });
    }

    /**
     * Makes the Pool MBean of that name match the engine (present with the
     * current pool, or absent), on the worker; waits for it unless called
     * there.
     */
    void refresh(String name) {
        if (name == null || !open) {
            return;
        }
        if (Thread.currentThread().getName().equals(WORKER_THREAD)) {
            reconcile(name);
            return;
        }
        Future<?> done = submit(() -> reconcile(name));
        if (done == null) {
            return;
        }
        try {
            done.get(RECONCILE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("reconciling the MBean of pool '{}' failed", name, e.getCause());
        } catch (TimeoutException e) {
            LOG.warn("the MBean of pool '{}' is not reconciled after {} ms: a notification listener is slow; it "
                    + "will be", name, RECONCILE_WAIT_MILLIS);
        }
    }

    private Future<?> submit(Runnable task) {
        if (!open) {
            return null;
        }
        try {
            return worker.submit(task);
        } catch (RejectedExecutionException closed) {
            return null;
        }
    }

    /** On the worker: registers, replaces or unregisters the Pool MBean of {@code name}. */
    private void reconcile(String name) {
        if (!open) {
            return;
        }
        Optional<Pool> pool = engine.pool(name).filter(p -> p.state() != PoolState.EXPORTED);
        PoolControl shown = pools.get(name);
        if (pool.isPresent() && shown != null && shown.shows(pool.get())) {
            return;
        }
        if (shown != null) {
            // the pool's last events reach the MBean's listeners before it goes
            shown.emitPending();
            pools.remove(name);
            Unregister.quietly(server, ObjectNames.pool(name));
        }
        if (pool.isPresent()) {
            ObjectName on = ObjectNames.pool(name);
            PoolControl control = new PoolControl(engine, pool.get(), sequence, this::refresh, limiter);
            try {
                server.registerMBean(new DescribedEmitterMBean(control, PoolMXBean.class, control), on);
                pools.put(name, control);
            } catch (JMException e) {
                LOG.warn("cannot register {}: {}", on, e.toString());
            }
        }
    }

    /** Unregisters every MBean of this engine and stops sending notifications. */
    @Override
    public void close() {
        engine.removeEventListener(this);
        if (!open) {
            return;
        }
        Future<?> done = submit(() -> {
            open = false;
            for (String name : List.copyOf(pools.keySet())) {
                pools.remove(name);
                Unregister.quietly(server, ObjectNames.pool(name));
            }
            Unregister.quietly(server, ObjectNames.poolManager());
        });
        worker.shutdown();
        try {
            if (done != null) {
                done.get(RECONCILE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("unregistering the Tarn MBeans did not finish: {}", e.toString());
        } finally {
            if (open) {
                // the worker is stuck in a listener: unregister from here
                open = false;
                pools.keySet().forEach(n -> Unregister.quietly(server, ObjectNames.pool(n)));
                pools.clear();
                Unregister.quietly(server, ObjectNames.poolManager());
            }
        }
    }

    /** Names of the pools whose MBeans are registered, for tests and diagnostics. */
    public List<String> registeredPools() {
        return pools.keySet().stream().sorted().toList();
    }
}
