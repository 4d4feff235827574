package org.tarn.target;

/**
 * The answer to a request or a replay.
 *
 * @param transno       the request's transaction number
 * @param lastCommitted every transaction number up to this one is on disk; a client may forget
 *                      its saved requests up to it
 * @param data          the reply bytes: the update's result, or the one kept in the client's record
 * @param kind          whether the request was executed now or answered from the record
 */
public record Reply(long transno, long lastCommitted, byte[] data, Kind kind) {

    /** How a reply came about. */
    public enum Kind {
        /** The update was executed by this call. */
        EXECUTED,
        /** Executed before; the reply is the one kept in the client's record. */
        RECONSTRUCTED,
        /** Executed before, but its reply was not kept (an older request, or a reply too large); data is empty. */
        REPLY_NOT_KEPT
    }

    public Reply {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
