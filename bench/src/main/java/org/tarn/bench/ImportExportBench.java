package org.tarn.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.tarn.api.Dataset;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.Pool;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.Engine;
import org.tarn.vdev.file.FileVdevDriver;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Export and import time of a pool of many file devices, for Tarn and, when
 * a zfs-fuse daemon answers, for zfs-fuse on files of the same size in the
 * same file system.
 *
 * <p>For each device count (default 4, 64, 256; sparse files of 64 MiB, all
 * in one directory per pool, laid out as mirrors of two:
 * {@code mirror d0 d1 mirror d2 d3 ...}) the harness creates the pool, writes
 * a little data (4 MiB of random bytes into one dataset), syncs, and then
 * measures {@code --runs} cycles of
 * <ol>
 * <li>export: {@code PoolManager.exportPool(name, false)}, against
 *     {@code zpool export NAME};</li>
 * <li>import: {@code PoolManager.importPool(name, dir=DIR)}, which lists the
 *     directory, reads every device's labels in parallel, assembles the pool
 *     and opens it; against {@code zpool import -d DIR NAME}.</li>
 * </ol>
 * The Tarn and zfs-fuse cycles alternate, and which goes first alternates from
 * run to run. zfs-fuse is timed around the {@code zpool} client process
 * ({@link ProcessBuilder}), so its times include starting that process; the
 * report gives the round trip of a trivial {@code zpool list} for scale. Each
 * zfs-fuse command has a timeout ({@code --zfsTimeoutSec}); a timeout is
 * reported as such and ends the zfs-fuse side of that device count.
 *
 * <p>After the cycles both pools are exported once more and {@code --runs}
 * scans of the directory are timed: {@code PoolManager.scan(dir)} against
 * {@code zpool import -d DIR} (list only). Then everything is deleted.
 *
 * <p>The harness does not start or stop the zfs-fuse daemon: {@code
 * bench/run-import.sh} does. Run it through that script; see
 * {@code docs/PERFORMANCE.md}.
 */
public final class ImportExportBench {
    private static final long MIB = 1L << 20;

    /** The settings, parsed by {@link Harness#parse}. */
    @Command(name = "import-bench", customSynopsis = "bench/run-import.sh [--key=value ...]")
    static final class Config extends Harness.CommonOptions {
        @Option(names = "--dir", paramLabel = "PATH", description = {
            "where device files go (default: bench/target/import-data); one",
            "subdirectory per pool, deleted afterwards"})
        Path dir = Path.of("target/import-data");

        @Option(names = "--devices", paramLabel = "LIST", split = ",", hideParamSyntax = true,
                description = "device counts, even, at least 2 (default 4,64,256)")
        List<Integer> devices = List.of(4, 64, 256);

        @Option(names = "--deviceMiB", paramLabel = "N", description = "size of each sparse device file (default 64)")
        long deviceMiB = 64;

        @Option(names = "--dataMiB", paramLabel = "N",
                description = "random data written to each pool before measuring (default 4)")
        long dataMiB = 4;

        @Option(names = "--runs", paramLabel = "N",
                description = "measured export+import cycles per device count (default 5)")
        int runs = 5;

        @Option(names = "--warmup", paramLabel = "N", description = "unmeasured cycles first (default 2)")
        int warmup = 2;

        @Option(names = "--scan", paramLabel = "BOOL", arity = "1",
                description = "also time scans of the exported pool's directory (default true)")
        boolean scan = true;

        @Option(names = "--zfs", paramLabel = "MODE", description = {
            "auto: compare with zfs-fuse when `zpool list` answers; true: require",
            "it; false: Tarn only (default auto)"})
        String zfs = "auto";

        @Option(names = "--zfsSkipReason", paramLabel = "TEXT",
                description = "why zfs-fuse is not compared, for the report (with --zfs=false)")
        String zfsSkipReason;

        @Option(names = "--zfsData", paramLabel = "BOOL", arity = "1", description = {
            "write the data into the zfs-fuse pool too, through a FUSE mount that",
            "is unmounted again before measuring (default true)"})
        boolean zfsData = true;

        @Option(names = "--zfsTimeoutSec", paramLabel = "N", description = "limit on each zpool/zfs command (default 120)")
        long zfsTimeoutSec = 120;

        @Option(names = "--tarnTimeoutSec", paramLabel = "N", description = {
            "limit on each Tarn operation; on expiry the engine's stacks are",
            "dumped and that device count is abandoned (default 300)"})
        long tarnTimeoutSec = 300;

        static Config parse(String... args) {
            return Harness.parse(new Config(), args);
        }

        long deviceBytes() {
            return deviceMiB * MIB;
        }

        long dataBytes() {
            return dataMiB * MIB;
        }

        @Override
        void check() {
            dir = dir.toAbsolutePath().normalize();
            for (int n : devices) {
                Harness.atLeast("--devices", n, 2);
                if (n % 2 != 0) {
                    throw new IllegalArgumentException("--devices: " + n + " is odd; the layout is mirrors of two");
                }
            }
            Harness.atLeast("--deviceMiB", deviceMiB, 16);
            Harness.atLeast("--dataMiB", dataMiB, 0);
            Harness.atLeast("--runs", runs, 1);
            Harness.atLeast("--warmup", warmup, 0);
            if (!List.of("auto", "true", "false").contains(zfs)) {
                throw new IllegalArgumentException("--zfs: auto, true or false, got '" + zfs + "'");
            }
            Harness.atLeast("--zfsTimeoutSec", zfsTimeoutSec, 1);
            Harness.atLeast("--tarnTimeoutSec", tarnTimeoutSec, 1);
        }
    }

    /** What the engine asked of its devices during one Tarn operation, and the process CPU time. */
    record Activity(TimedVdevDriver.Snapshot io, double cpuMs) {
    }

    /** Why an operation did not give a time. */
    static final class OpFailed extends Exception {
        final boolean timeout;

        OpFailed(String message, boolean timeout) {
            super(message);
            this.timeout = timeout;
        }
    }

    /** The figures of one device count. Times in ms; empty lists where nothing was measured. */
    static final class Row {
        final int devices;
        double tarnCreateMs = Double.NaN;
        final List<Double> tarnExport = new ArrayList<>();
        final List<Double> tarnImport = new ArrayList<>();
        final List<Double> tarnScan = new ArrayList<>();
        /** Device activity and process CPU of each measured Tarn export / import / scan. */
        final List<Activity> tarnExportAct = new ArrayList<>();
        final List<Activity> tarnImportAct = new ArrayList<>();
        final List<Activity> tarnScanAct = new ArrayList<>();
        String tarnNote;
        double zfsCreateMs = Double.NaN;
        final List<Double> zfsExport = new ArrayList<>();
        final List<Double> zfsImport = new ArrayList<>();
        final List<Double> zfsScan = new ArrayList<>();
        final List<Double> zpoolRoundTrip = new ArrayList<>();
        String zfsNote;
        boolean zfsDataWritten;

        Row(int devices) {
            this.devices = devices;
        }
    }

    private final Config c;
    private final PrintStream log;
    private final byte[] data;
    private final List<Row> rows = new ArrayList<>();
    /** Engine problems seen (exceptions, hangs), with stack traces, for the report. */
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    /** Runs the Tarn operations; replaced when one hangs, so that the next ones are not stuck behind it. */
    private ExecutorService worker = newWorker();
    private boolean zfsOn;
    private String zfsWhy;
    private String zfsVersion;
    private Engine engine;
    private final TimedVdevDriver driver = new TimedVdevDriver(new FileVdevDriver());
    /** The device activity of the last {@link #tarnOp}. */
    private Activity lastActivity;

    ImportExportBench(Config c, PrintStream log) {
        this.c = c;
        this.log = log;
        this.data = new byte[(int) c.dataBytes()];
        new Random(42).nextBytes(data);
    }

    public static void main(String[] args) {
        Harness.main("import-bench", new Config(), args, (c, log) -> new ImportExportBench(c, log).run());
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "import-bench-worker");
            t.setDaemon(true);
            return t;
        });
    }

    /** Measures every device count and returns the Markdown report. */
    String run() throws IOException {
        Files.createDirectories(c.dir);
        // an engine thread that dies is an engine problem: keep its stack trace for the report
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            StringWriter sw = new StringWriter();
            e.printStackTrace(new PrintWriter(sw));
            problems.add("Uncaught in thread \"" + t.getName() + "\":\n" + sw);
            log.print("Exception in thread \"" + t.getName() + "\" " + sw);
        });
        try {
            return runAll();
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }

    private String runAll() throws IOException {
        ZonedDateTime started = ZonedDateTime.now();
        decideZfs();
        engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(TarnSession.IO_TIMEOUT_MILLIS),
                List.of(driver));
        try {
            for (int n : c.devices) {
                Row row = new Row(n);
                rows.add(row);
                measure(row);
            }
        } finally {
            worker.shutdownNow();
            engine.close();
        }
        return report(started);
    }

    // ---- one device count -------------------------------------------------

    private void measure(Row row) throws IOException {
        int n = row.devices;
        log.printf(Locale.ROOT, "== %d devices (%d mirror%s of 2), %s each%n", n, n / 2, n == 2 ? "" : "s",
                size(c.deviceBytes()));
        String tarnName = "tarnie" + n;
        String zfsName = "zfsie" + n;
        Path tarnDir = c.dir.resolve("tarn-" + n);
        Path zfsDir = c.dir.resolve("zfs-" + n);
        Path zfsMount = c.dir.resolve("zfs-" + n + "-mnt");
        boolean tarnOk = false;
        boolean tarnImported = false;
        boolean zfsOk = false;
        boolean zfsImported = false;
        try {
            // ---- set up
            try {
                row.tarnCreateMs = tarnSetUp(tarnName, tarnDir, n);
                tarnOk = true;
                tarnImported = true;
                log.printf(Locale.ROOT, "   tarn: created in %s ms, %s written%n", fmt(row.tarnCreateMs),
                        size(c.dataBytes()));
            } catch (OpFailed e) {
                row.tarnNote = "create failed: " + e.getMessage();
                log.println("   tarn: " + row.tarnNote);
                tarnImported = engine.pools().contains(tarnName);
            }
            if (zfsOn) {
                try {
                    row.zfsCreateMs = zfsSetUp(row, zfsName, zfsDir, zfsMount, n);
                    zfsOk = true;
                    zfsImported = true;
                    log.printf(Locale.ROOT, "   zfs-fuse: created in %s ms%s%n", fmt(row.zfsCreateMs),
                            row.zfsDataWritten ? ", " + size(c.dataBytes()) + " written" : ", no data written");
                } catch (OpFailed e) {
                    row.zfsNote = (e.timeout ? "timeout: " : "failed: ") + "create: " + e.getMessage();
                    log.println("   zfs-fuse: " + row.zfsNote);
                    zfsImported = true; // perhaps; the clean-up destroys it if it is there
                }
            }

            // ---- warm-up and measured cycles, alternating which side goes first
            for (int i = -c.warmup; i < c.runs; i++) {
                boolean warm = i < 0;
                boolean tarnFirst = Math.floorMod(i, 2) == 0;
                for (int side = 0; side < 2; side++) {
                    boolean tarnTurn = (side == 0) == tarnFirst;
                    if (tarnTurn && tarnOk) {
                        try {
                            tarnImported = false;
                            double e = tarnOp(() -> engine.exportPool(tarnName, false));
                            Activity ea = lastActivity;
                            double m = tarnOp(() -> engine.importPool(tarnName,
                                    ImportOptions.defaults().withDirs(List.of(tarnDir.toString()))));
                            tarnImported = true;
                            if (!warm) {
                                row.tarnExport.add(e);
                                row.tarnImport.add(m);
                                row.tarnExportAct.add(ea);
                                row.tarnImportAct.add(lastActivity);
                            }
                            log.printf(Locale.ROOT, "   %s %d: tarn export %s ms, import %s ms%n",
                                    warm ? "warm-up" : "run", warm ? -i : i + 1, fmt(e), fmt(m));
                        } catch (OpFailed e) {
                            tarnOk = false;
                            tarnImported = engine.pools().contains(tarnName);
                            row.tarnNote = "cycle failed: " + e.getMessage();
                            log.println("   tarn: " + row.tarnNote);
                        }
                    } else if (!tarnTurn && zfsOk) {
                        try {
                            zfsImported = true;
                            double e = zpool("export", zfsName).ms;
                            zfsImported = false;
                            double m = zpool("import", "-d", zfsDir.toString(), zfsName).ms;
                            zfsImported = true;
                            if (!warm) {
                                row.zfsExport.add(e);
                                row.zfsImport.add(m);
                            }
                            log.printf(Locale.ROOT, "   %s %d: zfs-fuse export %s ms, import %s ms%n",
                                    warm ? "warm-up" : "run", warm ? -i : i + 1, fmt(e), fmt(m));
                        } catch (OpFailed e) {
                            zfsOk = false;
                            zfsImported = true;
                            row.zfsNote = (e.timeout ? "timeout: " : "failed: ") + e.getMessage();
                            log.println("   zfs-fuse: " + row.zfsNote);
                        }
                    }
                }
            }

            // ---- a check that the data survived the cycles, and the client's fixed cost
            if (tarnOk) {
                try {
                    tarnVerify(tarnName);
                } catch (OpFailed e) {
                    tarnOk = false;
                    row.tarnNote = "data check failed: " + e.getMessage();
                    log.println("   tarn: " + row.tarnNote);
                }
            }
            if (zfsOk) {
                try {
                    for (int i = 0; i < c.runs; i++) {
                        row.zpoolRoundTrip.add(zpool("list", "-H", "-o", "name", zfsName).ms);
                    }
                } catch (OpFailed e) {
                    log.println("   zfs-fuse: zpool list failed: " + e.getMessage());
                }
            }

            // ---- scans of the exported pools
            if (c.scan) {
                if (tarnOk) {
                    try {
                        tarnOp(() -> engine.exportPool(tarnName, false));
                        tarnImported = false;
                    } catch (OpFailed e) {
                        tarnOk = false;
                        row.tarnNote = "export before scan failed: " + e.getMessage();
                    }
                }
                if (zfsOk) {
                    try {
                        zpool("export", zfsName);
                        zfsImported = false;
                    } catch (OpFailed e) {
                        zfsOk = false;
                        row.zfsNote = (e.timeout ? "timeout: " : "failed: ") + "export before scan: " + e.getMessage();
                    }
                }
                for (int i = 0; i < c.runs; i++) {
                    if (tarnOk) {
                        try {
                            ImportScan[] found = new ImportScan[1];
                            double ms = tarnOp(() -> found[0] = engine.scan(List.of(tarnDir.toString())));
                            if (found[0].pools().size() != 1) {
                                throw new OpFailed("scan found " + found[0].pools().size() + " pools, skipped "
                                        + found[0].skipped(), false);
                            }
                            row.tarnScan.add(ms);
                            row.tarnScanAct.add(lastActivity);
                        } catch (OpFailed e) {
                            tarnOk = false;
                            row.tarnNote = "scan failed: " + e.getMessage();
                        }
                    }
                    if (zfsOk) {
                        try {
                            Zpool z = zpool("import", "-d", zfsDir.toString());
                            if (!z.output.contains(zfsName)) {
                                throw new OpFailed("zpool import -d lists no " + zfsName + ": " + z.output.strip(),
                                        false);
                            }
                            row.zfsScan.add(z.ms);
                        } catch (OpFailed e) {
                            zfsOk = false;
                            row.zfsNote = (e.timeout ? "timeout: " : "failed: ") + "scan: " + e.getMessage();
                        }
                    }
                }
                if (!row.tarnScan.isEmpty() || !row.zfsScan.isEmpty()) {
                    log.printf(Locale.ROOT, "   scan medians: tarn %s ms%s%n", fmt(median(row.tarnScan)),
                            zfsOn ? ", zfs-fuse (zpool import -d, list) " + fmt(median(row.zfsScan)) + " ms" : "");
                }
            }
        } finally {
            // ---- clean up, whatever happened
            if (engine.pools().contains(tarnName)) {
                try {
                    tarnOp(() -> engine.exportPool(tarnName, true), false);
                } catch (OpFailed e) {
                    log.println("   tarn: clean-up export failed (" + e.getMessage() + "); force-exporting");
                    try {
                        if (engine.pools().contains(tarnName)) {
                            engine.forceExport(tarnName);
                        }
                    } catch (RuntimeException e2) {
                        log.println("   tarn: force export failed too: " + e2);
                    }
                }
            } else if (tarnImported) {
                log.println("   tarn: pool '" + tarnName + "' is not listed by the engine any more; nothing to export");
            }
            if (zfsImported && zfsOn) {
                try {
                    zpool("destroy", "-f", zfsName);
                } catch (OpFailed e) {
                    log.println("   zfs-fuse: clean-up destroy: " + e.getMessage());
                }
            }
            deleteTree(tarnDir);
            deleteTree(zfsDir);
            deleteTree(zfsMount);
        }
    }

    /** Creates the devices and the pool, writes the data and syncs; returns the create time in ms. */
    private double tarnSetUp(String name, Path dir, int n) throws IOException, OpFailed {
        deleteTree(dir);
        Files.createDirectories(dir);
        StringBuilder layout = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Path dev = dir.resolve("d" + i);
            FileVdevDriver.createSparseFile(dev, c.deviceBytes());
            layout.append(i % 2 == 0 ? " mirror " : " ").append(dev);
        }
        VdevLayout parsed = VdevLayout.parse(layout.toString().trim());
        Pool[] pool = new Pool[1];
        double ms = tarnOp(() -> pool[0] = engine.createPool(name, parsed, Map.of(), false));
        tarnOp(() -> {
            Pool p = pool[0];
            p.createDataset("data");
            Dataset ds = p.openDataset("data");
            try {
                long obj;
                try (Transaction tx = p.begin()) {
                    obj = ds.createObject(tx);
                }
                for (int off = 0; off < data.length; off += (int) MIB) {
                    int len = (int) Math.min(MIB, data.length - off);
                    try (Transaction tx = p.begin()) {
                        ds.write(tx, obj, off, ByteBuffer.wrap(data, off, len));
                    }
                }
                p.sync();
            } finally {
                ds.close();
            }
        });
        return ms;
    }

    /** Reads the data back from the imported pool and compares it with what was written. */
    private void tarnVerify(String name) throws OpFailed {
        tarnOp(() -> {
            Pool p = engine.pool(name).orElseThrow(() -> new IllegalStateException("pool " + name + " not imported"));
            Dataset ds = p.openDataset("data");
            try {
                List<Long> objects = ds.objects();
                if (objects.size() != 1) {
                    throw new IllegalStateException("expected one object in dataset data, found " + objects);
                }
                long obj = objects.get(0);
                if (ds.size(obj) != data.length) {
                    throw new IllegalStateException("object size " + ds.size(obj) + ", wrote " + data.length);
                }
                ByteBuffer back = ByteBuffer.allocate(data.length);
                while (back.hasRemaining()) {
                    int got = ds.read(obj, back.position(), back);
                    if (got <= 0) {
                        break;
                    }
                }
                if (!Arrays.equals(back.array(), data)) {
                    throw new IllegalStateException("data read back after the cycles differs from what was written");
                }
            } finally {
                ds.close();
            }
        });
    }

    /** Creates the files and the zfs-fuse pool, writes the data through a mount; returns the create time. */
    private double zfsSetUp(Row row, String name, Path dir, Path mount, int n) throws IOException, OpFailed {
        deleteTree(dir);
        Files.createDirectories(dir);
        List<String> args = new ArrayList<>(List.of("create", "-f", "-m", "none", name));
        for (int i = 0; i < n; i++) {
            Path dev = dir.toAbsolutePath().resolve("d" + i);
            FileVdevDriver.createSparseFile(dev, c.deviceBytes()); // what `truncate -s` does
            if (i % 2 == 0) {
                args.add("mirror");
            }
            args.add(dev.toString());
        }
        double ms = zpool(args.toArray(String[]::new)).ms;
        if (c.zfsData && c.dataBytes() > 0) {
            try {
                Files.createDirectories(mount);
                run("zfs", "set", "mountpoint=" + mount.toAbsolutePath(), name);
                Files.write(mount.resolve("data"), data);
                run("sync");
                run("zfs", "set", "mountpoint=none", name); // unmounts: the cycles move the bare pool
                row.zfsDataWritten = true;
            } catch (OpFailed | IOException e) {
                log.println("   zfs-fuse: could not write data through a mount (" + e.getMessage()
                        + "); measuring the empty pool");
                try {
                    run("zfs", "set", "mountpoint=none", name);
                } catch (OpFailed ignored) {
                    // the create's own -m none stands
                }
            }
        }
        return ms;
    }

    // ---- timing -----------------------------------------------------------

    @FunctionalInterface
    interface TarnAction {
        void run() throws Exception;
    }

    /**
     * Runs a Tarn operation on the worker thread, timed there, within
     * {@code --tarnTimeoutSec}. A failure or hang is recorded with its stack
     * traces as an engine problem.
     */
    private double tarnOp(TarnAction action) throws OpFailed {
        return tarnOp(action, true);
    }

    /** As {@link #tarnOp(TarnAction)}; {@code record} false leaves a failure out of the engine problems. */
    private double tarnOp(TarnAction action, boolean record) throws OpFailed {
        System.gc();
        Callable<Double> timed = () -> {
            TimedVdevDriver.Snapshot io0 = driver.counters().snapshot();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            action.run();
            double ms = (System.nanoTime() - t0) / 1e6;
            lastActivity = new Activity(driver.counters().snapshot().minus(io0), (processCpuNanos() - cpu0) / 1e6);
            return ms;
        };
        Future<Double> f = worker.submit(timed);
        try {
            return f.get(c.tarnTimeoutSec, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            StringWriter sw = new StringWriter();
            cause.printStackTrace(new PrintWriter(sw));
            if (record) {
                problems.add(sw.toString());
            }
            throw new OpFailed(cause.toString(), false);
        } catch (TimeoutException e) {
            problems.add("A Tarn operation did not finish within " + c.tarnTimeoutSec + " s. Stacks of the"
                    + " harness's and the engine's threads (idle pool threads left out):\n" + stacks());
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker(); // the old thread may stay stuck; the next operations get a fresh one
            throw new OpFailed("did not finish within " + c.tarnTimeoutSec + " s", true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpFailed("interrupted", false);
        }
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private static String stacks() {
        StringBuilder sb = new StringBuilder();
        Thread.getAllStackTraces().entrySet().stream()
                .sorted(Comparator.comparing(e -> e.getKey().getName()))
                .filter(e -> e.getKey().getName().startsWith("tarn") || e.getKey().getName().startsWith("import-bench"))
                .filter(e -> Arrays.stream(e.getValue()).noneMatch(el -> el.getMethodName().equals("getTask")))
                .forEach(e -> {
                    sb.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
                    for (StackTraceElement el : e.getValue()) {
                        sb.append("    at ").append(el).append('\n');
                    }
                });
        return sb.toString();
    }

    /** What one command gave: wall time from process start to exit, and its output. */
    record Zpool(double ms, String output) {
    }

    private Zpool zpool(String... args) throws OpFailed {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "zpool";
        System.arraycopy(args, 0, cmd, 1, args.length);
        return run(cmd);
    }

    /** Runs a command with the zfs-fuse timeout; fails on timeout or a non-zero exit. */
    private Zpool run(String... cmd) throws OpFailed {
        Path outFile = null;
        try {
            outFile = Files.createTempFile("import-bench", ".out");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(outFile.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            boolean done = p.waitFor(c.zfsTimeoutSec, TimeUnit.SECONDS);
            double ms = (System.nanoTime() - t0) / 1e6;
            String shown = String.join(" ", cmd);
            if (shown.length() > 80) {
                shown = shown.substring(0, 77) + "...";
            }
            if (!done) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new OpFailed("`" + shown + "` did not finish within " + c.zfsTimeoutSec + " s", true);
            }
            String output = Files.readString(outFile, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new OpFailed("`" + shown + "` exited with " + p.exitValue() + ": " + output.strip(), false);
            }
            return new Zpool(ms, output);
        } catch (IOException e) {
            throw new OpFailed("cannot run " + cmd[0] + ": " + e.getMessage(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpFailed("interrupted", false);
        } finally {
            if (outFile != null) {
                try {
                    Files.deleteIfExists(outFile);
                } catch (IOException ignored) {
                    // a temp file left behind
                }
            }
        }
    }

    /** Whether to compare with zfs-fuse: the daemon must answer {@code zpool list}. */
    private void decideZfs() {
        if (c.zfs.equals("false")) {
            zfsOn = false;
            zfsWhy = c.zfsSkipReason != null ? c.zfsSkipReason : "not requested (--zfs=false)";
            return;
        }
        try {
            run("zpool", "list");
            zfsOn = true;
            try {
                zfsVersion = run("dpkg-query", "-W", "-f=${Version}", "zfs-fuse").output.strip();
            } catch (OpFailed e) {
                zfsVersion = "unknown version";
            }
        } catch (OpFailed e) {
            if (c.zfs.equals("true")) {
                throw new IllegalStateException("--zfs=true but the zfs-fuse daemon does not answer: " + e.getMessage());
            }
            zfsOn = false;
            zfsWhy = "the zfs-fuse daemon does not answer `zpool list`: " + e.getMessage();
        }
        log.println(zfsOn ? "comparing with zfs-fuse " + zfsVersion : "zfs-fuse: skipped, " + zfsWhy);
    }

    // ---- report -----------------------------------------------------------

    private String report(ZonedDateTime started) {
        StringBuilder sb = new StringBuilder();
        sb.append(Harness.reportHeader("Tarn import/export results", started));
        sb.append("- directory: `").append(c.dir.toAbsolutePath().normalize()).append("` on ")
                .append(fileSystem(c.dir)).append('\n');
        sb.append("- options: ").append(c.givenText())
                .append("; ").append(c.runs).append(" cycles + ").append(c.warmup)
                .append(" warm-up per device count; sparse ").append(size(c.deviceBytes()))
                .append(" files, mirrors of 2, ").append(size(c.dataBytes())).append(" of data\n");
        sb.append("- zfs-fuse: ").append(zfsOn ? zfsVersion + ", timeout " + c.zfsTimeoutSec + " s per command"
                : "**not compared**: " + zfsWhy).append("\n\n");

        sb.append("| Devices | Tarn export | Tarn import | zfs-fuse export | zfs-fuse import | export Tarn ÷ zfs-fuse"
                + " | import Tarn ÷ zfs-fuse |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            sb.append("| ").append(r.devices)
                    .append(" | ").append(cell(r.tarnExport, r.tarnNote, c.runs))
                    .append(" | ").append(cell(r.tarnImport, r.tarnNote, c.runs))
                    .append(" | ").append(zfsOn ? cell(r.zfsExport, r.zfsNote, c.runs) : "–")
                    .append(" | ").append(zfsOn ? cell(r.zfsImport, r.zfsNote, c.runs) : "–")
                    .append(" | ").append(ratio(r.tarnExport, r.zfsExport))
                    .append(" | ").append(ratio(r.tarnImport, r.zfsImport)).append(" |\n");
        }
        sb.append("\nCells: median ms of ").append(c.runs).append(" cycles (max in brackets). Ratios are the"
                + " ratio of the medians; below 1 Tarn is faster. zfs-fuse times run from starting the `zpool`"
                + " process to its exit.\n\n");

        sb.append("| Devices | Tarn create | zfs-fuse create | Tarn scan | zfs-fuse `import -d` (list) | scan"
                + " Tarn ÷ zfs-fuse | `zpool list` round trip |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            sb.append("| ").append(r.devices)
                    .append(" | ").append(Double.isNaN(r.tarnCreateMs) ? "–" : fmt(r.tarnCreateMs))
                    .append(" | ").append(Double.isNaN(r.zfsCreateMs) ? "–" : fmt(r.zfsCreateMs))
                    .append(" | ").append(cell(r.tarnScan, null, 0))
                    .append(" | ").append(cell(r.zfsScan, null, 0))
                    .append(" | ").append(ratio(r.tarnScan, r.zfsScan))
                    .append(" | ").append(cell(r.zpoolRoundTrip, null, 0)).append(" |\n");
        }
        sb.append("\nCreate: one pool creation (ms, one sample). Scan: `PoolManager.scan(dir)` against `zpool import"
                + " -d DIR` without a name (lists the importable pools), on the exported pool; median (max)"
                + " ms. The `zpool list` round trip is the fixed cost of one `zpool` command, process start"
                + " included.");
        boolean anyZfsData = rows.stream().anyMatch(r -> r.zfsDataWritten);
        if (zfsOn) {
            sb.append(anyZfsData ? " The zfs-fuse pools held the same data, written through a FUSE mount that was"
                    + " unmounted (`mountpoint=none`) before the cycles." : " The zfs-fuse pools held no data.");
        }
        sb.append('\n');
        sb.append("\n### What Tarn's devices did (medians per operation)\n\n");
        sb.append("| Devices | operation | ms | device reads | KiB read | read ms (sum) | device writes | KiB written"
                + " | write ms (sum) | flushes | flush ms (sum) | process CPU ms |\n");
        sb.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            activityRow(sb, r.devices, "export", r.tarnExport, r.tarnExportAct);
            activityRow(sb, r.devices, "import", r.tarnImport, r.tarnImportAct);
            activityRow(sb, r.devices, "scan", r.tarnScan, r.tarnScanAct);
        }
        sb.append("\nDevice figures come from a counting wrapper around the file driver (`TimedVdevDriver`); the"
                + " ms columns add up the time of every call on every device's I/O threads, which run in"
                + " parallel, so they can exceed the wall time. Process CPU ms is the CPU time of the whole JVM"
                + " during the operation (10 ms steps).\n");
        List<String> notes = new ArrayList<>();
        for (Row r : rows) {
            if (r.tarnNote != null) {
                notes.add(r.devices + " devices, Tarn: " + r.tarnNote);
            }
            if (r.zfsNote != null) {
                boolean died = r.zfsNote.contains("file descriptor closed") || r.zfsNote.contains("Connection refused");
                notes.add(r.devices + " devices, zfs-fuse: " + r.zfsNote.strip().replace("\n", " ")
                        + (died ? " — the zfs-fuse daemon had died (see `dmesg` for a segfault)" : ""));
            }
        }
        if (!notes.isEmpty()) {
            sb.append("\n### Notes\n\n");
            notes.forEach(n -> sb.append("- ").append(n).append('\n'));
        }
        if (!problems.isEmpty()) {
            sb.append("\n### Engine problems\n\n");
            for (String p : problems) {
                sb.append("```\n").append(p.strip()).append("\n```\n");
            }
        }
        return sb.toString();
    }

    private static void activityRow(StringBuilder sb, int devices, String op, List<Double> ms, List<Activity> acts) {
        if (acts.isEmpty()) {
            return;
        }
        sb.append("| ").append(devices).append(" | ").append(op).append(" | ").append(fmt(median(ms)));
        List<java.util.function.ToDoubleFunction<Activity>> fields = List.of(
                a -> a.io().reads(), a -> a.io().readBytes() / 1024.0, a -> a.io().readNanos() / 1e6,
                a -> a.io().writes(), a -> a.io().writeBytes() / 1024.0, a -> a.io().writeNanos() / 1e6,
                a -> a.io().flushes(), a -> a.io().flushNanos() / 1e6, Activity::cpuMs);
        for (var f : fields) {
            sb.append(" | ").append(fmt(median(acts.stream().map(a -> f.applyAsDouble(a)).toList())));
        }
        sb.append(" |\n");
    }

    /**
     * Median (max) of the values; when fewer than {@code expected} were taken
     * because the side failed, says so and how many there are.
     */
    private static String cell(List<Double> v, String note, int expected) {
        String failure = note == null ? "failed" : note.startsWith("timeout") ? "timeout" : "failed";
        if (v.isEmpty()) {
            return note == null ? "–" : failure;
        }
        String s = fmt(median(v)) + " (" + fmt(Collections.max(v)) + ")";
        return v.size() < expected ? s + ", " + v.size() + " of " + expected + " then " + failure : s;
    }

    private static String ratio(List<Double> tarn, List<Double> zfs) {
        if (tarn.isEmpty() || zfs.isEmpty()) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f", median(tarn) / median(zfs));
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        if (v >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String size(long bytes) {
        if (bytes >= MIB && bytes % MIB == 0) {
            return bytes / MIB + " MiB";
        }
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return bytes / 1024 + " KiB";
        }
        return bytes + " B";
    }

    private static String fileSystem(Path dir) {
        try {
            FileStore store = Files.getFileStore(dir);
            return store.type() + " (" + store.name() + ")";
        } catch (IOException e) {
            return "unknown file system";
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
