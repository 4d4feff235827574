package org.tarn.osgi.internal;

import java.lang.management.ManagementFactory;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.tarn.api.PoolManager;
import org.tarn.jmx.TarnMBeans;

/**
 * Registers the Tarn MBeans of the {@link PoolManager} service in the
 * platform MBeanServer while that service is present. Immediate: it provides
 * no service, so nothing else would ever activate it.
 */
@Component(service = {}, immediate = true)
public final class JmxComponent {
    private final TarnMBeans mbeans;

    @Activate
    public JmxComponent(@Reference PoolManager engine) {
        this.mbeans = TarnMBeans.register(engine, ManagementFactory.getPlatformMBeanServer());
    }

    @Deactivate
    void deactivate() {
        mbeans.close();
    }
}
