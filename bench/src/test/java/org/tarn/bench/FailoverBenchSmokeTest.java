package org.tarn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the failover harness once with tiny sizes: every row is there, and nothing is left behind. */
class FailoverBenchSmokeTest {
    @TempDir
    Path dir;

    @Test
    void tiny_run_reports_every_row_pos() throws Exception {
        FailoverBench.Settings o = FailoverBench.Settings.parse("--dir=" + dir, "--reps=1", "--warmup=0",
                "--hungMiB=1", "--suspendDirtyMaxMiB=4", "--fullDirtyMaxMiB=4", "--seconds=1", "--pairs=1",
                "--objectMiB=8", "--syncEveryMiB=4");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String report = new FailoverBench(o, new PrintStream(log, true, StandardCharsets.UTF_8)).run();

        assertThat(report)
                .startsWith("## Tarn failover benchmark results\n\n- started: ")
                .contains("\n- engine revision: ")
                .contains("\n- options: `--dir=")
                .contains("| (a) Device hung mid-write, sync in progress |")
                .contains("| (b) Failing writes: pool SUSPENDED (failmode=wait), writers blocked |")
                .contains("| (c) Full dirty buffer: writers blocked at dirtyMaxBytes behind a hung sync |")
                .contains("| MiB/s over the whole interval (median) |")
                .contains("| MiB/s in T/2–T (after the force export) |")
                .contains("### Problems seen")
                .doesNotContain("still blocked")
                .doesNotContain("n/a |");
        assertThat(report.lines().filter(l -> l.startsWith("| (") && l.contains("× POOL_EXPORTED")).count())
                .isEqualTo(3);
        try (var left = Files.list(dir)) {
            assertThat(left.toList()).isEmpty();
        }
    }
}
