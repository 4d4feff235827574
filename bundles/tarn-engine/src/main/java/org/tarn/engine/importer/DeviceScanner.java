package org.tarn.engine.importer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.label.DeviceLabels;
import org.tarn.engine.vdev.DevicePaths;
import org.tarn.engine.label.LabelReader;

/**
 * Finds candidate devices in directories and reads their labels.
 *
 * <p>Labels of all devices are read in parallel on a bounded pool of daemon
 * threads, each with a deadline: a device that does not answer is skipped
 * with that reason and its thread is abandoned, so a hung disk never stalls a
 * scan. Nothing here throws for a bad device: every failure becomes a skip
 * reason.
 */
public final class DeviceScanner {
    /** Most label reads in flight at once. */
    private static final int PARALLEL_READS = 8;

    /** What a scan learned about one path: its labels, or why it was skipped. */
    public record Scanned(String path, DeviceLabels labels, String skipReason) {
        public boolean usable() {
            return labels != null && labels.hasValidLabel();
        }
    }

    private final Function<String, VdevDriver> drivers;
    private final long deadlineMillis;

    /**
     * @param drivers        the driver for a path, or null when none accepts it
     * @param deadlineMillis how long one device may take to read its labels
     */
    public DeviceScanner(Function<String, VdevDriver> drivers, long deadlineMillis) {
        this.drivers = drivers;
        this.deadlineMillis = deadlineMillis;
    }

    /**
     * Every regular file or block device directly in each directory, sorted.
     * A directory with a driver scheme ({@code fault:/srv/devices}) lists its
     * devices with that scheme, so they are read (and imported) through that
     * driver.
     */
    public static List<String> listDevices(List<String> dirs) {
        List<String> out = new ArrayList<>();
        for (String d : dirs) {
            String scheme = DevicePaths.schemePrefix(d);
            Path dir;
            try {
                dir = Path.of(d.substring(scheme.length()));
            } catch (java.nio.file.InvalidPathException e) {
                out.add(d); // not a directory: read as a device named directly, which reports why it fails
                continue;
            }
            if (!Files.isDirectory(dir)) {
                out.add(d); // a device named directly
                continue;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path p : entries) {
                    if (Files.isRegularFile(p) || (Files.exists(p) && !Files.isDirectory(p) && isBlockDevice(p))) {
                        out.add(scheme + p);
                    }
                }
            } catch (IOException e) {
                // an unreadable directory has no devices for us; the caller sees none from it
            }
        }
        out.sort(null);
        return out;
    }

    private static boolean isBlockDevice(Path p) {
        return p.toString().startsWith("/dev/");
    }

    /** Reads the labels of every path in parallel. */
    public List<Scanned> scan(List<String> paths) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(PARALLEL_READS, paths.size())),
                r -> {
                    Thread t = new Thread(r, "tarn-scan");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<CompletableFuture<Scanned>> reads = new ArrayList<>();
            for (String path : paths) {
                reads.add(CompletableFuture.supplyAsync(() -> read(path), pool));
            }
            List<Scanned> out = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
            for (int i = 0; i < paths.size(); i++) {
                long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                try {
                    out.add(reads.get(i).get(left, TimeUnit.MILLISECONDS));
                } catch (TimeoutException e) {
                    out.add(new Scanned(paths.get(i), null, "did not answer within " + deadlineMillis + " ms"));
                } catch (ExecutionException e) {
                    out.add(new Scanned(paths.get(i), null, "cannot be read: " + e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    out.add(new Scanned(paths.get(i), null, "scan interrupted"));
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private Scanned read(String path) {
        VdevDriver driver = drivers.apply(path);
        if (driver == null) {
            return new Scanned(path, null, "no vdev driver accepts this path");
        }
        try (BlockDevice dev = driver.open(path, true)) {
            DeviceLabels labels = LabelReader.read(dev);
            if (!labels.hasValidLabel()) {
                return new Scanned(path, labels, labels.rejectionSummary());
            }
            return new Scanned(path, labels, null);
        } catch (IOException | RuntimeException e) {
            return new Scanned(path, null, "cannot be opened: " + e.getMessage());
        }
    }
}
