package org.tarn.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import picocli.CommandLine.ParameterException;

/** The three harnesses' option parsing through {@link Harness}: what it accepts, what it refuses and how it says so. */
class HarnessOptionsTest {

    // ---- accepted -------------------------------------------------------------

    @Test
    void nothing_given_keeps_the_defaults_pos() {
        Options o = Options.parse();
        assertThat(o.runs).isEqualTo(5);
        assertThat(o.only).containsExactlyInAnyOrder("seq", "rand", "txg");
        assertThat(o.seqBytes).isEqualTo(256L << 20);
        assertThat(o.randSizes).containsExactly(4096, 128 * 1024);
        assertThat(o.poolProps).isEmpty();
        assertThat(o.profile).isFalse();
        assertThat(o.out).isNull();
        assertThat(o.given).isEmpty();
        assertThat(o.givenText()).isEqualTo("defaults");

        FailoverBench.Settings f = FailoverBench.Settings.parse();
        assertThat(f.reps).isEqualTo(9);
        assertThat(f.seconds).isEqualTo(6.0);
        assertThat(f.only).containsExactlyInAnyOrder("latency", "throughput");

        ImportExportBench.Config c = ImportExportBench.Config.parse();
        assertThat(c.devices).containsExactly(4, 64, 256);
        assertThat(c.deviceBytes()).isEqualTo(64L << 20);
        assertThat(c.scan).isTrue();
        assertThat(c.zfs).isEqualTo("auto");
        assertThat(c.dir).isAbsolute();
    }

    @Test
    void sizes_take_binary_suffixes_and_mib_fractions_pos() {
        Options o = Options.parse("--seqMiB=0.5", "--seqChunk=64k", "--randSizes=8k,1M,4096", "--recordSize=1m",
                "--dirtyMiB=1,4", "--randObjectMiB=2");
        assertThat(o.seqBytes).isEqualTo(512 * 1024);
        assertThat(o.seqChunkBytes).isEqualTo(64 * 1024);
        assertThat(o.randSizes).containsExactly(8192, 1 << 20, 4096);
        assertThat(o.recordSizeBytes).isEqualTo(1 << 20);
        assertThat(o.dirtyBytes).containsExactly(1L << 20, 4L << 20);
        assertThat(o.randObjectBytes).isEqualTo(2L << 20);
        // 0.001 MiB is 1048 bytes: rounded down to 4 KiB that would be nothing
        assertThatThrownBy(() -> Options.parse("--randMiB=0.001")).isInstanceOf(ParameterException.class);
        assertThat(new Harness.Bytes().convert("2g")).isEqualTo(2L << 30);
        assertThat(new Harness.Bytes().convert(" 7 ")).isEqualTo(7L);
        assertThat(new Harness.MibBytes().convert("0.01")).isEqualTo(8192L);
    }

    @Test
    void other_values_parse_to_their_types_pos() {
        Options o = Options.parse("--only=txg,seq", "--props=txg.dirtyLimitBytes=67108864,dirtyMaxBytes=268435456",
                "--profile=true", "--checksum=sha256", "--settleMillis=250", "--out=/tmp/report.md");
        assertThat(o.only).containsExactlyInAnyOrder("txg", "seq");
        assertThat(o.poolProps).containsExactly(entry("txg.dirtyLimitBytes", "67108864"),
                entry("dirtyMaxBytes", "268435456"));
        assertThat(o.profile).isTrue();
        assertThat(o.checksum).isEqualTo("sha256");
        assertThat(o.settleMillis).isEqualTo(250);
        assertThat(o.out).isEqualTo(Path.of("/tmp/report.md"));

        FailoverBench.Settings f = FailoverBench.Settings.parse("--reps=3", "--seconds=2.5", "--only=latency");
        assertThat(f.reps).isEqualTo(3);
        assertThat(f.seconds).isEqualTo(2.5);
        assertThat(f.only).containsExactly("latency");

        ImportExportBench.Config c = ImportExportBench.Config.parse("--devices=4,64", "--runs=7", "--zfs=false",
                "--zfsSkipReason=no fuse here", "--scan=false", "--deviceMiB=16", "--dir=/tmp/x/../y");
        assertThat(c.devices).containsExactly(4, 64);
        assertThat(c.runs).isEqualTo(7);
        assertThat(c.zfs).isEqualTo("false");
        assertThat(c.zfsSkipReason).isEqualTo("no fuse here");
        assertThat(c.scan).isFalse();
        assertThat(c.deviceBytes()).isEqualTo(16L << 20);
        assertThat(c.dir).isEqualTo(Path.of("/tmp/y"));
    }

    @Test
    void given_map_records_the_options_as_given_and_the_last_value_counts_pos() {
        // as the scripts call the harness: --dir first, so that the caller's --dir wins
        Options o = Options.parse("--dir=/data/default", "--runs=3", "--randSizes=8k,1m", "--dir=/data/mine",
                "--seqMiB=0.5");
        assertThat(o.dir).isEqualTo(Path.of("/data/mine"));
        assertThat(o.given).containsExactly(entry("dir", "/data/mine"), entry("runs", "3"),
                entry("randSizes", "8k,1m"), entry("seqMiB", "0.5"));
        assertThat(o.givenText()).isEqualTo("`--dir=/data/mine --runs=3 --randSizes=8k,1m --seqMiB=0.5`");

        // run-import.sh appends --zfs=false when zfs-fuse cannot be had
        ImportExportBench.Config c = ImportExportBench.Config.parse("--zfs=true", "--zfs=false",
                "--zfsSkipReason=no /dev/fuse on this machine");
        assertThat(c.zfs).isEqualTo("false");
        assertThat(c.given).containsExactly(entry("zfs", "false"),
                entry("zfsSkipReason", "no /dev/fuse on this machine"));

        // a repeated list option adds to the list; the given map shows the whole list
        ImportExportBench.Config d = ImportExportBench.Config.parse("--devices=4", "--devices=64,256");
        assertThat(d.devices).containsExactly(4, 64, 256);
        assertThat(d.given).containsExactly(entry("devices", "4,64,256"));

        // the separate form, --key value, is recorded the same way
        FailoverBench.Settings f = FailoverBench.Settings.parse("--reps", "4");
        assertThat(f.given).containsExactly(entry("reps", "4"));
    }

    @Test
    void help_is_usage_generated_from_the_descriptions_pos() {
        Options o = Options.parse("--runs=3", "--help");
        assertThat(o.help).isTrue();
        String usage = Harness.usage(o);
        assertThat(usage)
                .startsWith("Usage: bench/run.sh [--key=value ...]\n\n")
                .containsPattern(line("--runs=N", "measured runs per row; the report shows the median (default 5)"))
                .containsPattern(line("--only=LIST", "any of seq,rand,txg (default: all three)"))
                .containsPattern(line("--props=K=V,K=V", "more pool properties for every pool, e.g."
                        + " txg.dirtyLimitBytes=67108864;\n", "the txg rows then still raise the dirty limits"))
                .containsPattern(line("--out=FILE", "also write the Markdown report to FILE"))
                .containsPattern(line("-h, --help", "this text"));
        assertThat(usage.indexOf("--settleMillis")).isLessThan(usage.indexOf("--out"));
        assertThat(Harness.usage(FailoverBench.Settings.parse("-h")))
                .startsWith("Usage: bench/run-failover.sh [--key=value ...]\n\n")
                .containsPattern(line("--suspendDirtyMaxMiB=N", "(b) the pool's dirtyMaxBytes in MiB (default 8)"));
        assertThat(Harness.usage(ImportExportBench.Config.parse("--help")))
                .startsWith("Usage: bench/run-import.sh [--key=value ...]\n\n")
                .containsPattern(line("--zfs=MODE", "auto: compare with zfs-fuse when `zpool list` answers;"
                        + " true: require\n", "it; false: Tarn only (default auto)"));
    }

    /** A pattern for an option's line in the usage: its name, spaces, its description's lines (each after spaces). */
    private static String line(String option, String... descriptionLines) {
        StringBuilder sb = new StringBuilder(Pattern.quote(option));
        for (String d : descriptionLines) {
            sb.append(" +").append(Pattern.quote(d));
        }
        return sb.toString();
    }

    // ---- refused ----------------------------------------------------------------

    @Test
    void unknown_options_and_bare_words_are_refused_neg() {
        refused(() -> Options.parse("--colour=blue")).hasMessage("Unknown option: '--colour=blue'");
        refused(() -> Options.parse("runs=3")).hasMessageContaining("Unmatched argument at index 0: 'runs=3'");
        refused(() -> FailoverBench.Settings.parse("--colour=blue")).hasMessageContaining("'--colour=blue'");
        refused(() -> ImportExportBench.Config.parse("--colour=blue")).hasMessageContaining("'--colour=blue'");
    }

    @Test
    void malformed_values_name_the_option_and_the_value_neg() {
        refused(() -> Options.parse("--runs=x")).hasMessage("Invalid value for option '--runs': 'x' is not an int");
        refused(() -> Options.parse("--seqChunk=12q")).hasMessageContaining("--seqChunk")
                .hasMessageContaining("not a size: '12q'");
        refused(() -> Options.parse("--randSizes=4k,,8k")).hasMessageContaining("--randSizes")
                .hasMessageContaining("not a size: ''");
        refused(() -> Options.parse("--seqChunk=99999999999g")).hasMessageContaining("not a size");
        refused(() -> Options.parse("--recordSize=4g")).hasMessageContaining("too large: '4g'");
        refused(() -> Options.parse("--seqMiB=lots")).hasMessageContaining("not a number of MiB: 'lots'");
        refused(() -> Options.parse("--seqMiB=0.001")).hasMessageContaining("must be at least 4 KiB");
        refused(() -> Options.parse("--profile")).hasMessageContaining("Missing required parameter for option"
                + " '--profile'");
        refused(() -> Options.parse("--profile=maybe")).hasMessageContaining("'maybe' is not a boolean");
        refused(() -> Options.parse("--props=junk")).hasMessageContaining("KEY=VALUE");
        refused(() -> FailoverBench.Settings.parse("--seconds=soon")).hasMessageContaining("'soon'");
        refused(() -> ImportExportBench.Config.parse("--scan=yes")).hasMessageContaining("'yes' is not a boolean");
    }

    @Test
    void values_out_of_range_or_disagreeing_are_refused_neg() {
        refused(() -> Options.parse("--runs=0")).hasMessage("--runs: must be at least 1, got 0");
        refused(() -> Options.parse("--warmup=-1")).hasMessage("--warmup: must be at least 0, got -1");
        refused(() -> Options.parse("--only=seq,disk")).hasMessage("--only: unknown part 'disk'; use seq, rand, txg");
        refused(() -> Options.parse("--only=")).hasMessage("--only: unknown part ''; use seq, rand, txg");
        refused(() -> Options.parse("--seqChunk=128m"))
                .hasMessage("--seqChunk: 134217728 bytes; must lie between 1 and 67108864 bytes");
        refused(() -> Options.parse("--recordSize=2k")).hasMessageContaining("--recordSize: 2048 bytes");
        refused(() -> Options.parse("--randObjectMiB=1", "--randSizes=2m"))
                .hasMessageContaining("larger than the object");
        refused(() -> Options.parse("--props=checksum=sha256")).hasMessageContaining("set checksum with --checksum");
        refused(() -> Options.parse("--props=recordSizeBytes=4096")).hasMessageContaining("with --recordSize");

        refused(() -> FailoverBench.Settings.parse("--reps=0")).hasMessage("--reps: must be at least 1, got 0");
        refused(() -> FailoverBench.Settings.parse("--seconds=0.1")).hasMessageContaining("at least 0.5");
        refused(() -> FailoverBench.Settings.parse("--suspendDirtyMaxMiB=1")).hasMessageContaining("at least 2");
        refused(() -> FailoverBench.Settings.parse("--only=latency,disk")).hasMessageContaining("unknown part 'disk'");

        refused(() -> ImportExportBench.Config.parse("--devices=5")).hasMessageContaining("5 is odd");
        refused(() -> ImportExportBench.Config.parse("--devices=0")).hasMessageContaining("at least 2");
        refused(() -> ImportExportBench.Config.parse("--devices=")).hasMessageContaining("--devices")
                .hasMessageContaining("'' is not an int");
        refused(() -> ImportExportBench.Config.parse("--zfs=maybe")).hasMessage("--zfs: auto, true or false,"
                + " got 'maybe'");
        refused(() -> ImportExportBench.Config.parse("--deviceMiB=8")).hasMessageContaining("at least 16");
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(ThrowingCallable parse) {
        return assertThatThrownBy(parse).isInstanceOf(ParameterException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    // ---- main -----------------------------------------------------------------

    @Test
    void main_exits_2_with_one_line_on_bad_usage_neg() throws Exception {
        Result r = runMain(Bench.class, "--runs=x");
        assertThat(r.status).isEqualTo(2);
        assertThat(r.stdout).isEmpty();
        assertThat(r.stderr).isEqualTo("bench: Invalid value for option '--runs': 'x' is not an int"
                + " (--help lists the options)\n");
        Result f = runMain(FailoverBench.class, "--reps=0");
        assertThat(f.status).isEqualTo(2);
        assertThat(f.stderr).isEqualTo("failover-bench: --reps: must be at least 1, got 0 (--help lists the options)\n");
    }

    @Test
    void main_prints_usage_on_help_pos() throws Exception {
        Result r = runMain(ImportExportBench.class, "--help");
        assertThat(r.status).isZero();
        assertThat(r.stdout).isEqualTo(Harness.usage(new ImportExportBench.Config()));
        assertThat(r.stderr).isEmpty();
    }

    private record Result(int status, String stdout, String stderr) {
    }

    /** Runs a harness's main in a JVM of its own, on this test's class path (main ends with System.exit). */
    private static Result runMain(Class<?> harness, String... args) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(harness.getName());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }
}
