package org.tarn.target;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A mounted storage target and the requests of its clients. A handle lives
 * for one mount: after an unmount or a force export every request fails and
 * the next mount (the next import of the pool) gives a new handle.
 *
 * <p>A client {@link #connect}s, then sends {@link #execute} requests. Each
 * gets a transaction number; the client keeps each request until a reply's
 * {@code lastCommitted} covers it. After its server failed over, the client
 * connects again, {@link #replay}s what it kept, and calls
 * {@link #replayDone}. Requests fail with {@link org.tarn.api.TarnException}:
 * {@link org.tarn.api.ErrorCode#RECOVERING} (new requests and new clients
 * while the recovery window is open), {@link org.tarn.api.ErrorCode#EVICTED},
 * {@link org.tarn.api.ErrorCode#POOL_EXPORTED} (the target is unmounted or
 * failed), {@link org.tarn.api.ErrorCode#NOT_FOUND} (a client that never
 * connected).
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

    /** Executes a new request of a connected client under the next transaction number. */
    Reply execute(String clientId, TargetUpdate update);

    /**
     * Replays a request the client sent before with {@code transno}: answered
     * from the client's record when it was executed already, executed (once,
     * under that transaction number) when it was not.
     */
    Reply replay(String clientId, long transno, TargetUpdate update);

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
}
