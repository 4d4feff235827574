package org.tarn.jmx.internal;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.MBeanNotificationInfo;
import javax.management.Notification;
import javax.management.NotificationBroadcasterSupport;
import javax.management.ObjectName;

import org.tarn.jmx.ObjectNames;
import org.tarn.jmx.TargetMXBean;
import org.tarn.jmx.TarnNotifications;
import org.tarn.target.RecoveryStatus;
import org.tarn.target.Target;

/**
 * The Target MBean of one mount of a target; it sends the notifications of
 * that mount's events (on the target registry's worker).
 */
final class TargetControl extends NotificationBroadcasterSupport implements TargetMXBean {
    private final Target target;
    private final AtomicLong sequence;

    TargetControl(Target target, AtomicLong sequence) {
        super(notificationInfo("of this target"));
        this.target = target;
        this.sequence = sequence;
    }

    /** The target notification types, as the Target and TargetManager MBeans declare them. */
    static MBeanNotificationInfo[] notificationInfo(String whose) {
        String[] types = TarnNotifications.allTargets();
        String[] what = {"the target was mounted (recovering when it has clients on record)",
            "the recovery window ended", "a client was evicted", "the target was unmounted (its pool exported)",
            "the target failed (its pool force-exported or its dataset unusable)"};
        MBeanNotificationInfo[] out = new MBeanNotificationInfo[types.length];
        for (int i = 0; i < types.length; i++) {
            out[i] = new MBeanNotificationInfo(new String[] {types[i]}, Notification.class.getName(),
                    "Target event " + whose + ": " + what[i] + "; user data: CompositeData with pool, target, "
                    + "type, detail and time (ISO-8601)");
        }
        return out;
    }

    /** The notification of a target event, from {@code source}. */
    static Notification notification(ObjectName source, long sequence, Target target, String type, String detail) {
        Instant now = Instant.now();
        Notification n = new Notification(TarnNotifications.targetTypeOf(type), source, sequence, now.toEpochMilli(),
                "target '" + target.pool() + "/" + target.name() + "': " + type
                        + (detail == null || detail.isEmpty() ? "" : " " + detail));
        n.setUserData(OpenTypeCodec.targetEvent(target.pool(), target.name(), type, detail, now));
        return n;
    }

    /** Sends the notification of an event of this mount. */
    void emit(String type, String detail) {
        sendNotification(notification(ObjectNames.target(target.pool(), target.name()), sequence.incrementAndGet(),
                target, type, detail));
    }

    Target target() {
        return target;
    }

    @Override
    public String getPool() {
        return target.pool();
    }

    @Override
    public String getName() {
        return target.name();
    }

    @Override
    public String getRole() {
        return target.role().name();
    }

    @Override
    public String getState() {
        return target.state().name();
    }

    @Override
    public String getFailure() {
        return target.failure().orElse("");
    }

    @Override
    public long getLastTransno() {
        return target.lastTransno();
    }

    @Override
    public long getLastCommitted() {
        return target.lastCommitted();
    }

    @Override
    public String[] getClients() {
        return target.clients().toArray(String[]::new);
    }

    @Override
    public String getRecoveryStatus() {
        return target.recovery().phase().name();
    }

    @Override
    public int getRecoveryKnownClients() {
        return target.recovery().knownClients();
    }

    @Override
    public int getRecoveryConnectedClients() {
        return target.recovery().connectedClients();
    }

    @Override
    public int getRecoveryCompletedClients() {
        return target.recovery().completedClients();
    }

    @Override
    public int getRecoveryEvictedClients() {
        return target.recovery().evictedClients();
    }

    @Override
    public long getRecoveryReplayedRequests() {
        return target.recovery().replayedRequests();
    }

    @Override
    public long getRecoveryReconstructedReplies() {
        return target.recovery().reconstructedReplies();
    }

    @Override
    public long getRecoveryRemainingMillis() {
        return target.recovery().remainingMillis();
    }

    @Override
    public long getRecoveryWindowMillis() {
        return target.recovery().windowMillis();
    }

    @Override
    public String getRecoveryEndReason() {
        return target.recovery().endReason();
    }

    @Override
    public String abortRecovery() {
        return Errors.call(target::abortRecovery);
    }

    @Override
    public void evictClient(String clientId) {
        Errors.run(() -> target.evict(clientId));
    }

    @Override
    public String status() {
        return Errors.call(() -> TargetCodec.statusText(target));
    }

    static String recoveryLine(RecoveryStatus r) {
        return switch (r.phase()) {
            case NONE -> "none needed";
            case RECOVERING -> r.completedClients() + "/" + r.knownClients() + " clients done, "
                    + r.connectedClients() + " reconnected, " + r.remainingMillis() + " ms left";
            case COMPLETE -> "complete: " + r.endReason();
        };
    }
}
