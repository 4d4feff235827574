package org.tarn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the harness once with tiny sizes: the report has every row, and nothing is left behind. */
class BenchSmokeTest {
    @TempDir
    Path dir;

    @Test
    void tiny_run_reports_every_row_pos() throws Exception {
        Options o = Options.parse("--dir=" + dir, "--runs=1", "--warmup=0", "--seqMiB=2", "--randObjectMiB=1",
                "--randMiB=0.25", "--randSizes=4k,128k", "--randSyncEvery=16", "--dirtyMiB=1,2");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String report = new Bench(o, new PrintStream(log, true, StandardCharsets.UTF_8)).run();

        assertThat(report)
                .startsWith("## Tarn benchmark results\n\n- started: ")
                .contains("\n- engine revision: ")
                .contains("\n- options: `--dir=")
                .contains("| Sequential write 2 MiB, 1 MiB per tx, one sync at the end |")
                .contains("| Random 4 KiB writes (recordsize 128 KiB), 64 writes = 256 KiB in a 1 MiB object,"
                        + " one sync at the end |")
                .contains("| Random 4 KiB writes (recordsize 4 KiB), 64 writes")
                .contains("| Random 128 KiB writes (recordsize 128 KiB), 2 writes")
                .contains("| Random 4 KiB writes (recordsize 4 KiB), 64 writes = 256 KiB in a 1 MiB object,"
                        + " sync every 16 writes |")
                .contains("| Txg sync time, 1 MiB dirty |")
                .contains("| Txg sync time, 2 MiB dirty |")
                .contains("### Where Tarn's time goes")
                .doesNotContain("n/a |");
        long tableRows = report.lines().filter(l -> l.startsWith("| ") && l.contains(" MiB/s |")
                || l.startsWith("| Txg sync time") && l.contains(" ms |")).count();
        assertThat(tableRows).isEqualTo(7);
        try (var left = Files.list(dir)) {
            assertThat(left.toList()).isEmpty();
        }
    }

    @Test
    void median_of_odd_and_even_counts_pos() {
        assertThat(Bench.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(Bench.median(List.of(4.0, 1.0, 2.0, 3.0))).isEqualTo(2.5);
    }
}
