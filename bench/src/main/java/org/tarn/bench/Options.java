package org.tarn.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@link Bench}'s settings, parsed by {@link Harness#parse}. Sizes in bytes
 * accept a {@code k}, {@code m} or {@code g} suffix (binary units); MiB counts
 * accept fractions.
 */
@Command(name = "bench", customSynopsis = "bench/run.sh [--key=value ...]")
final class Options extends Harness.CommonOptions {
    private static final List<String> PARTS = List.of("seq", "rand", "txg");

    @Option(names = "--dir", paramLabel = "PATH", description = {
        "where device and raw files go (default: bench/target/bench-data);",
        "Tarn and the raw baseline always share this directory"})
    Path dir = Path.of(System.getProperty("tarn.bench.dir", "target/bench-data"));

    @Option(names = "--runs", paramLabel = "N",
            description = "measured runs per row; the report shows the median (default 5)")
    int runs = 5;

    @Option(names = "--warmup", paramLabel = "N",
            description = "unmeasured warm-up rounds per row, at reduced size (default 1)")
    int warmup = 1;

    @Option(names = "--only", paramLabel = "LIST", split = ",", hideParamSyntax = true,
            description = "any of seq,rand,txg (default: all three)")
    Set<String> only = Set.copyOf(PARTS);

    @Option(names = "--seqMiB", paramLabel = "N", converter = Harness.MibBytes.class,
            description = "bytes written by the sequential row (default 256)")
    long seqBytes = 256L << 20;

    @Option(names = "--seqChunk", paramLabel = "SIZE", converter = Harness.IntBytes.class,
            description = "bytes per write, and per transaction, sequentially (default 1m)")
    int seqChunkBytes = 1 << 20;

    @Option(names = "--randObjectMiB", paramLabel = "N", converter = Harness.MibBytes.class,
            description = "size of the preallocated object / file for random writes (default 128)")
    long randObjectBytes = 128L << 20;

    @Option(names = "--randMiB", paramLabel = "N", converter = Harness.MibBytes.class,
            description = "bytes written per random run, per row (default 16)")
    long randBytes = 16L << 20;

    @Option(names = "--randSizes", paramLabel = "LIST", split = ",", hideParamSyntax = true,
            converter = Harness.IntBytes.class, description = "random write sizes (default 4k,128k)")
    List<Integer> randSizes = List.of(4096, 128 * 1024);

    @Option(names = "--randSyncEvery", paramLabel = "K",
            description = "also a row syncing every K writes of the smallest size; 0: none (default 256)")
    int randSyncEvery = 256;

    @Option(names = "--dirtyMiB", paramLabel = "LIST", split = ",", hideParamSyntax = true,
            converter = Harness.MibBytes.class,
            description = "dirty sizes for the txg sync time rows (default 1,4,16,64)")
    List<Long> dirtyBytes = List.of(1L << 20, 4L << 20, 16L << 20, 64L << 20);

    @Option(names = "--recordSize", paramLabel = "SIZE", converter = Harness.IntBytes.class,
            description = "the pool's recordSizeBytes for seq and txg rows (default 128k)")
    int recordSizeBytes = 128 * 1024;

    @Option(names = "--checksum", paramLabel = "NAME", description = "crc32c or sha256 (default crc32c)")
    String checksum = "crc32c";

    @Option(names = "--props", paramLabel = "K=V,K=V", split = ",", hideParamSyntax = true, description = {
        "more pool properties for every pool, e.g. txg.dirtyLimitBytes=67108864;",
        "the txg rows then still raise the dirty limits and timeout themselves"})
    Map<String, String> poolProps = new LinkedHashMap<>();

    @Option(names = "--profile", paramLabel = "BOOL", arity = "1", description = {
        "after measuring, one extra sampled run per Tarn row: prints where",
        "the engine's threads spend their time (default false)"})
    boolean profile;

    @Option(names = "--settleMillis", paramLabel = "N",
            description = "sleep N ms before each timed section (after its GC); default 0")
    long settleMillis;

    static Options parse(String... args) {
        return Harness.parse(new Options(), args);
    }

    @Override
    void check() {
        Harness.atLeast("--runs", runs, 1);
        Harness.atLeast("--warmup", warmup, 0);
        Harness.oneOf("--only", only, PARTS);
        Harness.bytesWithin("--seqChunk", seqChunkBytes, 1, 64L << 20);
        for (int size : randSizes) {
            Harness.bytesWithin("--randSizes", size, 1, 16L << 20);
            if (size > randObjectBytes) {
                throw new IllegalArgumentException("--randSizes: " + size + " is larger than the object ("
                        + randObjectBytes + " bytes)");
            }
        }
        Harness.atLeast("--randSyncEvery", randSyncEvery, 0);
        Harness.bytesWithin("--recordSize", recordSizeBytes, 4096, 1 << 20);
        for (String key : poolProps.keySet()) {
            if (key.equals("recordSizeBytes") || key.equals("checksum")) {
                throw new IllegalArgumentException("--props: set " + key + " with --"
                        + (key.equals("checksum") ? "checksum" : "recordSize") + " (the random rows pick their own)");
            }
        }
        Harness.atLeast("--settleMillis", settleMillis, 0);
    }
}
