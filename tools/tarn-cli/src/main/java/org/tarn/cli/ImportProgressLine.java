package org.tarn.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.Supplier;

/**
 * The progress line of one import, on stderr: while the import call runs,
 * the engine's {@code ImportsInProgress} for the pool is polled every half
 * second and shown in place ({@code ost1: checking multihost activity, 2.5 s
 * left}), so an operator sees the multihost activity check count down instead
 * of a silent wait. Nothing is shown for an import that never reports a step.
 */
final class ImportProgressLine implements AutoCloseable {
    /** How often the engine is asked. */
    static long pollMillis = 500;

    private final PrintWriter err;
    private final String pool;
    private final Supplier<List<String>> progress;
    private final Thread poller;
    private boolean shown;

    ImportProgressLine(PrintWriter err, String pool, Supplier<List<String>> progress) {
        this.err = err;
        this.pool = pool;
        this.progress = progress;
        this.poller = new Thread(this::poll, "tarnctl-import-progress");
        poller.setDaemon(true);
        poller.start();
    }

    private void poll() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(pollMillis);
                List<String> lines;
                try {
                    lines = progress.get();
                } catch (RuntimeException e) {
                    continue; // a progress line is best effort; the import call reports what failed
                }
                lines.stream().filter(l -> l.startsWith(pool + ": ")).findFirst().ifPresent(this::show);
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private synchronized void show(String line) {
        err.print("\r" + line + "   ");
        err.flush();
        shown = true;
    }

    @Override
    public void close() {
        poller.interrupt();
        try {
            poller.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (shown) {
                err.println();
                err.flush();
            }
        }
    }
}
