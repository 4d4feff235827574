package org.tarn.osgi.internal;

import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.tarn.api.PoolManager;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;

/**
 * Runs the storage targets of the engine's pools and publishes them as the
 * {@link TargetService} service: {@link Targets#start} over the
 * {@link PoolManager} service, with the {@link TargetSettings} of ConfigAdmin
 * PID {@value #PID} (defaults without one). The target service registers
 * itself as the engine's export hook, so every clean export unmounts a
 * pool's targets first and a force export fails them.
 *
 * <p>Lifecycle: a static reference, so a new engine (bundle restart,
 * configuration change) gets a new target service. When the engine leaves,
 * DS deactivates this component before the engine's own deactivation
 * exports the pools, so every target is unmounted (synced) first. Only this
 * component closes the service. Immediate, so the targets of the cached
 * pools mount when the engine starts, not when someone first asks.
 */
@Component(service = {}, immediate = true, configurationPid = TargetsComponent.PID)
@Designate(ocd = TargetsConfig.class)
public final class TargetsComponent {
    /** Configuration PID of the targets. */
    public static final String PID = "org.tarn.target";

    private final TargetService targets;
    private final ServiceRegistration<TargetService> registration;

    @Activate
    public TargetsComponent(@Reference PoolManager engine, TargetsConfig config, BundleContext context) {
        this.targets = Targets.start(engine, new TargetSettings(config.recoveryWindowMillis(),
                config.unmountWaitMillis()));
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_DESCRIPTION, "Tarn storage targets");
        this.registration = context.registerService(TargetService.class, targets, props);
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregistered it while stopping this bundle
        }
        targets.close();
    }
}
