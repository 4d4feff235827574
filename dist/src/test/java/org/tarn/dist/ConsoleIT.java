package org.tarn.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console of the distribution's server, in a real headless
 * Chromium: the server runs from the unpacked tar.gz (so the console is what
 * an operator gets), the page is loaded from it, and the test reads the DOM,
 * clicks through the confirmation dialog and checks each action's effect on
 * the server through Jolokia, independently of the page. Screenshots go to
 * {@code target/console-screenshots/} and are checked: PNGs of the window's
 * size whose pixels show the pool's health colour.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration UI = Duration.ofSeconds(20);
    private static final int WIDTH = 1280;
    private static final int HEIGHT = 900;
    /** The console's ONLINE colour (console.css --ok). */
    private static final int ONLINE_RGB = 0x1f7a36;
    private static final Path SHOTS = Path.of(System.getProperty("tarn.console.screenshots",
            "target/console-screenshots"));
    private static final String TANK = "[data-pool=\"tank\"]";

    @TempDir
    static Path dir;

    private Distribution dist;
    private Chromium browser;
    private String console;
    private String jolokia;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void startServerAndBrowser() throws Exception {
        dist = Distribution.unpack(dir, "tarn");
        int port = Distribution.freePort();
        Files.writeString(dist.home.resolve("etc/tarn.properties"), "jolokia.port=" + port + "\njmx.port=0\n"
                + "target.server.port=0\ndefault.device.bytes=33554432\n", java.nio.file.StandardOpenOption.APPEND);
        Path log = dir.resolve("server.log");
        Process server = dist.start(dir, log, Map.of(), List.of(dist.bin("tarn-server").toString(), "--data",
                "data"));
        Distribution.awaitLog(server, log, "Tarn server running", START);
        console = "http://127.0.0.1:" + port + "/console/";
        jolokia = "http://127.0.0.1:" + port + "/jolokia";
        assertThat(Files.readString(log)).contains("  Console: " + console);
        exec("tarn:type=TargetManager", "createTarget", "tank", "ost0", "OST");
        browser = Chromium.start(dir, WIDTH, HEIGHT);
    }

    @AfterAll
    void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (dist != null) {
            dist.close();
        }
    }

    /** Every test starts from tank imported and a freshly loaded page. */
    @BeforeEach
    void tankImportedAndPageLoaded() throws Exception {
        if (!pools().contains("tank")) {
            exec("tarn:type=PoolManager", "importPool", "tank", "");
        }
        browser.navigate(console);
        awaitPage("document.body.dataset.loaded === 'true' && !!document.querySelector('#pools " + TANK + "')");
    }

    @Test
    void console_shows_pools_health_capacity_vdev_tree_targets_and_events_pos() throws Exception {
        String card = "document.querySelector('#pools " + TANK + "')";
        assertThat(text(card + ".querySelector('.health')")).isEqualTo("ONLINE");
        assertThat(text(card + ".querySelector('.state')")).isEqualTo("ACTIVE");
        assertThat(browser.evalTrue(card + ".classList.contains('health-ONLINE')")).isTrue();
        assertThat(text(card + ".querySelector('.capacity-text')")).matches(
                "capacity .* of \\d+(\\.\\d+)? MiB \\(\\d+%\\), .* free");
        // the vdev tree as a tree: root, mirror-0 under it, the two files under the mirror, each with counters
        JsonNode tree = browser.eval("[..." + card + ".querySelectorAll('.vdev-tree li')].map(li => ({name: "
                + "li.dataset.vdev, state: li.dataset.state, parent: li.parentElement.closest('li') ? "
                + "li.parentElement.closest('li').dataset.vdev : null, counters: li.querySelector('.counters')"
                + ".textContent}))");
        assertThat(tree).hasSize(4);
        assertThat(tree.get(0).path("name").asText()).isEqualTo("tank");
        assertThat(tree.get(1).path("name").asText()).isEqualTo("mirror-0");
        assertThat(tree.get(1).path("parent").asText()).isEqualTo("tank");
        for (int i = 2; i < 4; i++) {
            assertThat(tree.get(i).path("name").asText()).endsWith("/data/devices/tank-" + (i - 2));
            assertThat(tree.get(i).path("parent").asText()).isEqualTo("mirror-0");
        }
        for (JsonNode v : tree) {
            assertThat(v.path("state").asText()).isEqualTo("ONLINE");
            assertThat(v.path("counters").asText()).isEqualTo("READ 0 WRITE 0 CKSUM 0");
        }
        String target = "document.querySelector('#targets tr[data-target=\"ost0\"]')";
        awaitPage("!!" + target);
        assertThat(text(target)).contains("tank", "ost0", "OST", "ACTIVE");
        awaitPage("[...document.querySelectorAll('#events li')].some(li => li.textContent.includes('tank created'))");
        awaitPage("document.getElementById('events-mode').textContent.startsWith('live')");

        BufferedImage shot = screenshot("console.png");
        // the pool card's left border is painted in the health colour
        JsonNode box = browser.eval("(r => ({x: r.x, y: r.y, h: r.height}))(" + card
                + ".getBoundingClientRect())");
        int rgb = shot.getRGB(box.path("x").asInt() + 3, box.path("y").asInt() + box.path("h").asInt() / 2)
                & 0xffffff;
        assertThat(Integer.toHexString(rgb)).isEqualTo(Integer.toHexString(ONLINE_RGB));
    }

    @Test
    void export_after_confirmation_removes_the_pool_and_import_brings_it_back_pos() throws Exception {
        click("#pools " + TANK + " button.export");
        awaitPage("document.getElementById('confirm').open");
        assertThat(text("document.getElementById('confirm-text')")).contains("Export pool 'tank' cleanly");
        screenshot("console-export-dialog.png");
        click("#confirm-ok");
        awaitPage("!document.querySelector('#pools " + TANK + "')");
        assertThat(pools()).doesNotContain("tank");
        assertThat(browser.evalTrue("document.getElementById('error').hidden")).as(browser.pageLog()).isTrue();
        // the export arrives as a live notification
        awaitPage("!!document.querySelector('#events li.live[data-type=\"tarn.pool.exported\"][data-pool=\"tank\"]')");

        click("#scan");
        String row = "#importable tr" + TANK;
        awaitPage("!!document.querySelector('" + row.replace("'", "\\'") + "')");
        assertThat(text("document.querySelector('" + row.replace("'", "\\'") + "')")).contains("EXPORTED");
        screenshot("console-importable.png");
        click(row + " button.import");
        awaitPage("document.getElementById('confirm').open");
        click("#confirm-ok");
        awaitPage("!!document.querySelector('#pools " + TANK + "')");
        assertThat(pools()).contains("tank");
        awaitPage("!!document.querySelector('#events li.live[data-type=\"tarn.pool.imported\"][data-pool=\"tank\"]')");
    }

    @Test
    void cancelled_confirmation_changes_nothing_neg() throws Exception {
        click("#pools " + TANK + " button.force-export");
        awaitPage("document.getElementById('confirm').open");
        assertThat(text("document.getElementById('confirm-text')")).contains("Force-export pool 'tank'",
                "is lost");
        click("#confirm-cancel");
        awaitPage("!document.getElementById('confirm').open");
        // a full refresh after the cancel still shows the pool, and the server still has it
        assertThat(browser.evalTrue("refresh().then(() => !!document.querySelector('#pools " + TANK + "'))"))
                .isTrue();
        assertThat(pools()).contains("tank");
        assertThat(read("tarn:type=Pool,name=\"tank\"", "State").asText()).isEqualTo("ACTIVE");
    }

    @Test
    void a_refused_action_shows_the_servers_tarn_message_neg() throws Exception {
        // the page lists tank as importable; meanwhile another client imports it: the page's import is refused
        exec("tarn:type=PoolManager", "exportPool", "tank", false);
        click("#scan");
        String row = "#importable tr" + TANK;
        awaitPage("!!document.querySelector('" + row.replace("'", "\\'") + "')");
        exec("tarn:type=PoolManager", "importPool", "tank", "");
        click(row + " button.import");
        awaitPage("document.getElementById('confirm').open");
        click("#confirm-ok");
        awaitPage("!document.getElementById('error').hidden");
        assertThat(text("document.getElementById('error-text')")).matches("Import pool tank: TARN-\\d+ .*tank.*");
        screenshot("console-error.png");
        // the row stays (the import did not happen through it); the pool is there once, from the other client
        assertThat(browser.evalTrue("!!document.querySelector('" + row.replace("'", "\\'") + "')")).isTrue();
        awaitPage("document.querySelectorAll('#pools " + TANK + "').length === 1");
        click("#error-close");
        assertThat(browser.evalTrue("document.getElementById('error').hidden")).isTrue();
    }

    // ---- helpers

    private void awaitPage(String condition) {
        try {
            // false while the page is still loading (no body yet, say); the timeout shows what it had
            String safe = "(() => { try { return !!(" + condition + "); } catch (e) { return false; } })()";
            await().atMost(UI).pollInterval(Duration.ofMillis(100)).until(() -> browser.evalTrue(safe));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("page never satisfied: " + condition + "\npage log:\n" + browser.pageLog()
                    + "\nbody:\n" + browser.eval("document.body.innerText").asText(), e);
        }
    }

    private void click(String selector) {
        String js = selector.replace("\\", "\\\\").replace("'", "\\'");
        assertThat(browser.evalTrue("(e => { if (!e) return false; e.click(); return true; })(document"
                + ".querySelector('" + js + "'))")).as("element " + selector + " to click").isTrue();
    }

    private String text(String expression) {
        return browser.eval("(" + expression + ").textContent.trim()").asText();
    }

    /** A screenshot of the window, checked: a PNG of the window's size that is not one flat colour. */
    private BufferedImage screenshot(String name) throws IOException {
        Path file = SHOTS.resolve(name);
        byte[] png = browser.screenshot(file);
        assertThat(png).startsWith(0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n');
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image.getWidth()).isEqualTo(WIDTH);
        assertThat(image.getHeight()).isEqualTo(HEIGHT);
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < HEIGHT; y += 4) {
            for (int x = 0; x < WIDTH; x += 4) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertThat(colours).as(file + ": distinct colours").hasSizeGreaterThan(20);
        return image;
    }

    private List<String> pools() throws Exception {
        List<String> out = new java.util.ArrayList<>();
        read("tarn:type=PoolManager", "Pools").forEach(n -> out.add(n.asText()));
        return out;
    }

    private JsonNode read(String mbean, String attribute) throws Exception {
        return post(JSON.createObjectNode().put("type", "read").put("mbean", mbean).put("attribute", attribute));
    }

    private JsonNode exec(String mbean, String operation, Object... args) throws Exception {
        ObjectNode req = JSON.createObjectNode().put("type", "exec").put("mbean", mbean).put("operation", operation);
        req.set("arguments", JSON.valueToTree(args));
        return post(req);
    }

    private JsonNode post(ObjectNode req) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(jolokia)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(req.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("status").asInt()).as(req + " -> " + body).isEqualTo(200);
        return body.path("value");
    }
}
