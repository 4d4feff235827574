package org.tarn.target;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A mounted storage target and the requests of its clients. A handle lives
 * for one mount: after an unmount or a force export every request fails and
 * the next mount (the next import of the pool) gives a new handle.
 *
 * <p>A client {@link #connect}s, then sends {@link #execute} requests, as
 * many at a time as it likes. Each change gets a transaction number; the
 * client keeps each request until a reply's {@code lastCommitted} covers it.
 * A numbered request ({@link RequestContext#xid()}) is executed at most once:
 * a resend of one that was executed (here or, once committed, on a failover
 * server) is answered from the target's records, a resend of one still
 * running waits for it. After its server failed over, the client connects
 * again, {@link #replay}s what it kept (the target runs replays of all
 * clients in transaction-number order), calls {@link #replayDone}, then
 * resends what never got a reply. Requests fail with {@link org.tarn.api.TarnException}:
 * {@link org.tarn.api.ErrorCode#RECOVERING} (new requests and new clients
 * while the recovery window is open), {@link org.tarn.api.ErrorCode#EVICTED},
 * {@link org.tarn.api.ErrorCode#POOL_EXPORTED} (the target is unmounted or
 * failed: the request did not take effect here and belongs on the failover
 * server), {@link org.tarn.api.ErrorCode#NOT_FOUND} (a client that never
 * connected), {@link org.tarn.api.ErrorCode#TIMED_OUT} (the deadline passed
 * before the request started: it was not executed).
 */
public interface Target {

    /** The pool the target lives in. */
    String pool();

    /** The target's name within its pool. */
    String name();

    TargetRole role();

    TargetState state();

    /** The highest transaction number given out (or replayed) so far. */
    long lastTransno();

    /** Every transaction number up to this one is on disk. */
    long lastCommitted();

    /** The recovery window of this mount. */
    RecoveryStatus recovery();

    /** Why the target failed, when it did. */
    Optional<String> failure();

    /** Ids of the clients on record, sorted. */
    List<String> clients();

    /** Connects a client: a new one gets a record; a known one learns where it left off. */
    ConnectReply connect(String clientId);

    /** Executes a new, unnumbered request of a connected client (see {@link RequestContext#NONE}). */
    default Reply execute(String clientId, TargetUpdate update) {
        return execute(clientId, RequestContext.NONE, update);
    }

    /**
     * Executes a request of a connected client: a change under the next
     * transaction number, a read-only update ({@link TargetUpdate#readOnly()})
     * without one. A numbered request that was executed before is answered
     * from its record ({@link Reply.Kind#RECONSTRUCTED}) without running again.
     */
    Reply execute(String clientId, RequestContext request, TargetUpdate update);

    /** As {@link #replay(String, long, RequestContext, TargetUpdate)} for an unnumbered request. */
    default Reply replay(String clientId, long transno, TargetUpdate update) {
        return replay(clientId, transno, RequestContext.NONE, update);
    }

    /**
     * Replays a request the client sent before and got {@code transno} for:
     * answered from the records when it was executed already (on disk, or
     * earlier in this mount), executed once under that transaction number
     * when it was lost. During recovery, replays of all clients run in
     * transaction-number order: this call waits until every smaller number
     * has been replayed or can no longer come (its client finished or was
     * evicted).
     */
    Reply replay(String clientId, long transno, RequestContext request, TargetUpdate update);

    /** The client has replayed everything; the window ends when every known client has. */
    void replayDone(String clientId);

    /** A clean disconnect: the client's record is dropped. */
    void disconnect(String clientId);

    /** Evicts a client: its record is dropped and its next request fails with EVICTED. */
    void evict(String clientId);

    /**
     * Ends the recovery window now, evicting every known client that has not
     * finished replaying.
     *
     * @return what was done, for an operator
     */
    String abortRecovery();

    /** Runs a read-only view of the target's objects (writes are refused). */
    <T> T read(Function<TargetData, T> reader);

    /**
     * Syncs the target's pool so that {@code lastCommitted} covers every
     * change made before the call (Lustre's OST_SYNC).
     *
     * @return the new {@code lastCommitted}
     * @throws org.tarn.api.TarnException TIMED_OUT after {@code timeoutMillis} (the sync goes on),
     *     POOL_SUSPENDED when the pool suspends meanwhile
     */
    long sync(long timeoutMillis);
}
