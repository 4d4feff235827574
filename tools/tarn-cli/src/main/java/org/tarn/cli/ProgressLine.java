package org.tarn.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The progress line of an import scan, on stderr: shown at once when the
 * scanned directories (as far as this host can see them) hold many devices,
 * or once the scan has run for a while; updated every second with the elapsed
 * time, and finished with a summary line.
 */
final class ProgressLine implements AutoCloseable {
    /** From this many device files on, the line is shown at once. */
    static int manyDevices = 16;
    /** After this long, the line is shown whatever the number of devices. */
    static long delayMillis = 1000;

    private final PrintWriter err;
    private final String what;
    private final long start = System.nanoTime();
    private final Thread ticker;
    private boolean shown;
    private boolean succeeded;

    private ProgressLine(PrintWriter err, String what, boolean showNow) {
        this.err = err;
        this.what = what;
        if (showNow) {
            show();
        }
        ticker = new Thread(this::tick, "tarnctl-progress");
        ticker.setDaemon(true);
        ticker.start();
    }

    static ProgressLine start(PrintWriter err, List<Path> dirs) {
        long devices = 0;
        for (Path dir : dirs) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    devices += files.filter(f -> !Files.isDirectory(f)).count();
                } catch (IOException e) {
                    // unreadable here: the engine will say why
                }
            }
        }
        String what = devices > 0
                ? "scanning " + devices + " device" + (devices == 1 ? "" : "s") + " in "
                        + String.join(", ", dirs.stream().map(Path::toString).toList())
                : "scanning for pools";
        return new ProgressLine(err, what, devices >= manyDevices);
    }

    private void tick() {
        try {
            Thread.sleep(delayMillis);
            while (!Thread.currentThread().isInterrupted()) {
                show();
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private synchronized void show() {
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        err.print("\r" + what + " ... " + seconds + "s");
        err.flush();
        shown = true;
    }

    /** The scan returned: {@link #close} then says "done" rather than "failed". */
    synchronized void succeeded() {
        succeeded = true;
    }

    @Override
    public void close() {
        ticker.interrupt();
        try {
            ticker.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (shown) {
                long millis = (System.nanoTime() - start) / 1_000_000L;
                err.println("\r" + what + " ... " + (succeeded ? "done in " : "failed after ")
                        + String.format(java.util.Locale.ROOT, "%.1fs", millis / 1000.0));
                err.flush();
            }
        }
    }
}
