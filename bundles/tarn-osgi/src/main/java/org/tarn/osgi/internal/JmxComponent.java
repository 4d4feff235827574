package org.tarn.osgi.internal;

import java.lang.management.ManagementFactory;

import javax.management.MBeanServer;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.tarn.api.PoolManager;
import org.tarn.jmx.TargetMBeans;
import org.tarn.jmx.TarnMBeans;
import org.tarn.target.TargetService;

/**
 * Registers the Tarn MBeans in the platform MBeanServer while the
 * {@link PoolManager} and {@link TargetService} services are present, as the
 * standalone server does: {@link TarnMBeans} over the engine itself (its path
 * policy confines what JMX and Jolokia callers may name; its export hooks
 * unmount targets first) and {@link TargetMBeans} ({@code
 * tarn:type=TargetManager} and one MBean per target).
 *
 * <p>Static references: a new engine (configuration change, new search paths)
 * re-registers the MBeans. Immediate: it provides no service, so nothing else
 * would ever activate it.
 */
@Component(service = {}, immediate = true)
public final class JmxComponent {
    private final TarnMBeans mbeans;
    private final TargetMBeans targetMBeans;

    @Activate
    public JmxComponent(@Reference PoolManager engine, @Reference TargetService targets) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        this.mbeans = TarnMBeans.register(engine, server);
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
