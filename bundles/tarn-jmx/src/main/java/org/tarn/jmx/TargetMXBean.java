package org.tarn.jmx;

import static javax.management.MBeanOperationInfo.ACTION;
import static javax.management.MBeanOperationInfo.INFO;

import javax.management.MXBean;

/**
 * One mounted storage target: {@code tarn:type=Target,pool="<pool>",name="<target>"}.
 * Registered while the target is mounted (recovering or active), unregistered
 * when it is unmounted (its pool exported) or failed (its pool
 * force-exported). Open types only; failures arrive as in
 * {@link PoolManagerMXBean}.
 */
@MXBean(false)
@Description("A mounted storage target (MDT/OST): transaction numbers, last_committed and its recovery window")
public interface TargetMXBean {

    @Description("The pool the target lives in")
    String getPool();

    @Description("The target's name within its pool")
    String getName();

    @Description("MDT (metadata) or OST (object storage)")
    String getRole();

    @Description("RECOVERING, ACTIVE, UNMOUNTING, UNMOUNTED or FAILED")
    String getState();

    @Description("Why the target failed; empty when it did not")
    String getFailure();

    @Description("The highest transaction number given out (or replayed) so far")
    long getLastTransno();

    @Description("Every transaction number up to this one is on disk (last_committed)")
    long getLastCommitted();

    @Description("Ids of the clients on record, sorted")
    String[] getClients();

    @Description("Recovery window of this mount: NONE (no known clients), RECOVERING or COMPLETE")
    String getRecoveryStatus();

    @Description("Clients on record when the target was mounted, i.e. the clients recovery waits for")
    int getRecoveryKnownClients();

    @Description("Known clients that reconnected during the window")
    int getRecoveryConnectedClients();

    @Description("Known clients that finished replaying")
    int getRecoveryCompletedClients();

    @Description("Clients evicted: missing when the window ended, or evicted by an operator")
    int getRecoveryEvictedClients();

    @Description("Replayed requests executed during the window")
    long getRecoveryReplayedRequests();

    @Description("Replays answered from the client records without executing them again")
    long getRecoveryReconstructedReplies();

    @Description("Milliseconds left in the recovery window; 0 outside it")
    long getRecoveryRemainingMillis();

    @Description("The configured length of the recovery window in milliseconds")
    long getRecoveryWindowMillis();

    @Description("Why the window ended (all clients done, timed out, aborted) and whom it evicted; empty while "
            + "it runs or when there was none")
    String getRecoveryEndReason();

    @Operation(desc = "Ends the recovery window now, evicting every known client that has not finished replaying; "
            + "returns what was done", impact = ACTION)
    String abortRecovery();

    @Operation(desc = "Evicts a client: its record is dropped and its unreplayed requests are lost", impact = ACTION)
    void evictClient(@Parameter(name = "clientId", desc = "The client's id, as listed in Clients") String clientId);

    @Operation(desc = "The target's status in a few lines: state, transaction numbers, recovery", impact = INFO)
    String status();
}
