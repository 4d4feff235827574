package org.tarn.jmx.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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
 * Target events and the create operation reconcile one target against the
 * service, so the order they arrive in does not matter.
 */
public final class TargetRegistry implements TargetListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TargetRegistry.class);

    private final TargetService targets;
    private final MBeanServer server;
    /** Registered target MBeans: ObjectName to the mount they show. Guarded by this. */
    private final Map<ObjectName, Target> shown = new HashMap<>();
    private boolean open;

    private TargetRegistry(TargetService targets, MBeanServer server) {
        this.targets = Objects.requireNonNull(targets, "targets");
        this.server = Objects.requireNonNull(server, "server");
    }

    public static TargetRegistry start(TargetService targets, MBeanServer server) {
        TargetRegistry r = new TargetRegistry(targets, server);
        synchronized (r) {
            try {
                server.registerMBean(new DescribedMBean(new TargetManagerControl(targets, r::refresh),
                        TargetManagerMXBean.class), ObjectNames.targetManager());
            } catch (JMException e) {
                throw new IllegalStateException("cannot register " + ObjectNames.targetManager() + ": " + e, e);
            }
            r.open = true;
        }
        targets.addListener(r);
        for (Target t : targets.targets()) {
            r.refresh(t.pool(), t.name());
        }
        return r;
    }

    @Override
    public void onTargetEvent(Target target, String type, String detail) {
        refresh(target.pool(), target.name());
    }

    /** Makes the MBean of that target match the service: present with the current mount, or absent. */
    synchronized void refresh(String pool, String name) {
        if (!open) {
            return;
        }
        ObjectName on = ObjectNames.target(pool, name);
        Optional<Target> current = targets.target(pool, name)
                .filter(t -> t.state() == TargetState.ACTIVE || t.state() == TargetState.RECOVERING);
        Target was = shown.get(on);
        if (current.isPresent() && was == current.get()) {
            return;
        }
        if (was != null) {
            unregister(on);
        }
        if (current.isPresent()) {
            try {
                server.registerMBean(new DescribedMBean(new TargetControl(current.get()), TargetMXBean.class), on);
                shown.put(on, current.get());
            } catch (JMException e) {
                LOG.warn("cannot register {}: {}", on, e.toString());
            }
        }
    }

    private void unregister(ObjectName on) {
        shown.remove(on);
        Unregister.quietly(server, on);
    }

    /** Targets whose MBeans are registered, as pool/name. */
    public synchronized List<String> registered() {
        List<String> out = new ArrayList<>();
        shown.values().forEach(t -> out.add(t.pool() + "/" + t.name()));
        out.sort(null);
        return out;
    }

    @Override
    public void close() {
        targets.removeListener(this);
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
            for (ObjectName on : new ArrayList<>(shown.keySet())) {
                unregister(on);
            }
            Unregister.quietly(server, ObjectNames.targetManager());
        }
    }
}
