package org.tarn.target;

/**
 * One change a client asks of a target. It runs inside the transaction that
 * also records its transaction number and the client's reply, so after a
 * crash either all of it is on disk or none.
 *
 * <p>In-process callers may pass lambdas; requests that must survive a
 * failover to another process are the serializable operations of
 * {@link org.tarn.target.protocol.TargetOp}, which a replay on another
 * server decodes and executes again.
 */
@FunctionalInterface
public interface TargetUpdate {

    /**
     * Applies the change.
     *
     * @return the reply for the client (kept in its record when at most
     *     {@link TargetSettings#MAX_REPLY_BYTES} long); null for none
     */
    byte[] apply(TargetData data);

    /**
     * Whether this update only reads: it then runs without a transaction,
     * gets no transaction number and is never replayed.
     */
    default boolean readOnly() {
        return false;
    }
}
