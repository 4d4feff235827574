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

/** Runs the import/export harness once, Tarn only, with tiny pools: both rows are there, nothing is left behind. */
class ImportExportBenchSmokeTest {
    @TempDir
    Path dir;

    @Test
    void tiny_run_reports_every_device_count_pos() throws Exception {
        ImportExportBench.Config c = ImportExportBench.Config.parse("--dir=" + dir, "--devices=2,4", "--deviceMiB=16",
                "--dataMiB=1", "--runs=2", "--warmup=0", "--zfs=false", "--zfsSkipReason=smoke test");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String report = new ImportExportBench(c, new PrintStream(log, true, StandardCharsets.UTF_8)).run();

        assertThat(report)
                .startsWith("## Tarn import/export results\n\n- started: ")
                .contains("\n- engine revision: ")
                .contains("\n- options: `--dir=")
                .contains("**not compared**: smoke test")
                .doesNotContain("### Engine problems")
                .doesNotContain("### Notes");
        assertThat(report.lines().filter(l -> l.matches("\\| [24] \\| [0-9.]+ \\([0-9.]+\\) \\| [0-9.]+ \\([0-9.]+\\) .*"))
                .count()).isEqualTo(2);
        assertThat(report.lines().filter(l -> l.matches("\\| [24] \\| [0-9.]+ \\| – \\| [0-9.]+ \\([0-9.]+\\) .*"))
                .count()).isEqualTo(2);
        try (var left = Files.list(dir)) {
            assertThat(left.toList()).isEmpty();
        }
    }

    @Test
    void median_of_an_even_count_pos() {
        assertThat(ImportExportBench.median(List.of(3.0, 1.0, 2.0, 10.0))).isEqualTo(2.5);
    }
}
