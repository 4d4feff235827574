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

    // ---- by the file a path reaches, not by its spelling ---------------------------------------

    private static String digest(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(file)));
    }

    /** A file outside the search paths with recognizable contents: it must never change. */
    private Path victim() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path victim = outside.resolve("precious");
        byte[] data = new byte[(int) TestPools.DEVICE_BYTES];
        java.util.Arrays.fill(data, (byte) 0x5a);
        Files.write(victim, data);
        return victim;
    }

    private Engine confinedEngine(Path searchPath, PathPolicy policy) {
        return TarnEngine.start(EngineSettings.ephemeral().withSearchPaths(List.of(searchPath)).withPathPolicy(policy),
                new TestPools.Drivers().list());
    }

    @Test
    void a_link_inside_the_search_paths_to_a_file_outside_is_refused_everywhere_neg() throws Exception {
        Path inside = Files.createDirectories(dir.resolve("devices"));
        Path victim = victim();
        String before = digest(victim);
        Path link = Files.createSymbolicLink(inside.resolve("d0"), victim);
        Path dirLink = Files.createSymbolicLink(inside.resolve("sub"), victim.getParent());
        try (Engine engine = confinedEngine(inside, PathPolicy.searchPathsOnly("widen"))) {
            for (String named : List.of(link.toString(), "fault:" + link, dirLink.resolve("precious").toString())) {
                assertThatThrownBy(() -> engine.createPool("evil", VdevLayout.parse(named), Map.of(), true))
                        .as(named).hasMessageContaining("outside the search paths")
                        .hasMessageContaining("leads to " + victim.toRealPath())
                        .extracting(PathPolicyTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            }
            assertThatThrownBy(() -> engine.openPool(List.of(link.toString()), false))
                    .hasMessageContaining("outside the search paths");
            assertThatThrownBy(() -> engine.scan(List.of(dirLink.toString())))
                    .hasMessageContaining("outside the search paths");
            assertThat(engine.pools()).isEmpty();
        }
        assertThat(digest(victim)).isEqualTo(before);
    }

    @Test
    void a_scan_skips_links_out_of_the_search_paths_without_reading_them_neg() throws Exception {
        Path inside = Files.createDirectories(dir.resolve("devices"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        List<String> foreign = TestPools.devices(outside, 1);
        TestPools.Drivers drivers = new TestPools.Drivers();
        try (Engine plain = TarnEngine.start(EngineSettings.ephemeral(), drivers.list())) {
            plain.createPool("theirs", VdevLayout.parse(foreign.get(0)), Map.of(), false);
            plain.exportPool("theirs", false);
        }
        Path link = Files.createSymbolicLink(inside.resolve("looks-local"), Path.of(foreign.get(0)));
        try (Engine engine = confinedEngine(inside, PathPolicy.searchPathsOnly("widen"))) {
            var scan = engine.scan(List.of());
            assertThat(scan.pools()).isEmpty();
            assertThat(scan.skipped()).singleElement().satisfies(s -> {
                assertThat(s.path()).isEqualTo(link.toString());
                assertThat(s.reason()).contains("outside the search paths");
            });
            assertThatThrownBy(() -> engine.importPool("theirs", ImportOptions.defaults()))
                    .extracting(PathPolicyTest::code).isEqualTo(ErrorCode.POOL_NOT_FOUND);
            assertThat(engine.pools()).isEmpty();
        }
    }

    @Test
    void links_within_the_search_paths_and_into_allowed_directories_work_pos() throws Exception {
        Path inside = Files.createDirectories(dir.resolve("devices"));
        Path byId = Files.createDirectories(inside.resolve("by-id"));
        Path disks = Files.createDirectories(dir.resolve("disks"));
        List<String> local = TestPools.devices(Files.createDirectories(inside.resolve("real")), 1);
        List<String> disk = TestPools.devices(disks, 1);
        Path localLink = Files.createSymbolicLink(byId.resolve("wwn-local"), Path.of(local.get(0)));
        Path diskLink = Files.createSymbolicLink(byId.resolve("wwn-disk"), Path.of(disk.get(0)));
        PathPolicy policy = PathPolicy.searchPathsOnly("widen").allowingLinksInto(List.of(disks));
        try (Engine engine = confinedEngine(inside, policy)) {
            var pool = engine.createPool("tank", VdevLayout.parse("mirror " + localLink + " " + diskLink), Map.of(),
                    false);
            // the pool records the names the operator gave (by-id links), not where they lead today
            assertThat(pool.vdevTree().children().get(0).children()).extracting(v -> v.path())
                    .containsExactly(localLink.toString(), diskLink.toString());
            // the link target itself is not a search path
            assertThatThrownBy(() -> engine.createPool("direct", VdevLayout.parse(disk.get(0)), Map.of(), true))
                    .hasMessageContaining("outside the search paths");
            engine.exportPool("tank", false);
            engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(byId.toString())));
            assertThat(engine.pools()).containsExactly("tank");
        }
    }

    @Test
    void dangling_links_dot_segments_and_look_alike_prefixes_are_refused_neg() throws Exception {
        Path inside = Files.createDirectories(dir.resolve("devices"));
        Files.createDirectories(dir.resolve("devices-evil"));
        TestPools.devices(dir.resolve("devices-evil"), 1);
        Path dangling = Files.createSymbolicLink(inside.resolve("later"), dir.resolve("outside/not-yet"));
        PathPolicy p = PathPolicy.searchPathsOnly("widen");
        List<Path> roots = List.of(inside);
        for (String bad : List.of(dangling.toString(), inside + "/../devices-evil/d0", dir + "/devices-evil/d0",
                inside + "/./../../" + dir.getFileName() + "/devices-evil/d0", "file:" + inside + "/../outside",
                inside + "/x\u0000y")) {
            assertThat(p.permits(bad, roots)).as(bad).isFalse();
        }
        assertThat(p.permits(inside + "//d9", roots)).isTrue();
        assertThat(p.permits(inside + "/sub/../d9", roots)).isTrue();
    }

    @Test
    void a_link_swapped_while_pools_are_created_never_lets_a_write_out_neg() throws Exception {
        Path inside = Files.createDirectories(dir.resolve("devices"));
        Path victim = victim();
        String before = digest(victim);
        List<String> good = TestPools.devices(Files.createDirectories(inside.resolve("real")), 1);
        Path link = inside.resolve("flip");
        Path tmpLink = inside.resolve("flip.tmp");
        Files.createSymbolicLink(link, Path.of(good.get(0)));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread flipper = new Thread(() -> {
            boolean evil = true;
            while (!stop.get()) {
                try {
                    Files.deleteIfExists(tmpLink);
                    Files.createSymbolicLink(tmpLink, evil ? victim : Path.of(good.get(0)));
                    Files.move(tmpLink, link, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    evil = !evil;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }, "link-flipper");
        int created = 0;
        int refused = 0;
        try (Engine engine = confinedEngine(inside, PathPolicy.searchPathsOnly("widen"))) {
            flipper.start();
            for (int i = 0; i < 40; i++) {
                try {
                    engine.createPool("race", VdevLayout.parse(link.toString()), Map.of(), true);
                    created++;
                    engine.exportPool("race", false);
                } catch (TarnException e) {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    refused++;
                }
            }
        } finally {
            stop.set(true);
            flipper.join();
        }
        assertThat(created + refused).isEqualTo(40);
        assertThat(digest(victim)).as("the file outside the search paths").isEqualTo(before);
    }
}
