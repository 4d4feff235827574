package org.tarn.jmx.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

import javax.management.NotificationBroadcasterSupport;
import javax.management.openmbean.TabularData;

import org.tarn.jmx.ObjectNames;
import org.tarn.jmx.TargetManagerMXBean;
import org.tarn.target.Target;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetService;

/** The TargetManager MBean; it sends the notifications of every target's events (on the registry's worker). */
final class TargetManagerControl extends NotificationBroadcasterSupport implements TargetManagerMXBean {
    private final TargetService targets;
    private final AtomicLong sequence;
    private final BiConsumer<String, String> refresh;

    TargetManagerControl(TargetService targets, AtomicLong sequence, BiConsumer<String, String> refresh) {
        super(TargetControl.notificationInfo("of any target"));
        this.targets = targets;
        this.sequence = sequence;
        this.refresh = refresh;
    }

    void emit(Target target, String type, String detail) {
        sendNotification(TargetControl.notification(ObjectNames.targetManager(), sequence.incrementAndGet(), target,
                type, detail));
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
