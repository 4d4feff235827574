package org.tarn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.cli.CliFixture.Result;

/** tarnctl against an in-process engine over JMX: output, exit codes and errors of every command. */
class TarnCtlTest {
    @TempDir
    Path dir;

    private CliFixture fx;
    private List<String> d;

    @BeforeEach
    void start() throws Exception {
        fx = new CliFixture(dir);
        d = fx.devices(4);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    private Result ok(String... args) {
        Result r = fx.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isZero();
        assertThat(r.err()).as(String.join(" ", args)).isEmpty();
        return r;
    }

    private Result fails(int exit, String... args) {
        Result r = fx.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isEqualTo(exit);
        return r;
    }

    private void createTank() {
        assertThat(ok("create", "-o", "comment=rack 4", "tank", "mirror", d.get(0), d.get(1)).out()).isEmpty();
    }

    @Test
    void create_then_list_shows_aligned_columns_pos() {
        assertThat(ok("list").out()).isEqualTo("no pools available\n");
        createTank();
        List<String> lines = ok("list").outLines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).split("\\s+")).containsExactly("NAME", "SIZE", "ALLOC", "FREE", "CAP", "DIRTY", "TXG",
                "HEALTH");
        assertThat(lines.get(1)).startsWith("tank  ").endsWith("ONLINE");
        assertThat(lines.get(1).split("\\s+")[1]).matches("\\d+(\\.\\d+)?[BKMGTPE]");
        assertThat(lines.get(1).split("\\s+")[4]).matches("\\d+%");
        // columns line up: HEALTH starts at the same offset in header and row
        assertThat(lines.get(1).indexOf("ONLINE")).isEqualTo(lines.get(0).indexOf("HEALTH"));
        // right-aligned numbers end under their header
        assertThat(lines.get(1).indexOf(lines.get(1).split("\\s+")[1]) + lines.get(1).split("\\s+")[1].length())
                .isEqualTo(lines.get(0).indexOf("SIZE") + 4);
    }

    @Test
    void list_scripted_exact_pos() throws Exception {
        createTank();
        long size = fx.engine.pool("tank").orElseThrow().sizeBytes();
        List<String> lines = ok("list", "-H", "-p").outLines();
        assertThat(lines).hasSize(1);
        String[] f = lines.get(0).split("\t", -1);
        assertThat(f).hasSize(8);
        assertThat(f[0]).isEqualTo("tank");
        assertThat(f[1]).isEqualTo(Long.toString(size));
        assertThat(f[4]).matches("\\d+");
        assertThat(f[7]).isEqualTo("ONLINE");

        assertThat(ok("list", "-H", "-o", "name,health,readonly,failmode", "tank").out())
                .isEqualTo("tank\tONLINE\toff\twait\n".replace("wait",
                        fx.engine.pool("tank").orElseThrow().properties().get("failmode")));
    }

    @Test
    void list_of_unknown_pool_reports_it_and_lists_the_rest_neg() {
        createTank();
        Result r = fails(1, "list", "-H", "tank", "nope");
        assertThat(r.outLines()).hasSize(1).first().asString().startsWith("tank\t");
        assertThat(r.errLines()).containsExactly("cannot open 'nope': TARN-2 no pool named 'nope' is imported here");
        fails(2, "list", "-o", "bogus");
    }

    @Test
    void status_prints_the_tree_and_verbose_events_pos() {
        assertThat(ok("status").out()).isEqualTo("no pools available\n");
        createTank();
        String out = ok("status", "tank").out();
        assertThat(out).contains("pool: tank", "state: ONLINE", "mirror-0", d.get(0), d.get(1), "READ WRITE CKSUM",
                "No known data errors");
        assertThat(out).doesNotContain("events:");
        String verbose = ok("status", "-v").out();
        assertThat(verbose).contains("pool: tank", "events:", "created");
        assertThat(ok("status", "-x").out()).isEqualTo("all pools are healthy\n");
    }

    @Test
    void status_of_unknown_pool_is_one_line_with_tarn_2_neg() {
        Result r = fails(1, "status", "nope");
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("TARN-2").contains("nope");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void export_and_import_by_name_pos() {
        createTank();
        assertThat(ok("export", "tank").out()).isEmpty();
        assertThat(ok("list").out()).isEqualTo("no pools available\n");

        String listing = ok("import", "-d", dir.toString()).out();
        assertThat(listing).contains("   pool: tank", "     id: ", "  state: EXPORTED",
                "The pool can be imported using its name or numeric identifier.", "devices: mirror(" + d.get(0));

        List<String> scripted = ok("import", "-H", "-d", dir.toString()).outLines();
        assertThat(scripted).hasSize(1);
        assertThat(scripted.get(0).split("\t")).hasSize(8).startsWith("tank").contains("EXPORTED", "yes");

        ok("import", "-d", dir.toString(), "tank");
        assertThat(ok("list", "-H", "-o", "name,state").out()).isEqualTo("tank\tACTIVE\n");
    }

    @Test
    void destroy_then_import_minus_D_pos() {
        createTank();
        assertThat(ok("destroy", "tank").out()).isEmpty();
        assertThat(ok("list").out()).isEqualTo("no pools available\n");
        // a destroyed pool is not offered by a plain scan, only with -D
        assertThat(ok("import", "-d", dir.toString()).out()).doesNotContain("tank");
        assertThat(ok("import", "-D", "-d", dir.toString()).out()).contains("   pool: tank", "  state: DESTROYED");
        Result refused = fails(1, "import", "-d", dir.toString(), "tank");
        assertThat(refused.err()).contains("TARN-2").contains("destroyed");
        ok("import", "-D", "-d", dir.toString(), "tank");
        assertThat(ok("list", "-H", "-o", "name,state").out()).isEqualTo("tank\tACTIVE\n");
        fails(2, "destroy");
    }

    @Test
    void import_by_guid_under_new_name_read_only_pos() throws Exception {
        createTank();
        String guid = Long.toUnsignedString(fx.engine.pool("tank").orElseThrow().guid());
        ok("export", "tank");
        ok("import", "-d", dir.toString(), "-o", "readonly=on", guid, "pond");
        assertThat(ok("list", "-H", "-o", "name,guid,readonly").out()).isEqualTo("pond\t" + guid + "\ton\n");
        assertThat(ok("get", "-H", "readonly", "pond").out()).isEqualTo("pond\treadonly\ton\t-\n");
    }

    @Test
    void import_of_missing_pool_and_empty_scan_neg() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThat(ok("import", "-d", empty.toString()).out()).isEqualTo("no pools available to import\n");
        Result r = fails(1, "import", "-d", empty.toString(), "tank");
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("cannot import 'tank': TARN-2 ");
        fails(2, "import", "-f");
        fails(2, "import", "-T", "notanumber", "tank");
    }

    @Test
    void import_scan_of_many_devices_shows_a_progress_line_pos() {
        createTank();
        ok("export", "tank");
        int before = ProgressLine.manyDevices;
        ProgressLine.manyDevices = 4;
        try {
            Result r = fx.run("import", "-d", dir.toString());
            assertThat(r.exit()).isZero();
            assertThat(r.out()).contains("pool: tank");
            assertThat(r.err()).contains("scanning 4 devices in " + dir).contains("done in");
        } finally {
            ProgressLine.manyDevices = before;
        }
    }

    @Test
    void import_scan_that_fails_says_failed_not_done_neg() throws Exception {
        java.nio.file.Path devs = java.nio.file.Files.createTempDirectory("tarnctl-progress");
        for (int i = 0; i < 4; i++) {
            java.nio.file.Files.createFile(devs.resolve("f" + i));
        }
        int before = ProgressLine.manyDevices;
        ProgressLine.manyDevices = 4;
        java.io.StringWriter text = new java.io.StringWriter();
        try (ProgressLine progress = ProgressLine.start(new java.io.PrintWriter(text), List.of(devs))) {
            assertThat(progress).isNotNull(); // the scan throws here: succeeded() is never called
        } finally {
            ProgressLine.manyDevices = before;
        }
        assertThat(text.toString()).contains("scanning 4 devices in " + devs).contains("failed after")
                .doesNotContain("done in");
    }

    @Test
    void export_unknown_pool_is_one_line_with_tarn_2_neg() {
        Result r = fails(1, "export", "nope");
        assertThat(r.errLines()).containsExactly("cannot export 'nope': TARN-2 no pool named 'nope' is imported here");
        assertThat(r.out()).isEmpty();
        fails(2, "export");
        fails(2, "export", "-f", "-F", "tank");
    }

    @Test
    void force_export_pos() {
        createTank();
        ok("export", "-F", "tank");
        assertThat(fx.engine.pools()).isEmpty();
        ok("import", "-d", dir.toString(), "tank");
        assertThat(fx.engine.pools()).containsExactly("tank");
    }

    @Test
    void set_then_get_pos() {
        createTank();
        ok("set", "comment=hello world", "tank");
        List<String> lines = ok("get", "comment", "tank").outLines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).split("\\s+")).containsExactly("NAME", "PROPERTY", "VALUE", "SOURCE");
        assertThat(lines.get(1)).matches("tank\\s+comment\\s+hello world\\s+local");
        // never set: the engine's default; set (even to the value it had): local
        assertThat(ok("get", "-H", "failmode", "tank").out()).isEqualTo("tank\tfailmode\twait\tdefault\n");
        ok("set", "failmode=wait", "tank");
        assertThat(ok("get", "-H", "failmode", "tank").out()).isEqualTo("tank\tfailmode\twait\tlocal\n");

        assertThat(ok("get", "-H", "-p", "size,health", "tank").out()).isEqualTo(
                "tank\tsize\t" + fx.engine.pool("tank").orElseThrow().sizeBytes() + "\t-\ntank\thealth\tONLINE\t-\n");
        List<String> all = ok("get", "-H", "all").outLines();
        assertThat(all).anyMatch(l -> l.startsWith("tank\tfailmode\t"))
                .anyMatch(l -> l.equals("tank\tcomment\thello world\tlocal"))
                .anyMatch(l -> l.startsWith("tank\tcapacity\t"));
    }

    @Test
    void set_and_get_refuse_bad_input_neg() {
        createTank();
        Result bad = fails(1, "set", "bogus=1", "tank");
        assertThat(bad.errLines()).hasSize(1);
        assertThat(bad.err()).startsWith("cannot set property for 'tank': TARN-1 ");
        Result badValue = fails(1, "set", "failmode=sometimes", "tank");
        assertThat(badValue.errLines()).hasSize(1);
        assertThat(badValue.err()).contains("TARN-1");
        fails(2, "set", "novalue", "tank");
        fails(2, "set", "comment=x");
        Result unknown = fails(1, "get", "nosuch", "tank");
        assertThat(unknown.errLines()).hasSize(1);
        assertThat(unknown.err()).contains("no property 'nosuch'");
        assertThat(fails(1, "set", "comment=x", "nope").err()).contains("TARN-2");
    }

    @Test
    void events_sync_and_clear_pos() {
        createTank();
        ok("sync");
        ok("sync", "tank");
        ok("clear", "tank");
        List<String> lines = ok("events").outLines();
        assertThat(lines.get(0).split("\\s+")).containsExactly("TIME", "POOL", "CLASS", "DETAIL");
        assertThat(lines).anyMatch(l -> l.matches("\\S+\\s+tank\\s+created.*"));
        List<String> scripted = ok("events", "-H", "tank").outLines();
        assertThat(scripted).allMatch(l -> l.split("\t").length == 4).anyMatch(l -> l.contains("\tcreated\t"));
    }

    @Test
    void events_of_several_pools_are_chronological_pos() throws Exception {
        ok("create", "beta", d.get(1));
        ok("create", "alpha", d.get(0));
        ok("set", "comment=later", "beta");
        ok("export", "-F", "beta");
        ok("import", "-d", fx.dir.toString(), "-f", "beta");
        // pools are read by name, events printed by time: beta's events come before and after alpha's
        List<String> lines = ok("events", "-H").outLines();
        List<String> times = lines.stream().map(l -> l.split("\t")[0]).toList();
        assertThat(times).isSorted();
        assertThat(lines.stream().map(l -> l.split("\t")[1] + ":" + l.split("\t")[2]).toList())
                .containsSubsequence("alpha:created", "beta:imported");
    }

    @Test
    void sync_clear_events_of_unknown_pool_neg() {
        for (String cmd : List.of("sync", "clear", "events")) {
            Result r = fails(1, cmd, "nope");
            assertThat(r.errLines()).as(cmd).hasSize(1);
            assertThat(r.err()).as(cmd).contains("TARN-2");
        }
    }

    @Test
    void create_refuses_bad_input_neg() {
        fails(2, "create", "tank");
        fails(2, "create", "-o", "novalue", "tank", d.get(0));
        ok("create", "tank", d.get(0));
        assertThat(fails(1, "create", "tank", d.get(1)).err()).startsWith("cannot create 'tank': TARN-3 ");
        Result again = fails(1, "create", "other", d.get(0));
        assertThat(again.errLines()).hasSize(1);
        assertThat(again.err()).startsWith("cannot create 'other': TARN-4 ").contains(d.get(0));
    }

    @Test
    void usage_errors_exit_2_pos() {
        Result none = fails(2);
        assertThat(none.err()).contains("Usage: tarnctl");
        Result unknownCommand = fails(2, "frobnicate");
        assertThat(unknownCommand.err()).contains("frobnicate");
        Result unknownOption = fails(2, "list", "-z");
        assertThat(unknownOption.errLines()).hasSize(2);
        assertThat(unknownOption.err()).contains("-z").contains("tarnctl list --help");
        fails(2, "--jmx", "a", "--pid", "1", "list");
        assertThat(ok("--help").out()).contains("create", "import", "label", "--jolokia");
        assertThat(ok("import", "--help").out()).contains("-d=DIR", "-F", "-T=TXG", "NEWNAME");
    }

    @Test
    void scripted_flags_before_the_subcommand_pos() {
        createTank();
        String after = ok("list", "-H", "-p").out();
        assertThat(after).startsWith("tank\t");
        assertThat(ok("-H", "list", "-p").out()).isEqualTo(after);
        assertThat(ok("-H", "-p", "list").out()).isEqualTo(after);
        assertThat(ok("-Hp", "list").out()).isEqualTo(after);
        assertThat(ok("-H", "get", "comment", "tank").out()).isEqualTo(ok("get", "-H", "comment", "tank").out())
                .startsWith("tank\tcomment\track 4");
        // a global option may come after the subcommand too (inherited)
        assertThat(ok("list", "-H", "--jolokia", "http://127.0.0.1:1/jolokia").out())
                .as("the fixture's backend is used whatever the URL").isEqualTo(ok("-H", "list").out());
    }

    @Test
    void scripted_flags_before_a_subcommand_without_them_neg() {
        createTank();
        Result create = fails(2, "-H", "create", "other", d.get(2));
        assertThat(create.err()).contains("create: Unknown option: '-H'");
        assertThat(fx.engine.pool("other")).isEmpty();
        assertThat(fails(2, "-H").err()).contains("-H");
        assertThat(fails(2, "list", "--jmx", "a", "--pid", "1").err())
                .contains("--jolokia, --jmx and --pid are mutually exclusive");
    }

    @Test
    void label_dumps_a_device_offline_pos() {
        createTank();
        Result r = CliFixture.runWith(null, "label", d.get(0));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("device: " + d.get(0), "LABEL 0", "LABEL 3", "pool_guid", "tank", "mirror");
    }

    @Test
    void label_of_missing_or_foreign_file_neg() throws Exception {
        Result missing = CliFixture.runWith(null, "label", dir.resolve("nope").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.errLines()).containsExactly("cannot read labels of '" + dir.resolve("nope")
                + "': no such file");
        Path foreign = Files.writeString(dir.resolve("foreign"), "not a device");
        Result r = CliFixture.runWith(null, "label", foreign.toString());
        assertThat(r.exit()).as(r.toString()).isIn(0, 1);
        assertThat(r.errLines()).hasSizeLessThanOrEqualTo(1);
    }
}
