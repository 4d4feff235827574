package org.tarn.osgi.internal;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import javax.management.MBeanServer;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.tarn.api.PoolManager;
import org.tarn.jmx.ConfinedPoolManager;
import org.tarn.jmx.TargetMBeans;
import org.tarn.jmx.TarnMBeans;
import org.tarn.target.TargetAwarePoolManager;
import org.tarn.target.TargetService;

/**
 * Registers the Tarn MBeans in the platform MBeanServer while the
 * {@link PoolManager} and {@link TargetService} services are present, over
 * the engine as management must see it, as the standalone server does:
 * <ul>
 * <li>{@link ConfinedPoolManager}: every device and directory a JMX or
 * Jolokia caller names must lie under the engine's search paths (an engine
 * with none refuses every path), so a caller cannot read or overwrite
 * arbitrary files;</li>
 * <li>{@link TargetAwarePoolManager}: a clean export unmounts the pool's
 * targets first, a force export marks them failed;</li>
 * <li>{@link TargetMBeans}: {@code tarn:type=TargetManager} and one MBean
 * per target.</li>
 * </ul>
 * Static references: a new engine (configuration change, new search paths)
 * re-registers the MBeans. Immediate: it provides no service, so nothing
 * else would ever activate it.
 */
@Component(service = {}, immediate = true)
public final class JmxComponent {
    private final TarnMBeans mbeans;
    private final TargetMBeans targetMBeans;

    @Activate
    public JmxComponent(@Reference PoolManager engine, @Reference TargetService targets) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        List<Path> roots = engine.searchPaths().stream().map(p -> Path.of(p).toAbsolutePath().normalize())
                .toList();
        PoolManager managed = new TargetAwarePoolManager(new ConfinedPoolManager(engine, roots,
                "add their directory to the engine's search paths (searchPaths of configuration "
                        + EngineComponent.PID + "; search.paths of the standalone server)"), targets);
        this.mbeans = TarnMBeans.register(managed, server);
        try {
            this.targetMBeans = TargetMBeans.register(targets, server);
        } catch (RuntimeException e) {
            mbeans.close();
            throw e;
        }
    }

    @Deactivate
    void deactivate() {
        targetMBeans.close();
        mbeans.close();
    }
}
