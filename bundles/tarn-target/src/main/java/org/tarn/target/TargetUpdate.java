package org.tarn.target;

/**
 * One change a client asks of a target. It runs inside the transaction that
 * also records its transaction number and the client's reply, so after a
 * crash either all of it is on disk or none.
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
}
