package org.tarn.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import org.tarn.api.PoolProperty;
import org.tarn.api.Transaction;

/**
 * The benchmark harness: Tarn against raw {@link FileChannel} I/O on the same
 * file system, in the same process, with the runs of the two interleaved so
 * that a noisy neighbour hurts both alike. Each row is measured
 * {@code --runs} times after {@code --warmup} smaller rounds, and the report
 * gives medians.
 *
 * <ul>
 * <li><b>seq</b>: N MiB into one object, one transaction per chunk, one
 *     {@code pool.sync()} at the end; raw: the same bytes written to a new file
 *     in the same directory, then {@code force(true)}.</li>
 * <li><b>rand</b>: writes of a given size at random aligned offsets of a
 *     preallocated object, synced at the end (and in one row every K writes);
 *     raw: the same offsets in a preallocated file, then {@code force(true)}.</li>
 * <li><b>txg</b>: write D MiB (limits raised so nothing syncs early), then
 *     time one {@code pool.sync()}; raw: writing D MiB to a new file plus
 *     {@code force(true)}.</li>
 * </ul>
 *
 * Data is random (Tarn stores all-zero blocks as holes, which would flatter it).
 * Run it through {@code bench/run.sh}; see {@code docs/PERFORMANCE.md}.
 */
public final class Bench {
    private static final long MIB = 1L << 20;
    /** Period of the random data pattern that writes take their bytes from. */
    private static final int PATTERN_PERIOD = 16 << 20;
    /** Warm-up rounds write at most this much. */
    private static final long WARMUP_BYTES = 32 * MIB;
    /** How often the profiler of {@code --profile} takes stacks. */
    private static final long PROFILE_INTERVAL_MILLIS = 2;

    private final Options o;
    private final PrintStream log;
    private final byte[] pattern;
    private final List<Row> rows = new ArrayList<>();
    private final StringBuilder profiles = new StringBuilder();
    private StackSampler sampler;
    private boolean profiling;
    private long cpu0;
    private double lastCpuMs = -1;

    /** What one run of one side measured: the timed seconds, and extra figures by name. */
    record Run(double seconds, Map<String, Double> details) {
    }

    @FunctionalInterface
    interface Workload {
        Run run(int iteration, boolean warmup) throws IOException;
    }

    enum Kind { THROUGHPUT, LATENCY }

    /** One line of the report. {@code bytes} is what a throughput row moves per run. */
    record Row(String part, String title, Kind kind, long bytes, List<Run> tarn, List<Run> raw) {
    }

    Bench(Options o, PrintStream log) {
        this.o = o;
        this.log = log;
        int maxChunk = Math.max(o.seqChunkBytes, o.randSizes.stream().mapToInt(Integer::intValue).max().orElse(0));
        this.pattern = new byte[PATTERN_PERIOD + maxChunk];
        new Random(42).nextBytes(pattern);
    }

    public static void main(String[] args) {
        Harness.main("bench", new Options(), args, (o, log) -> new Bench(o, log).run());
    }

    /** Runs every selected measurement and returns the Markdown report. */
    String run() throws IOException {
        Files.createDirectories(o.dir);
        ZonedDateTime started = ZonedDateTime.now();
        if (o.only.contains("seq")) {
            measure("seq", String.format("Sequential write %s, %s per tx, one sync at the end",
                    size(o.seqBytes), size(o.seqChunkBytes)), Kind.THROUGHPUT, o.seqBytes,
                    this::tarnSequential, this::rawSequential);
        }
        if (o.only.contains("rand")) {
            for (int size : o.randSizes) {
                measureRandom(size, o.recordSizeBytes, 0);
                if (size < o.recordSizeBytes) {
                    measureRandom(size, Math.max(4096, Integer.highestOneBit(size)), 0);
                }
            }
            if (o.randSyncEvery > 0) {
                int smallest = Collections.min(o.randSizes);
                measureRandom(smallest, Math.max(4096, Integer.highestOneBit(smallest)), o.randSyncEvery);
            }
        }
        if (o.only.contains("txg")) {
            for (long dirty : o.dirtyBytes) {
                measure("txg", "Txg sync time, " + size(dirty) + " dirty", Kind.LATENCY, dirty,
                        (i, w) -> tarnTxgSync(w ? Math.min(dirty, 4 * MIB) : dirty),
                        (i, w) -> rawWriteAndForce(w ? Math.min(dirty, 4 * MIB) : dirty));
            }
        }
        return report(started);
    }

    private void measureRandom(int size, int recordSize, int syncEvery) {
        long ops = Math.max(1, o.randBytes / size);
        String title = String.format("Random %s writes (recordsize %s), %d writes = %s in a %s object, %s",
                size(size), size(recordSize), ops, size(ops * size), size(o.randObjectBytes),
                syncEvery > 0 ? "sync every " + syncEvery + " writes" : "one sync at the end");
        measure("rand", title, Kind.THROUGHPUT, ops * size,
                (i, w) -> tarnRandom(i, w, size, recordSize, syncEvery),
                (i, w) -> rawRandom(i, w, size, syncEvery));
    }

    private void measure(String part, String title, Kind kind, long bytes, Workload tarn, Workload raw) {
        log.println("== " + title);
        Row row = new Row(part, title, kind, bytes, new ArrayList<>(), new ArrayList<>());
        try {
            for (int w = 0; w < o.warmup; w++) {
                raw.run(-1 - w, true);
                tarn.run(-1 - w, true);
            }
            for (int i = 0; i < o.runs; i++) {
                // alternate which side goes first, so drift in the machine's load favours neither
                Run r;
                Run t;
                if (i % 2 == 0) {
                    r = raw.run(i, false);
                    t = tarn.run(i, false);
                } else {
                    t = tarn.run(i, false);
                    r = raw.run(i, false);
                }
                row.raw.add(r);
                row.tarn.add(t);
                log.printf(Locale.ROOT, "   run %d: tarn %s, raw %s%n", i + 1, show(kind, bytes, t), show(kind, bytes, r));
            }
            if (o.profile) {
                profiling = true;
                try {
                    tarn.run(o.runs, false);
                } finally {
                    profiling = false;
                }
                profiles.append("\n#### ").append(title).append('\n').append(sampler.markdown(8));
                sampler = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        rows.add(row);
    }

    // ---- timing ------------------------------------------------------------

    /** Starts the clock of a timed section (after a GC, so the last run's garbage is not billed here). */
    private long startClock() {
        System.gc();
        if (o.settleMillis > 0) {
            try {
                Thread.sleep(o.settleMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (profiling) {
            sampler = new StackSampler(Thread.currentThread(), PROFILE_INTERVAL_MILLIS);
        }
        cpu0 = processCpuNanos();
        return System.nanoTime();
    }

    /** CPU time of the whole process (every thread, GC and JIT included), or -1 where unknown. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    /** A run of the last timed section, with the process CPU time it took. */
    private Run timed(double seconds, Map<String, Double> details) {
        Map<String, Double> d = new LinkedHashMap<>(details);
        if (lastCpuMs >= 0) {
            d.put("cpuMs", lastCpuMs);
        }
        return new Run(seconds, d);
    }

    private double stopClock(long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        lastCpuMs = (processCpuNanos() - cpu0) / 1e6;
        if (profiling && sampler != null) {
            sampler.close();
        }
        return s;
    }

    // ---- sequential --------------------------------------------------------

    private Map<String, String> props(int recordSize) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(PoolProperty.CHECKSUM, o.checksum);
        p.put(PoolProperty.RECORD_SIZE_BYTES, Integer.toString(recordSize));
        p.putAll(o.poolProps);
        return p;
    }

    /** A sparse device with ample room for copy-on-write, deferred frees and slop. */
    private static long deviceBytes(long data) {
        return Math.max(1024 * MIB, (3 * data + 256 * MIB) / MIB * MIB);
    }

    private Run tarnSequential(int iteration, boolean warmup) throws IOException {
        long total = warmup ? Math.min(o.seqBytes, WARMUP_BYTES) : o.seqBytes;
        try (TarnSession s = new TarnSession(o.dir, deviceBytes(total), props(o.recordSizeBytes))) {
            long obj = s.newObject();
            long txg0 = s.pool.syncedTxg();
            TimedVdevDriver.Snapshot io0 = s.io();
            long t0 = startClock();
            s.writeSequential(obj, total, o.seqChunkBytes, pattern, PATTERN_PERIOD);
            long t1 = System.nanoTime();
            s.pool.sync();
            double seconds = stopClock(t0);
            double writeMs = (t1 - t0) / 1e6;
            return timed(seconds, engineDetails(s, io0, txg0, total, writeMs, seconds * 1e3 - writeMs));
        }
    }

    private Run rawSequential(int iteration, boolean warmup) throws IOException {
        long total = warmup ? Math.min(o.seqBytes, WARMUP_BYTES) : o.seqBytes;
        return rawWrite(total, o.seqChunkBytes);
    }

    /** Writes {@code total} bytes to a new file in chunks, then {@code force(true)}; timed as one. */
    private Run rawWrite(long total, int chunk) throws IOException {
        Path f = o.dir.resolve("raw-seq.dat");
        Files.deleteIfExists(f);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long t0 = startClock();
            for (long off = 0; off < total; off += chunk) {
                int n = (int) Math.min(chunk, total - off);
                writeFully(ch, ByteBuffer.wrap(pattern, (int) (off % PATTERN_PERIOD), n), off);
            }
            long t1 = System.nanoTime();
            ch.force(true);
            double seconds = stopClock(t0);
            Map<String, Double> d = new LinkedHashMap<>();
            d.put("writeMs", (t1 - t0) / 1e6);
            d.put("syncMs", seconds * 1e3 - (t1 - t0) / 1e6);
            return timed(seconds, d);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    // ---- random ------------------------------------------------------------

    private long[] offsets(int iteration, long objectBytes, int size, long ops) {
        Random rnd = new Random(1000L + iteration);
        long slots = objectBytes / size;
        long[] out = new long[(int) ops];
        for (int i = 0; i < ops; i++) {
            out[i] = (long) (rnd.nextDouble() * slots) * size;
        }
        return out;
    }

    /** Where in the pattern write {@code i} takes its bytes: varying, 4 KiB aligned. */
    private static int source(int i) {
        return (int) ((i * 2654435761L) % (PATTERN_PERIOD / 4096)) * 4096;
    }

    private Run tarnRandom(int iteration, boolean warmup, int size, int recordSize, int syncEvery)
            throws IOException {
        long objectBytes = warmup ? Math.min(o.randObjectBytes, WARMUP_BYTES) : o.randObjectBytes;
        long ops = Math.max(1, (warmup ? Math.min(o.randBytes, 4 * MIB) : o.randBytes) / size);
        long[] at = offsets(iteration, objectBytes, size, ops);
        try (TarnSession s = new TarnSession(o.dir, deviceBytes(2 * objectBytes + ops * size), props(recordSize))) {
            long obj = s.newObject();
            s.writeSequential(obj, objectBytes, o.seqChunkBytes, pattern, PATTERN_PERIOD);
            s.pool.sync();
            long txg0 = s.pool.syncedTxg();
            TimedVdevDriver.Snapshot io0 = s.io();
            long syncNanos = 0;
            long t0 = startClock();
            boolean synced = false;
            for (int i = 0; i < ops; i++) {
                try (Transaction tx = s.pool.begin()) {
                    s.ds.write(tx, obj, at[i], ByteBuffer.wrap(pattern, source(i), size));
                }
                synced = syncEvery > 0 && (i + 1) % syncEvery == 0;
                if (synced) {
                    long ts = System.nanoTime();
                    s.pool.sync();
                    syncNanos += System.nanoTime() - ts;
                }
            }
            if (!synced) {
                long ts = System.nanoTime();
                s.pool.sync();
                syncNanos += System.nanoTime() - ts;
            }
            double seconds = stopClock(t0);
            return timed(seconds, engineDetails(s, io0, txg0, ops * size, seconds * 1e3 - syncNanos / 1e6,
                    syncNanos / 1e6));
        }
    }

    private Run rawRandom(int iteration, boolean warmup, int size, int syncEvery) throws IOException {
        long objectBytes = warmup ? Math.min(o.randObjectBytes, WARMUP_BYTES) : o.randObjectBytes;
        long ops = Math.max(1, (warmup ? Math.min(o.randBytes, 4 * MIB) : o.randBytes) / size);
        long[] at = offsets(iteration, objectBytes, size, ops);
        Path f = o.dir.resolve("raw-rand.dat");
        Files.deleteIfExists(f);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long off = 0; off < objectBytes; off += o.seqChunkBytes) {
                int n = (int) Math.min(o.seqChunkBytes, objectBytes - off);
                writeFully(ch, ByteBuffer.wrap(pattern, (int) (off % PATTERN_PERIOD), n), off);
            }
            ch.force(true);
            long forceNanos = 0;
            long t0 = startClock();
            boolean synced = false;
            for (int i = 0; i < ops; i++) {
                writeFully(ch, ByteBuffer.wrap(pattern, source(i), size), at[i]);
                synced = syncEvery > 0 && (i + 1) % syncEvery == 0;
                if (synced) {
                    long ts = System.nanoTime();
                    ch.force(true);
                    forceNanos += System.nanoTime() - ts;
                }
            }
            if (!synced) {
                long ts = System.nanoTime();
                ch.force(true);
                forceNanos += System.nanoTime() - ts;
            }
            double seconds = stopClock(t0);
            Map<String, Double> d = new LinkedHashMap<>();
            d.put("writeMs", seconds * 1e3 - forceNanos / 1e6);
            d.put("syncMs", forceNanos / 1e6);
            return timed(seconds, d);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    // ---- txg sync time -----------------------------------------------------

    private Run tarnTxgSync(long dirty) throws IOException {
        Map<String, String> p = props(o.recordSizeBytes);
        // nothing may sync before the timed sync: no size trigger, no throttle, no timeout
        long limit = Math.max(4 * dirty, 256 * MIB);
        p.put(PoolProperty.TXG_DIRTY_LIMIT_BYTES, Long.toString(limit));
        p.put(PoolProperty.DIRTY_MAX_BYTES, Long.toString(limit));
        p.put(PoolProperty.TXG_TIMEOUT_MILLIS, "3600000");
        try (TarnSession s = new TarnSession(o.dir, deviceBytes(dirty), p)) {
            long obj = s.newObject();
            long txg0 = s.pool.syncedTxg();
            s.writeSequential(obj, dirty, o.seqChunkBytes, pattern, PATTERN_PERIOD);
            if (s.pool.syncedTxg() != txg0) {
                throw new IllegalStateException("a txg synced while the dirty data was being written ("
                        + txg0 + " -> " + s.pool.syncedTxg() + "): the limits did not hold");
            }
            double dirtyMiB = s.pool.dirtyBytes() / (double) MIB;
            TimedVdevDriver.Snapshot io0 = s.io();
            long t0 = startClock();
            s.pool.sync();
            double seconds = stopClock(t0);
            Map<String, Double> d = engineDetails(s, io0, txg0, dirty, 0, seconds * 1e3);
            d.put("dirtyMiB", dirtyMiB);
            return timed(seconds, d);
        }
    }

    private Run rawWriteAndForce(long bytes) throws IOException {
        return rawWrite(bytes, o.seqChunkBytes);
    }

    // ---- details -----------------------------------------------------------

    private static Map<String, Double> engineDetails(TarnSession s, TimedVdevDriver.Snapshot io0, long txg0,
                                                     long userBytes, double writeMs, double syncMs) {
        TimedVdevDriver.Snapshot io = s.io().minus(io0);
        Map<String, Double> d = new LinkedHashMap<>();
        d.put("writeMs", writeMs);
        d.put("syncMs", syncMs);
        d.put("txgs", (double) (s.pool.syncedTxg() - txg0));
        d.put("devWriteMiB", io.writeBytes() / (double) MIB);
        d.put("amplification", io.writeBytes() / (double) userBytes);
        d.put("devWrites", (double) io.writes());
        d.put("devWriteMs", io.writeNanos() / 1e6);
        d.put("flushes", (double) io.flushes());
        d.put("flushMs", io.flushNanos() / 1e6);
        d.put("devReadMiB", io.readBytes() / (double) MIB);
        d.put("devReadMs", io.readNanos() / 1e6);
        return d;
    }

    // ---- report ------------------------------------------------------------

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** The row's figure per run: MiB/s for throughput rows, ms for latency rows. */
    private static List<Double> figures(Row row, List<Run> runs) {
        List<Double> out = new ArrayList<>();
        for (Run r : runs) {
            out.add(row.kind == Kind.THROUGHPUT ? row.bytes / (double) MIB / r.seconds() : r.seconds() * 1e3);
        }
        return out;
    }

    private static String show(Kind kind, long bytes, Run r) {
        return kind == Kind.THROUGHPUT
                ? String.format(Locale.ROOT, "%.1f MiB/s", bytes / (double) MIB / r.seconds())
                : String.format(Locale.ROOT, "%.1f ms", r.seconds() * 1e3);
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    private String report(ZonedDateTime started) {
        StringBuilder sb = new StringBuilder();
        sb.append(Harness.reportHeader("Tarn benchmark results", started));
        sb.append("- directory: `").append(o.dir.toAbsolutePath().normalize()).append("` on ")
                .append(fileSystem(o.dir)).append('\n');
        sb.append("- options: ").append(o.givenText())
                .append("; checksum ").append(o.checksum).append(", ").append(o.runs).append(" runs + ")
                .append(o.warmup).append(" warm-up per row, medians shown\n\n");

        sb.append("| Measurement | Tarn | Raw FileChannel | Tarn ÷ raw (speed) | ≥ 0.8? | paired ratio"
                + " | Tarn min–max | Raw min–max |\n");
        sb.append("|---|---:|---:|---:|:---:|---:|---:|---:|\n");
        for (Row row : rows) {
            List<Double> t = figures(row, row.tarn);
            List<Double> r = figures(row, row.raw);
            double tm = median(t);
            double rm = median(r);
            double ratio = row.kind == Kind.THROUGHPUT ? tm / rm : rm / tm;
            String unit = row.kind == Kind.THROUGHPUT ? " MiB/s" : " ms";
            sb.append("| ").append(row.title).append(" | ").append(fmt(tm)).append(unit).append(" | ")
                    .append(fmt(rm)).append(unit).append(" | ").append(String.format(Locale.ROOT, "%.2f", ratio))
                    .append(" | ").append(row.kind == Kind.THROUGHPUT ? (ratio >= 0.8 ? "yes" : "**no**") : "–")
                    .append(" | ").append(String.format(Locale.ROOT, "%.2f", pairedRatio(row)))
                    .append(" | ").append(fmt(Collections.min(t))).append("–").append(fmt(Collections.max(t)))
                    .append(" | ").append(fmt(Collections.min(r))).append("–").append(fmt(Collections.max(r)))
                    .append(" |\n");
        }
        sb.append("\nTarn ÷ raw (speed) is Tarn's MiB/s over raw's, or for the txg rows raw's time over Tarn's:"
                + " above 1 Tarn is faster. It is the ratio of the two medians; the paired ratio is the median of"
                + " the ratios of runs made back to back, which a change in the machine's load between runs"
                + " disturbs less. The raw side of a txg row writes the same bytes to a new file and"
                + " forces it, i.e. the least a sync of that much data can cost.\n\n");

        sb.append("### Where Tarn's time goes (medians)\n\n");
        sb.append("| Measurement | caller ms in begin/write/commit | ms in pool.sync() | txgs | device MiB written"
                + " | write amplification | device write ms (sum over threads) | flushes | flush ms |"
                + " device MiB read | device read ms | process CPU ms | raw ms in write | raw ms in force"
                + " | raw process CPU ms |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row row : rows) {
            sb.append("| ").append(row.title);
            for (String k : List.of("writeMs", "syncMs", "txgs", "devWriteMiB", "amplification", "devWriteMs",
                    "flushes", "flushMs", "devReadMiB", "devReadMs", "cpuMs")) {
                sb.append(" | ").append(fmt(detail(row.tarn, k)));
            }
            sb.append(" | ").append(fmt(detail(row.raw, "writeMs")));
            sb.append(" | ").append(fmt(detail(row.raw, "syncMs")));
            sb.append(" | ").append(fmt(detail(row.raw, "cpuMs")));
            sb.append(" |\n");
        }
        sb.append("\nDevice figures come from a counting wrapper around the file driver; device write ms adds up"
                + " the time of every pwrite on the device's I/O threads, which run in parallel. Process CPU ms"
                + " is the CPU time of the whole JVM (all threads, GC and JIT included) during the timed part:"
                + " on 2 CPUs it can reach twice the wall time.\n");
        if (profiles.length() > 0) {
            sb.append("\n### Stack samples of one extra Tarn run per row (every " + PROFILE_INTERVAL_MILLIS
                    + " ms)\n").append(profiles);
        }
        return sb.toString();
    }

    /** Median over runs of raw seconds ÷ Tarn seconds: the speed ratio of each back-to-back pair. */
    private static double pairedRatio(Row row) {
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < row.tarn.size(); i++) {
            v.add(row.raw.get(i).seconds() / row.tarn.get(i).seconds());
        }
        return median(v);
    }

    private static double detail(List<Run> runs, String key) {
        List<Double> v = new ArrayList<>();
        for (Run r : runs) {
            Double d = r.details().get(key);
            if (d != null) {
                v.add(d);
            }
        }
        return median(v);
    }

    private static String fileSystem(Path dir) {
        try {
            FileStore store = Files.getFileStore(dir);
            return store.type() + " (" + store.name() + ")";
        } catch (IOException e) {
            return "unknown file system";
        }
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
}
