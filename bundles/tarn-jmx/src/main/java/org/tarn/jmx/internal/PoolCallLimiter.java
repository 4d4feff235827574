package org.tarn.jmx.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

import org.tarn.api.ErrorCode;

/**
 * Keeps one pool from taking the management front end with it. Management
 * calls that can wait on a pool's devices (sync, export, destroy, clear) take
 * one of {@value #CALLS_PER_POOL} permits of that pool; a call beyond them is
 * refused at once with {@code BUSY}, so callers piling up on a hung pool hold
 * at most that many of the front end's threads (Jolokia serves 8) and the
 * other pools, reads and {@code forceExport} (which never waits) still get
 * served. Each admitted call is bounded by its own deadline.
 */
final class PoolCallLimiter {
    /** Management calls that may wait on one pool at the same time. */
    static final int CALLS_PER_POOL = 2;

    private final Map<String, Semaphore> permits = new ConcurrentHashMap<>();

    <T> T call(String pool, String what, Supplier<T> body) {
        Semaphore s = permits.computeIfAbsent(pool, p -> new Semaphore(CALLS_PER_POOL));
        if (!s.tryAcquire()) {
            throw new IllegalStateException(ErrorCode.BUSY.tag() + " pool '" + pool + "': " + CALLS_PER_POOL
                    + " management calls are already waiting on it (its devices may be hung), so this " + what
                    + " was refused to keep the server manageable: see its status, then clear or force-export it");
        }
        try {
            return body.get();
        } finally {
            s.release();
        }
    }

    void run(String pool, String what, Runnable body) {
        call(pool, what, () -> {
            body.run();
            return null;
        });
    }
}
