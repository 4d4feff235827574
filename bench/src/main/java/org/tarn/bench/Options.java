package org.tarn.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The harness's settings, parsed from {@code --key=value} arguments (no
 * argument library: picocli is not on the project's stack). Sizes accept a
 * {@code k}, {@code m} or {@code g} suffix (binary units) where they are bytes.
 */
final class Options {
    static final String USAGE = String.join("\n",
            "usage: bench/run.sh [--key=value ...]",
            "",
            "  --dir=PATH             where device and raw files go (default: bench/target/bench-data);",
            "                         Tarn and the raw baseline always share this directory",
            "  --runs=N               measured runs per row; the report shows the median (default 5)",
            "  --warmup=N             unmeasured warm-up rounds per row, at reduced size (default 1)",
            "  --only=LIST            any of seq,rand,txg (default: all three)",
            "  --seqMiB=N             bytes written by the sequential row (default 256)",
            "  --seqChunk=SIZE        bytes per write, and per transaction, sequentially (default 1m)",
            "  --randObjectMiB=N      size of the preallocated object / file for random writes (default 128)",
            "  --randMiB=N            bytes written per random run, per row (default 16)",
            "  --randSizes=LIST       random write sizes (default 4k,128k)",
            "  --randSyncEvery=K      also a row syncing every K writes of the smallest size; 0: none (default 256)",
            "  --dirtyMiB=LIST        dirty sizes for the txg sync time rows (default 1,4,16,64)",
            "  --recordSize=SIZE      the pool's recordSizeBytes for seq and txg rows (default 128k)",
            "  --checksum=NAME        crc32c or sha256 (default crc32c)",
            "  --props=K=V,K=V        more pool properties for every pool, e.g. txg.dirtyLimitBytes=67108864;",
            "                         the txg rows then still raise the dirty limits and timeout themselves",
            "  --profile=BOOL         after measuring, one extra sampled run per Tarn row: prints where",
            "                         the engine's threads spend their time (default false)",
            "  --settleMillis=N       sleep N ms before each timed section (after its GC); default 0",
            "  --out=FILE             also write the Markdown report to FILE",
            "  --help                 this text");

    Path dir = Path.of(System.getProperty("tarn.bench.dir", "target/bench-data"));
    int runs = 5;
    int warmup = 1;
    Set<String> only = Set.of("seq", "rand", "txg");
    long seqBytes = 256L << 20;
    int seqChunkBytes = 1 << 20;
    long randObjectBytes = 128L << 20;
    long randBytes = 16L << 20;
    List<Integer> randSizes = List.of(4096, 128 * 1024);
    int randSyncEvery = 256;
    List<Long> dirtyBytes = List.of(1L << 20, 4L << 20, 16L << 20, 64L << 20);
    int recordSizeBytes = 128 * 1024;
    String checksum = "crc32c";
    Map<String, String> poolProps = new LinkedHashMap<>();
    boolean profile;
    long settleMillis;
    Path out;
    boolean help;

    /** The arguments as given, for the report. */
    final Map<String, String> given = new LinkedHashMap<>();

    static Options parse(String... args) {
        Options o = new Options();
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                o.help = true;
                continue;
            }
            if (!arg.startsWith("--") || arg.indexOf('=') < 3) {
                throw new IllegalArgumentException("expected --key=value, got '" + arg + "'");
            }
            String key = arg.substring(2, arg.indexOf('='));
            String value = arg.substring(arg.indexOf('=') + 1).trim();
            o.given.put(key, value);
            switch (key) {
                case "dir" -> o.dir = Path.of(value);
                case "runs" -> o.runs = (int) positive(key, value, 1);
                case "warmup" -> o.warmup = (int) positive(key, value, 0);
                case "only" -> o.only = only(value);
                case "seqMiB" -> o.seqBytes = mib(key, value);
                case "seqChunk" -> o.seqChunkBytes = (int) bytes(key, value, 1, 64L << 20);
                case "randObjectMiB" -> o.randObjectBytes = mib(key, value);
                case "randMiB" -> o.randBytes = mib(key, value);
                case "randSizes" -> o.randSizes = list(value).stream()
                        .map(v -> (int) bytes(key, v, 1, 16L << 20)).toList();
                case "randSyncEvery" -> o.randSyncEvery = (int) positive(key, value, 0);
                case "dirtyMiB" -> o.dirtyBytes = list(value).stream().map(v -> mib(key, v)).toList();
                case "recordSize" -> o.recordSizeBytes = (int) bytes(key, value, 4096, 1 << 20);
                case "checksum" -> o.checksum = value;
                case "props" -> o.poolProps = props(value);
                case "profile" -> o.profile = Boolean.parseBoolean(value);
                case "settleMillis" -> o.settleMillis = positive(key, value, 0);
                case "out" -> o.out = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option --" + key + "\n\n" + USAGE);
            }
        }
        for (int size : o.randSizes) {
            if (size > o.randObjectBytes) {
                throw new IllegalArgumentException("--randSizes: " + size + " is larger than the object ("
                        + o.randObjectBytes + " bytes)");
            }
        }
        return o;
    }

    private static Set<String> only(String value) {
        List<String> parts = list(value);
        for (String p : parts) {
            if (!Set.of("seq", "rand", "txg").contains(p)) {
                throw new IllegalArgumentException("--only: unknown part '" + p + "'; use seq, rand, txg");
            }
        }
        return Set.copyOf(parts);
    }

    private static Map<String, String> props(String value) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : list(value)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--props: expected key=value, got '" + part + "'");
            }
            String key = part.substring(0, eq).trim();
            if (key.equals("recordSizeBytes") || key.equals("checksum")) {
                throw new IllegalArgumentException("--props: set " + key + " with --"
                        + (key.equals("checksum") ? "checksum" : "recordSize") + " (the random rows pick their own)");
            }
            out.put(key, part.substring(eq + 1).trim());
        }
        return out;
    }

    private static List<String> list(String value) {
        List<String> out = new ArrayList<>();
        for (String p : value.split(",")) {
            if (!p.isBlank()) {
                out.add(p.trim());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("empty list '" + value + "'");
        }
        return out;
    }

    private static long positive(String key, String value, long min) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": not a number: '" + value + "'");
        }
        if (n < min) {
            throw new IllegalArgumentException("--" + key + ": must be at least " + min);
        }
        return n;
    }

    /** A MiB count (fractions allowed, e.g. 0.5), as bytes rounded to 4 KiB. */
    private static long mib(String key, String value) {
        double d;
        try {
            d = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": not a number of MiB: '" + value + "'");
        }
        long bytes = Math.round(d * (1 << 20)) / 4096 * 4096;
        if (bytes <= 0) {
            throw new IllegalArgumentException("--" + key + ": must be at least 4 KiB");
        }
        return bytes;
    }

    static long bytes(String key, String value, long min, long max) {
        String v = value.toLowerCase(Locale.ROOT);
        long unit = 1;
        if (v.endsWith("k") || v.endsWith("m") || v.endsWith("g")) {
            unit = switch (v.charAt(v.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                default -> 1L << 30;
            };
            v = v.substring(0, v.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(v) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": not a size: '" + value + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("--" + key + ": " + value + " must lie between " + min + " and "
                    + max + " bytes");
        }
        return n;
    }
}
