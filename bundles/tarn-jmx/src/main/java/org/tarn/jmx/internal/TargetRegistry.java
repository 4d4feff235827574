package org.tarn.jmx.internal;

import java.util.ArrayList;
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
import org.tarn.jmx.ObjectNames;
import org.tarn.jmx.TargetMXBean;
import org.tarn.jmx.TargetManagerMXBean;
import org.tarn.target.Target;
import org.tarn.target.TargetListener;
import org.tarn.target.TargetService;
import org.tarn.target.TargetState;

/**
 * Registers the target MBeans of one target service in one MBeanServer: a
 * Target MBean exists while its target is mounted (RECOVERING or ACTIVE).
 * As in {@link MBeanRegistry}, one worker thread
 * ({@code tarn-jmx-target-notifications}) sends the notifications and
 * (un)registers the Target MBeans, so a mount's last event ({@code unmounted},
 * {@code failed}) reaches its MBean's listeners before the MBean goes. Target
 * events and the create operation reconcile one target against the service,
 * so the order they arrive in does not matter.
 */
public final class TargetRegistry implements TargetListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TargetRegistry.class);
    private static final long RECONCILE_WAIT_MILLIS = 10_000;
    static final String WORKER_THREAD = "tarn-jmx-target-notifications";

    private final TargetService targets;
    private final MBeanServer server;
    private final ExecutorService worker;
    private final AtomicLong sequence = new AtomicLong();
    private final TargetManagerControl manager;
    /** Registered target MBeans: ObjectName to the MBean of the mount they show; changed on the worker only. */
    private final Map<ObjectName, TargetControl> shown = new ConcurrentHashMap<>();
    private volatile boolean open;

    private TargetRegistry(TargetService targets, MBeanServer server) {
        this.targets = Objects.requireNonNull(targets, "targets");
        this.server = Objects.requireNonNull(server, "server");
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, WORKER_THREAD);
            t.setDaemon(true);
            return t;
        });
        this.manager = new TargetManagerControl(targets, sequence, this::refresh);
    }

    public static TargetRegistry start(TargetService targets, MBeanServer server) {
        TargetRegistry r = new TargetRegistry(targets, server);
        try {
            server.registerMBean(new DescribedEmitterMBean(r.manager, TargetManagerMXBean.class, r.manager),
                    ObjectNames.targetManager());
        } catch (JMException e) {
            r.worker.shutdownNow();
            throw new IllegalStateException("cannot register " + ObjectNames.targetManager() + ": " + e, e);
        }
        r.open = true;
        // as MBeanRegistry.start: the targets there now on the caller's thread, which may hold locks of the
        // target service, so it never waits for the worker; then a pass on the worker
        for (Target t : targets.targets()) {
            r.reconcile(t.pool(), t.name(), false);
        }
        targets.addListener(r);
        for (Target t : targets.targets()) {
            r.submit(() -> r.reconcile(t.pool(), t.name(), false));
        }
        return r;
    }

    @Override
    public void onTargetEvent(Target target, String type, String detail) {
        submit(() -> {
            try {
                manager.emit(target, type, detail);
                TargetControl mbean = shown.get(ObjectNames.target(target.pool(), target.name()));
                if (mbean != null && mbean.target() == target) {
                    mbean.emit(type, detail);
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot send the notification of {} on target '{}/{}'", type, target.pool(), target.name(),
                        e);
            }
            reconcile(target.pool(), target.name(), type.equals("unmounted") || type.equals("failed"));
        });
    }

    /** Makes the MBean of that target match the service, on the worker; waits for it unless called there. */
    void refresh(String pool, String name) {
        if (!open) {
            return;
        }
        if (Thread.currentThread().getName().equals(WORKER_THREAD)) {
            reconcile(pool, name, false);
            return;
        }
        Future<?> done = submit(() -> reconcile(pool, name, false));
        if (done == null) {
            return;
        }
        try {
            done.get(RECONCILE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("reconciling the MBean of target '{}/{}' failed", pool, name, e.getCause());
        } catch (TimeoutException e) {
            LOG.warn("the MBean of target '{}/{}' is not reconciled after {} ms: a notification listener is slow",
                    pool, name, RECONCILE_WAIT_MILLIS);
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

    /**
     * Makes the MBean of a target match the service.
     *
     * @param endDelivered whether the mount's last event (unmounted, failed) has just been sent through its MBean:
     *                     until then an ended mount keeps its MBean, so its listeners get that event
     */
    private void reconcile(String pool, String name, boolean endDelivered) {
        if (!open) {
            return;
        }
        ObjectName on = ObjectNames.target(pool, name);
        Optional<Target> known = targets.target(pool, name);
        Optional<Target> current = known
                .filter(t -> t.state() == TargetState.ACTIVE || t.state() == TargetState.RECOVERING);
        TargetControl was = shown.get(on);
        if (current.isPresent() && was != null && was.target() == current.get()) {
            return;
        }
        if (current.isEmpty() && was != null && !endDelivered
                && (known.isEmpty() || known.get() == was.target())) {
            return; // the same mount ended: its own last event removes the MBean
        }
        if (was != null) {
            shown.remove(on);
            Unregister.quietly(server, on);
        }
        if (current.isPresent()) {
            TargetControl control = new TargetControl(current.get(), sequence);
            try {
                server.registerMBean(new DescribedEmitterMBean(control, TargetMXBean.class, control), on);
                shown.put(on, control);
            } catch (JMException e) {
                LOG.warn("cannot register {}: {}", on, e.toString());
            }
        }
    }

    /** Targets whose MBeans are registered, as pool/name. */
    public List<String> registered() {
        List<String> out = new ArrayList<>();
        shown.values().forEach(c -> out.add(c.target().pool() + "/" + c.target().name()));
        out.sort(null);
        return out;
    }

    @Override
    public void close() {
        targets.removeListener(this);
        if (!open) {
            return;
        }
        Future<?> done = submit(() -> {
            open = false;
            for (ObjectName on : List.copyOf(shown.keySet())) {
                shown.remove(on);
                Unregister.quietly(server, on);
            }
            Unregister.quietly(server, ObjectNames.targetManager());
        });
        worker.shutdown();
        try {
            if (done != null) {
                done.get(RECONCILE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("unregistering the target MBeans did not finish: {}", e.toString());
        } finally {
            if (open) {
                open = false;
                shown.keySet().forEach(on -> Unregister.quietly(server, on));
                shown.clear();
                Unregister.quietly(server, ObjectNames.targetManager());
            }
        }
    }
}
