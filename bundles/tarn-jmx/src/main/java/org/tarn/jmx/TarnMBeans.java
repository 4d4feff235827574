package org.tarn.jmx;

import java.util.List;

import javax.management.MBeanServer;
import javax.management.StandardMBean;

import org.tarn.api.PoolManager;
import org.tarn.jmx.internal.DescribedMBean;
import org.tarn.jmx.internal.MBeanRegistry;

/**
 * The MBeans of one engine in one MBeanServer: {@code tarn:type=PoolManager}
 * and one {@code tarn:type=Pool,name=...} per imported pool, kept in step with
 * the engine's events until {@link #close()}. The caller chooses the server
 * (the platform one, or a private one in tests); nothing here looks it up.
 *
 * <pre>
 * try (TarnMBeans mbeans = TarnMBeans.register(engine, ManagementFactory.getPlatformMBeanServer())) {
 *     ...
 * }
 * </pre>
 */
public final class TarnMBeans implements AutoCloseable {
    private final MBeanRegistry registry;

    private TarnMBeans(MBeanRegistry registry) {
        this.registry = registry;
    }

    /**
     * Registers the MBeans of an engine.
     *
     * @throws IllegalStateException when {@code tarn:type=PoolManager} is already registered in that server
     */
    public static TarnMBeans register(PoolManager engine, MBeanServer server) {
        return new TarnMBeans(MBeanRegistry.start(engine, server));
    }

    /**
     * A standard MBean whose metadata (descriptions, impacts, parameter
     * names) comes from the {@link Description}, {@link Operation} and
     * {@link Parameter} annotations on its interface, for Tarn MBeans
     * registered outside this bundle (the agent's, say).
     */
    public static <T> StandardMBean described(T implementation, Class<T> mbeanInterface) {
        return DescribedMBean.of(implementation, mbeanInterface);
    }

    /** Names of the pools whose MBeans are registered now. */
    public List<String> registeredPools() {
        return registry.registeredPools();
    }

    /** Unregisters every MBean registered here and stops notifications; idempotent. */
    @Override
    public void close() {
        registry.close();
    }
}
