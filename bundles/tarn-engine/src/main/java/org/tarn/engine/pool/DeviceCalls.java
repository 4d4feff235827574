package org.tarn.engine.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;

/**
 * Device work that runs before a pool has an I/O pipeline (a create's label
 * reads and wipes), with a deadline: each device's work runs on a daemon
 * thread of its own, the caller waits at most the deadline for all of them,
 * and a device that does not answer fails the call with {@code TIMED_OUT}
 * naming it. A result that arrives after the call gave up is handed to
 * {@code discard} (its device closed), so a late answer never takes effect.
 * A hung device pins its own thread only.
 */
final class DeviceCalls {
    private DeviceCalls() {
    }

    /**
     * Runs {@code work} for every path in parallel and returns the results in
     * the paths' order; on any failure or timeout, discards every result
     * (now, or when it arrives) and throws.
     *
     * @param what what the work is, for the timeout message ("reading its labels")
     */
    static <T> List<T> all(List<String> paths, Function<String, T> work, long deadlineMillis,
                           Consumer<T> discard, String what) {
        List<CompletableFuture<T>> calls = new ArrayList<>();
        for (String path : paths) {
            CompletableFuture<T> f = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    f.complete(work.apply(path));
                } catch (RuntimeException | Error e) {
                    f.completeExceptionally(e);
                }
            }, "tarn-device-" + path);
            t.setDaemon(true);
            t.start();
            calls.add(f);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
        List<T> results = new ArrayList<>();
        RuntimeException failure = null;
        for (int i = 0; i < calls.size() && failure == null; i++) {
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            try {
                results.add(calls.get(i).get(left, TimeUnit.MILLISECONDS));
            } catch (TimeoutException e) {
                failure = new TarnException(ErrorCode.TIMED_OUT, "device '" + paths.get(i) + "' did not answer "
                        + "within " + deadlineMillis + " ms while " + what + "; nothing was changed: check the "
                        + "device (it may be hung) and retry");
            } catch (ExecutionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r
                        : new TarnException(ErrorCode.IO_ERROR, "device '" + paths.get(i) + "': "
                        + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new TarnException(ErrorCode.TIMED_OUT, "interrupted while " + what);
            }
        }
        if (failure != null) {
            for (CompletableFuture<T> f : calls) {
                f.thenAccept(discard);
            }
            throw failure;
        }
        return results;
    }
}
