package org.tarn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.VdevLayout;
import org.tarn.cli.CliFixture.Result;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.file.FileVdevDriver;

/** {@code tarnctl import} shows the multihost activity check counting down while it waits. */
class ImportProgressTest {
    @TempDir
    Path dir;

    @Test
    void import_of_a_multihost_pool_shows_the_activity_check_counting_down_neg() throws Exception {
        try (CliFixture fx = new CliFixture(dir);
             Engine other = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()))) {
            List<String> d = fx.devices(1);
            other.createPool("mh", VdevLayout.parse(d.get(0)), Map.of("multihost", "on"), false);
            // the other host beats: the check sees it and refuses, after showing its countdown
            Result r = fx.run("import", "-d", dir.toString(), "-f", "mh");
            assertThat(r.exit()).as("%s", r).isEqualTo(TarnCtl.EXIT_ERROR);
            assertThat(r.err()).contains("cannot import 'mh'").contains("TARN-22").contains("heartbeat moved");

            other.forceExport("mh"); // the other host is gone: the check runs to its end
            Result ok = fx.run("import", "-d", dir.toString(), "-f", "mh");
            assertThat(ok.exit()).as("%s", ok).isZero();
            assertThat(ok.err()).as("the countdown on stderr").contains("mh: checking multihost activity, ")
                    .contains(" s left");
            assertThat(fx.engine.pools()).containsExactly("mh");
            assertThat(fx.engine.importsInProgress()).isEmpty();
        }
    }
}
