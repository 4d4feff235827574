package org.tarn.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;

/** The engine's path policy, alone and as every management call meets it. */
class PathPolicyTest {
    @TempDir
    Path dir;

    private static ErrorCode code(Throwable t) {
        return ((TarnException) t).code();
    }

    @Test
    void unrestricted_allows_any_path_pos() {
        assertThatCode(() -> PathPolicy.unrestricted().check("/etc/passwd", List.of())).doesNotThrowAnyException();
    }

    @Test
    void confined_allows_paths_under_a_root_with_or_without_a_driver_scheme_pos() {
        PathPolicy p = PathPolicy.searchPathsOnly("widen it");
        List<Path> roots = List.of(dir.resolve("a"), dir.resolve("b"));
        assertThatCode(() -> {
            p.check(dir.resolve("a/d0").toString(), roots);
            p.check("fault:" + dir.resolve("b/d1"), roots);
            p.check("file:" + dir.resolve("a/x/../d2"), roots);
        }).doesNotThrowAnyException();
    }

    @Test
    void confined_refuses_paths_outside_every_root_neg() {
        PathPolicy p = PathPolicy.searchPathsOnly("add the directory to search.paths");
        List<Path> roots = List.of(dir.resolve("a"));
        for (String bad : List.of("/etc/passwd", "fault:/etc/passwd", dir.resolve("a/../b/d0").toString(),
                dir.resolve("ab").toString(), "", "fault:")) {
            assertThatThrownBy(() -> p.check(bad, roots)).as(bad)
                    .hasMessageContaining("outside the search paths")
                    .hasMessageContaining("add the directory to search.paths")
                    .extracting(PathPolicyTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        }
    }

    @Test
    void confined_without_search_paths_refuses_everything_neg() {
        assertThatThrownBy(() -> PathPolicy.searchPathsOnly("").check(dir.resolve("d0").toString(), List.of()))
                .extracting(PathPolicyTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void a_confined_engine_refuses_every_call_naming_a_path_outside_and_changes_nothing_neg() throws Exception {
        Path inside = Files.createDirectories(dir.resolve("devices"));
        Path outside = Files.createDirectories(dir.resolve("elsewhere"));
        List<String> in = TestPools.devices(inside, 1);
        List<String> out = TestPools.devices(outside, 1);
        TestPools.Drivers drivers = new TestPools.Drivers();
        EngineSettings s = EngineSettings.ephemeral().withSearchPaths(List.of(inside))
                .withPathPolicy(PathPolicy.searchPathsOnly("configure search.paths"));
        try (Engine engine = TarnEngine.start(s, drivers.list())) {
            assertThatThrownBy(() -> engine.createPool("evil", VdevLayout.parse(out.get(0)), Map.of(), false))
                    .extracting(PathPolicyTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThatThrownBy(() -> engine.createPool("evil", VdevLayout.parse("mirror " + in.get(0) + " "
                    + out.get(0)), Map.of(), false)).hasMessageContaining(out.get(0));
            assertThatThrownBy(() -> engine.openPool(out, true)).hasMessageContaining("outside the search paths");
            assertThatThrownBy(() -> engine.scan(List.of("/etc"))).hasMessageContaining("outside the search paths");
            assertThatThrownBy(() -> engine.importPool("tank", ImportOptions.defaults()
                    .withDirs(List.of(outside.toString())))).hasMessageContaining("outside the search paths");
            assertThat(engine.pools()).isEmpty();
            // the device named in the refused mirror was not touched: it still has no label
            assertThat(engine.scan(List.of()).pools()).isEmpty();

            engine.createPool("tank", VdevLayout.parse(in.get(0)), Map.of(), false);
            assertThat(engine.pools()).containsExactly("tank");
        }
    }

    @Test
    void a_stopped_engine_refuses_calls_with_a_clear_error_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        Engine engine = TarnEngine.start(EngineSettings.ephemeral(), new TestPools.Drivers().list());
        engine.createPool("tank", VdevLayout.parse(d.get(0)), Map.of(), false);
        engine.close();
        assertThat(engine.pools()).isEmpty();
        assertThatThrownBy(() -> engine.createPool("t2", VdevLayout.parse(d.get(0)), Map.of(), true))
                .extracting(PathPolicyTest::code).isEqualTo(ErrorCode.ENGINE_STOPPED);
        assertThatThrownBy(() -> engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(
                dir.toString())))).hasMessageContaining("stopped").extracting(PathPolicyTest::code)
                .isEqualTo(ErrorCode.ENGINE_STOPPED);
        assertThatThrownBy(() -> engine.exportPool("tank", false)).extracting(PathPolicyTest::code)
                .isEqualTo(ErrorCode.ENGINE_STOPPED);
        assertThatCode(engine::close).as("close is idempotent").doesNotThrowAnyException();
    }
}
