package org.tarn.target;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;

/**
 * How a client identifies one request, for exactly-once execution across
 * resends and failovers (Lustre's XID and "known replied XID").
 *
 * @param xid           the client's number for this request, unique per client and growing; 0 for a
 *                      request that is never resent (nothing is recorded for it)
 * @param repliedXid    every request of this client numbered up to this one has been answered: the
 *                      target may forget their records
 * @param deadlineNanos {@link System#nanoTime()} after which the target must not start the request
 *                      (it then fails with {@link ErrorCode#TIMED_OUT} and was not executed); 0 for none
 */
public record RequestContext(long xid, long repliedXid, long deadlineNanos) {
    /** A request without a number or deadline (in-process callers that never resend). */
    public static final RequestContext NONE = new RequestContext(0, 0, 0);

    public RequestContext {
        if (xid < 0 || repliedXid < 0 || (xid > 0 && repliedXid >= xid)) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "bad request numbers: xid " + xid
                    + ", replied xid " + repliedXid + " (xids are positive and above the replied one)");
        }
    }

    /** A numbered request without a deadline. */
    public static RequestContext of(long xid, long repliedXid) {
        return new RequestContext(xid, repliedXid, 0);
    }

    /** Whether the deadline has passed. */
    public boolean expired() {
        return deadlineNanos != 0 && System.nanoTime() - deadlineNanos > 0;
    }
}
