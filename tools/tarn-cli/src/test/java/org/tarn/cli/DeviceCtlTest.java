package org.tarn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.Transaction;
import org.tarn.cli.CliFixture.Result;

/** tarnctl's device lifecycle commands: scrub, resilver, attach/detach/replace, online/offline, add, iostat, history. */
class DeviceCtlTest {
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

    private Pool tank() {
        return fx.engine.pool("tank").orElseThrow();
    }

    private void writeSome() {
        Pool pool = tank();
        pool.createDataset("a");
        try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
            long obj = ds.createObject(tx);
            ds.write(tx, obj, 0, random(1 << 20));
        }
        pool.sync();
    }

    private static ByteBuffer random(int n) {
        byte[] b = new byte[n];
        new java.util.Random(n).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private void awaitComplete() {
        await().atMost(Duration.ofSeconds(30)).until(() -> !tank().vdevTree().missesTxgs()
                && !tank().scanStatus().active());
    }

    @Test
    void offline_status_online_resilver_pos() {
        ok("create", "tank", "mirror", d.get(0), d.get(1));
        writeSome();
        ok("offline", "tank", d.get(1));
        String status = ok("status", "tank").out();
        assertThat(status).contains(" state: DEGRADED");
        assertThat(status.lines().filter(l -> l.contains(d.get(1))).findFirst().orElseThrow())
                .contains("OFFLINE").contains("(offline");
        writeSome2();
        ok("online", "tank", d.get(1));
        awaitComplete();
        status = ok("status", "tank").out();
        assertThat(status).contains(" state: ONLINE").contains("  scan: resilver resilvered ")
                .contains("with 0 errors on ");
        ok("resilver", "tank"); // nothing to resilver: does nothing, as zpool resilver
        Result refused = fails(1, "offline", "tank", d.get(0), d.get(1));
        assertThat(refused.err()).contains("cannot offline " + d.get(1)).contains("no other device");
        ok("online", "tank", d.get(0));
        awaitComplete();
        assertThat(fails(1, "offline", "tank", "/no/such").err()).contains("cannot offline /no/such")
                .contains("has no device");
    }

    private void writeSome2() {
        Pool pool = tank();
        try (Dataset ds = pool.openDataset("a"); Transaction tx = pool.begin()) {
            long obj = ds.createObject(tx);
            ds.write(tx, obj, 0, random(1 << 20));
        }
        pool.sync();
    }

    @Test
    void attach_replace_detach_add_history_pos() {
        ok("create", "tank", d.get(0));
        writeSome();
        ok("attach", "tank", d.get(0), d.get(1));
        awaitComplete();
        assertThat(ok("status", "tank").out()).contains("mirror-0");
        ok("replace", "tank", d.get(1), d.get(2));
        await().atMost(Duration.ofSeconds(30)).until(() -> !ok("status", "tank").out().contains(d.get(1)));
        ok("detach", "tank", d.get(2));
        assertThat(ok("status", "tank").out()).doesNotContain("mirror-0");
        assertThat(fails(1, "detach", "tank", d.get(0)).err()).contains("cannot detach " + d.get(0))
                .contains("not in a mirror");
        long before = tank().sizeBytes();
        ok("add", "tank", d.get(3));
        assertThat(tank().sizeBytes()).isGreaterThan(before);
        assertThat(fails(1, "add", "tank", d.get(3)).err()).contains("already in pool");
        List<String> history = ok("history", "tank").outLines();
        assertThat(history.get(0)).isEqualTo("History for 'tank':");
        assertThat(history).anyMatch(l -> l.endsWith("create tank " + d.get(0) + " [on " + hostname() + "]")
                || l.contains("create tank " + d.get(0)));
        assertThat(history).anyMatch(l -> l.contains("attach tank " + d.get(0) + " " + d.get(1)));
        assertThat(history).anyMatch(l -> l.contains("add tank " + d.get(3)));
        assertThat(history).noneMatch(l -> l.contains("[internal]"));
        assertThat(ok("history", "-i", "tank").outLines()).anyMatch(l -> l.contains("[internal] resilver finished"));
    }

    private static String hostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "";
        }
    }

    @Test
    void scrub_and_iostat_pos() {
        ok("create", "tank", "mirror", d.get(0), d.get(1));
        writeSome();
        ok("scrub", "-w", "tank"); // returns once the scrub has finished
        assertThat(tank().scanStatus().state()).isEqualTo("finished");
        assertThat(ok("status", "tank").out()).contains("  scan: scrub repaired 0B in ").contains("with 0 errors");
        assertThat(fails(1, "scrub", "-p", "tank").err()).contains("cannot pause the scrub of 'tank'")
                .contains("no scrub running");
        assertThat(fails(2, "scrub", "-p", "-s", "tank").err()).contains("exclude");

        List<String> lines = ok("iostat", "-v", "-l", "-q", "tank").outLines();
        assertThat(lines.get(0).split("\\s{2,}")).containsExactly("POOL/VDEV", "ALLOC", "FREE", "READ OPS",
                "WRITE OPS", "READ BW", "WRITE BW", "READ WAIT", "WRITE WAIT", "FLUSH WAIT", "QUEUED", "ACTIVE");
        assertThat(lines).hasSize(5); // header, tank, mirror-0, two sides
        assertThat(lines.get(1)).startsWith("tank ");
        assertThat(lines.get(2).strip()).startsWith("mirror-0");
        assertThat(lines.get(3).strip()).startsWith(d.get(0));
        List<String> scripted = ok("iostat", "-H", "-p", "tank").outLines();
        assertThat(scripted).hasSize(1);
        String[] f = scripted.get(0).split("\t");
        assertThat(f[0]).isEqualTo("tank");
        assertThat(Long.parseLong(f[4])).as("write ops since import").isPositive();
        assertThat(Long.parseLong(f[6])).as("bytes written since import").isGreaterThanOrEqualTo(2L << 20);
        // interval and count: two reports, the second over one interval (rates, not totals)
        List<String> twice = ok("iostat", "-H", "-p", "tank", "0.2", "2").outLines();
        assertThat(twice).hasSize(2);
        assertThat(Long.parseLong(twice.get(1).split("\t")[6])).isLessThan(Long.parseLong(twice.get(0).split("\t")[6]));
        assertThat(fails(2, "iostat", "tank", "0").err()).contains("interval must be positive");
    }
}
