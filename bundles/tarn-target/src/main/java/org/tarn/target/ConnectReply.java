package org.tarn.target;

/**
 * The answer to a client's connect.
 *
 * @param target            the target's name
 * @param lastCommitted     every transaction number up to this one is on disk
 * @param clientLastTransno the last transaction number executed for this client (0 for a new one):
 *                          the client replays what it has saved above it
 * @param recovering        whether the target is in its recovery window (replay, then call
 *                          {@link Target#replayDone})
 * @param remainingMillis   time left in the recovery window; 0 outside it
 */
public record ConnectReply(String target, long lastCommitted, long clientLastTransno, boolean recovering,
                           long remainingMillis) {
}
