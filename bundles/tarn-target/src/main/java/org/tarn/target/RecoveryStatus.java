package org.tarn.target;

/**
 * Where a target's recovery window stands.
 *
 * @param phase                NONE (no known clients at mount), RECOVERING or COMPLETE
 * @param knownClients         clients on record when the target was mounted
 * @param connectedClients     of those, the ones that reconnected
 * @param completedClients     of those, the ones that finished replaying
 * @param evictedClients       clients evicted when the window ended, or by an operator during it
 * @param replayedRequests     replays executed during the window
 * @param reconstructedReplies replays answered from the client records without executing them
 * @param remainingMillis      time left in the window; 0 outside it
 * @param windowMillis         the configured length of the window
 * @param endReason            why the window ended; empty while it runs or when there was none
 */
public record RecoveryStatus(Phase phase, int knownClients, int connectedClients, int completedClients,
                             int evictedClients, long replayedRequests, long reconstructedReplies,
                             long remainingMillis, long windowMillis, String endReason) {

    /** The phases of a recovery window. */
    public enum Phase {
        /** There were no known clients at mount: nothing to recover. */
        NONE,
        /** The window is open. */
        RECOVERING,
        /** The window ended (all clients done, timed out, or aborted). */
        COMPLETE
    }
}
