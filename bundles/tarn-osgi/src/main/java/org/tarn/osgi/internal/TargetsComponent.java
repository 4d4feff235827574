package org.tarn.osgi.internal;

import java.util.List;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.tarn.api.ErrorCode;
import org.tarn.api.PoolManager;
import org.tarn.api.TarnException;
import org.tarn.target.Target;
import org.tarn.target.TargetListener;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;

/**
 * The storage targets of the engine's pools, as a {@link TargetService}
 * service: {@link Targets#start} over the {@link PoolManager} service, with
 * the {@link TargetSettings} of ConfigAdmin PID {@value #PID} (defaults
 * without one).
 *
 * <p>Lifecycle: a static reference, so a new engine (bundle restart,
 * configuration change) gets a new target service. When the engine leaves,
 * DS deactivates this component before the engine's own deactivation
 * exports the pools, so every target is unmounted (synced) first, as
 * {@link org.tarn.target.TargetAwarePoolManager} does for a single export.
 * Immediate, so the targets of the cached pools mount when the engine
 * starts, not when someone first asks.
 */
@Component(service = TargetService.class, immediate = true, configurationPid = TargetsComponent.PID,
        property = "service.description=Tarn storage targets")
@Designate(ocd = TargetsConfig.class)
public final class TargetsComponent implements TargetService {
    /** Configuration PID of the targets. */
    public static final String PID = "org.tarn.target";

    private final TargetService targets;

    @Activate
    public TargetsComponent(@Reference PoolManager engine, TargetsConfig config) {
        this.targets = Targets.start(engine, new TargetSettings(config.recoveryWindowMillis(),
                config.unmountWaitMillis()));
    }

    @Deactivate
    void deactivate() {
        targets.close();
    }

    @Override
    public Target createTarget(String pool, String name, TargetRole role) {
        return targets.createTarget(pool, name, role);
    }

    @Override
    public List<Target> targets() {
        return targets.targets();
    }

    @Override
    public List<Target> targets(String pool) {
        return targets.targets(pool);
    }

    @Override
    public Optional<Target> target(String pool, String name) {
        return targets.target(pool, name);
    }

    @Override
    public void unmountAll(String pool) {
        targets.unmountAll(pool);
    }

    @Override
    public void mountAll(String pool) {
        targets.mountAll(pool);
    }

    @Override
    public void failAll(String pool, String reason) {
        targets.failAll(pool, reason);
    }

    @Override
    public TargetSettings settings() {
        return targets.settings();
    }

    @Override
    public void addListener(TargetListener listener) {
        targets.addListener(listener);
    }

    @Override
    public void removeListener(TargetListener listener) {
        targets.removeListener(listener);
    }

    /** Refused: the target service belongs to its component, like the engine service. */
    @Override
    public void close() {
        throw new TarnException(ErrorCode.INVALID_ARGUMENT, "the Tarn target service cannot be closed by a "
                + "caller; stop bundle org.tarn.osgi (every target is unmounted, every pool exported)");
    }
}
