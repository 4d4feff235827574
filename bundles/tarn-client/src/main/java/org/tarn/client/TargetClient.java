package org.tarn.client;

import java.util.concurrent.CompletableFuture;

import org.tarn.target.ObjectAttributes;
import org.tarn.target.protocol.TargetOp;

/**
 * A client of one storage target. Every method returns at once; the futures
 * complete with the answer, or exceptionally with a
 * {@link org.tarn.api.TarnException} that says what went wrong: the
 * target's own refusals (NOT_FOUND object, NO_SPACE, ...: not executed),
 * {@link org.tarn.api.ErrorCode#TIMED_OUT} (the request's deadline passed
 * before the server could start it: not executed; or no server could be
 * reached within the give-up time: outcome unknown, the message says which),
 * {@link org.tarn.api.ErrorCode#EVICTED} (the target ended its recovery
 * without this client: requests it had answered but not committed are lost).
 *
 * <p>Server failures are invisible otherwise: a request is kept until a
 * reply's {@code lastCommitted} covers it; when the connection is lost (or
 * the server stops serving the target) the client tries the servers in
 * order with backoff, reconnects, replays what was answered but not
 * committed in transaction-number order, then resends what got no answer.
 * The target executes each request once, whatever happens.
 */
public interface TargetClient extends AutoCloseable {

    /** Sends any operation. */
    CompletableFuture<Result> submit(TargetOp op);

    /** Creates an object; completes with its id. */
    default CompletableFuture<Long> createObject() {
        return submit(new TargetOp.CreateObject()).thenApply(r -> TargetOp.decodeLong(r.data()));
    }

    /** Writes bytes; completes with the object's new size. */
    default CompletableFuture<Long> write(long objectId, long offset, byte[] data) {
        return submit(new TargetOp.Write(objectId, offset, data)).thenApply(r -> TargetOp.decodeLong(r.data()));
    }

    /** Reads up to {@code length} bytes (fewer at the end of the object). */
    default CompletableFuture<byte[]> read(long objectId, long offset, int length) {
        return submit(new TargetOp.Read(objectId, offset, length)).thenApply(Result::data);
    }

    /** Punches a range to zeros. */
    default CompletableFuture<Result> punch(long objectId, long offset, long length) {
        return submit(new TargetOp.Punch(objectId, offset, length));
    }

    /** Frees an object. */
    default CompletableFuture<Result> delete(long objectId) {
        return submit(new TargetOp.Delete(objectId));
    }

    default CompletableFuture<ObjectAttributes> getAttributes(long objectId) {
        return submit(new TargetOp.GetAttributes(objectId)).thenApply(r -> TargetOp.decodeAttributes(r.data()));
    }

    /** Stores the attributes named by {@code mask} (bits of {@link ObjectAttributes}). */
    default CompletableFuture<Result> setAttributes(long objectId, int mask, ObjectAttributes values) {
        return submit(new TargetOp.SetAttributes(objectId, mask, values));
    }

    /** The number of objects in the target. */
    default CompletableFuture<Long> statfs() {
        return submit(new TargetOp.Statfs()).thenApply(r -> TargetOp.decodeLong(r.data()));
    }

    /**
     * Asks the target to commit everything it executed; completes with its
     * {@code lastCommitted} (every request this client had answered before
     * the call is then committed, and forgotten here).
     */
    CompletableFuture<Long> sync();

    /** The highest {@code lastCommitted} seen. */
    long lastCommitted();

    ClientStats stats();

    /** The client's id. */
    String clientId();

    /**
     * Waits up to {@code timeoutMillis} for every request sent so far to be
     * answered; returns whether they were.
     */
    boolean awaitQuiet(long timeoutMillis);

    /**
     * Disconnects cleanly when nothing is kept (the target drops this
     * client's record), else just closes; fails what is still waiting.
     */
    @Override
    void close();
}
