package org.tarn.client;

import org.tarn.target.Reply;

/**
 * The answer to one request.
 *
 * @param xid           the client's number for the request
 * @param transno       the transaction number the target gave it; 0 for a read
 * @param lastCommitted the target's last_committed when it answered
 * @param data          the reply bytes (see {@link org.tarn.target.protocol.TargetOp})
 * @param kind          executed now, or answered from the target's records (a resend or replay of one that
 *                      had run)
 * @param server        the name of the server that answered
 * @param sends         how many times the request was sent (more than 1 after a lost reply or a failover)
 * @param replayed      whether the answer came from a replay after a failover
 */
public record Result(long xid, long transno, long lastCommitted, byte[] data, Reply.Kind kind, String server, int sends,
                     boolean replayed) {
}
