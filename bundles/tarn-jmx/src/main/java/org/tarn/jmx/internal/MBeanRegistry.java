package org.tarn.jmx.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

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
 * imported (created or imported: registered; exported or force-exported:
 * unregistered). Engine events and the JMX operations both reconcile one pool
 * name against the engine, so the order they arrive in does not matter.
 */
public final class MBeanRegistry implements PoolEventListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MBeanRegistry.class);

    private final PoolManager engine;
    private final MBeanServer server;
    private final ExecutorService notifier;
    private final PoolManagerControl manager;
    /** Registered pool MBeans: name to the GUID of the pool they show. Guarded by this. */
    private final Map<String, Long> pools = new HashMap<>();
    private boolean open;

    private MBeanRegistry(PoolManager engine, MBeanServer server) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.server = Objects.requireNonNull(server, "server");
        this.notifier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tarn-jmx-notifications");
            t.setDaemon(true);
            return t;
        });
        this.manager = new PoolManagerControl(engine, notifier, this::refresh);
    }

    /**
     * Registers the PoolManager MBean and a Pool MBean per imported pool.
     *
     * @throws IllegalStateException when the manager name is taken in that server
     */
    public static MBeanRegistry start(PoolManager engine, MBeanServer server) {
        MBeanRegistry r = new MBeanRegistry(engine, server);
        try {
            synchronized (r) {
                server.registerMBean(new DescribedEmitterMBean(r.manager, PoolManagerMXBean.class, r.manager),
                        ObjectNames.poolManager());
                r.open = true;
            }
        } catch (JMException e) {
            r.notifier.shutdownNow();
            throw new IllegalStateException("cannot register " + ObjectNames.poolManager() + ": " + e, e);
        }
        engine.addEventListener(r);
        for (String name : engine.pools()) {
            r.refresh(name);
        }
        return r;
    }

    @Override
    public void onEvent(String pool, long poolGuid, PoolEvent event) {
        try {
            manager.emit(pool, poolGuid, event);
        } catch (RuntimeException e) {
            LOG.warn("cannot send the notification of {} on pool '{}'", event.type(), pool, e);
        }
        refresh(pool);
    }

    /** Makes the Pool MBean of that name match the engine: present with the current pool, or absent. */
    synchronized void refresh(String name) {
        if (!open || name == null) {
            return;
        }
        Optional<Pool> pool = engine.pool(name).filter(p -> p.state() != PoolState.EXPORTED);
        Long shown = pools.get(name);
        if (pool.isPresent() && shown != null && shown == pool.get().guid()) {
            return;
        }
        if (shown != null) {
            unregister(name);
        }
        if (pool.isPresent()) {
            ObjectName on = ObjectNames.pool(name);
            try {
                server.registerMBean(new DescribedMBean(new PoolControl(engine, pool.get(), this::refresh),
                        PoolMXBean.class), on);
                pools.put(name, pool.get().guid());
            } catch (JMException e) {
                LOG.warn("cannot register {}: {}", on, e.toString());
            }
        }
    }

    private void unregister(String name) {
        pools.remove(name);
        unregister(ObjectNames.pool(name));
    }

    private void unregister(ObjectName on) {
        Unregister.quietly(server, on);
    }

    /** Unregisters every MBean of this engine and stops sending notifications. */
    @Override
    public void close() {
        engine.removeEventListener(this);
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
            for (String name : new ArrayList<>(pools.keySet())) {
                unregister(name);
            }
            unregister(ObjectNames.poolManager());
        }
        notifier.shutdown();
    }

    /** Names of the pools whose MBeans are registered, for tests and diagnostics. */
    public synchronized List<String> registeredPools() {
        return List.copyOf(pools.keySet());
    }
}
