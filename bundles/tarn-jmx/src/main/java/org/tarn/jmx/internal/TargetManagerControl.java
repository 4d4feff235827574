package org.tarn.jmx.internal;

import java.util.function.BiConsumer;

import javax.management.openmbean.TabularData;

import org.tarn.jmx.TargetManagerMXBean;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetService;

/** The TargetManager MBean. */
final class TargetManagerControl implements TargetManagerMXBean {
    private final TargetService targets;
    private final BiConsumer<String, String> refresh;

    TargetManagerControl(TargetService targets, BiConsumer<String, String> refresh) {
        this.targets = targets;
        this.refresh = refresh;
    }

    @Override
    public TabularData getTargets() {
        return Errors.call(() -> TargetCodec.targets(targets.targets()));
    }

    @Override
    public long getRecoveryWindowMillis() {
        return targets.settings().recoveryWindowMillis();
    }

    @Override
    public void createTarget(String pool, String name, String role) {
        Errors.run(() -> targets.createTarget(pool, name, TargetRole.parse(role)));
        refresh.accept(pool, name);
    }
}
