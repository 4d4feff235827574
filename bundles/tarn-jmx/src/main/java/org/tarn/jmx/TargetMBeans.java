package org.tarn.jmx;

import java.util.List;

import javax.management.MBeanServer;

import org.tarn.jmx.internal.TargetRegistry;
import org.tarn.target.TargetService;

/**
 * The target MBeans of one target service in one MBeanServer:
 * {@code tarn:type=TargetManager} and one
 * {@code tarn:type=Target,pool=...,name=...} per mounted target, kept in step
 * with the service's events until {@link #close()}.
 */
public final class TargetMBeans implements AutoCloseable {
    private final TargetRegistry registry;

    private TargetMBeans(TargetRegistry registry) {
        this.registry = registry;
    }

    /**
     * Registers the MBeans of a target service.
     *
     * @throws IllegalStateException when {@code tarn:type=TargetManager} is already registered in that server
     */
    public static TargetMBeans register(TargetService targets, MBeanServer server) {
        return new TargetMBeans(TargetRegistry.start(targets, server));
    }

    /** The targets whose MBeans are registered now, as {@code pool/name}. */
    public List<String> registeredTargets() {
        return registry.registered();
    }

    /** Unregisters every MBean registered here; idempotent. */
    @Override
    public void close() {
        registry.close();
    }
}
