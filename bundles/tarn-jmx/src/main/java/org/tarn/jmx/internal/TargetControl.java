package org.tarn.jmx.internal;

import org.tarn.jmx.TargetMXBean;
import org.tarn.target.RecoveryStatus;
import org.tarn.target.Target;

/** The Target MBean of one mount of a target. */
final class TargetControl implements TargetMXBean {
    private final Target target;

    TargetControl(Target target) {
        this.target = target;
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
