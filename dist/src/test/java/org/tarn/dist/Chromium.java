package org.tarn.dist;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static org.awaitility.Awaitility.await;

/**
 * A headless Chromium (Debian package {@code chromium}) driven over the
 * Chrome DevTools protocol: a WebSocket to its one page (the JDK's own
 * client, no browser driver), commands as JSON messages with ids. Enough for
 * the console tests: navigate, evaluate JavaScript in the page (clicks are
 * {@code element.click()}, so the page's own handlers run), screenshots.
 * {@link #close()} kills the browser and removes its profile.
 */
final class Chromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL = Duration.ofSeconds(30);

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();
    /** Console messages and uncaught exceptions of the page, for failure messages. */
    final List<String> log = new ArrayList<>();

    private Chromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** The browser binary: {@code chromium} on the PATH (Debian's package), else a clear failure. */
    static Path binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "chromium");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no chromium on the PATH: install the Debian package chromium (.ci/run "
                + "does)");
    }

    /** Starts a headless browser with a window of {@code width} x {@code height} CSS pixels at scale 1. */
    static Chromium start(Path dir, int width, int height) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "chromium-");
        Path log = dir.resolve("chromium.log");
        List<String> command = List.of(binary().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--window-size=" + width + "," + height,
                "--user-data-dir=" + profile, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                "about:blank");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // Chromium writes the port it chose into DevToolsActivePort of its profile
            Path portFile = profile.resolve("DevToolsActivePort");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!p.isAlive()) {
                    throw new AssertionError("chromium ended (" + p.exitValue() + "):\n" + Files.readString(log));
                }
                return Files.exists(portFile) && Files.readString(portFile).lines().count() >= 2;
            });
            int port = Integer.parseInt(Files.readString(portFile).lines().findFirst().orElseThrow().trim());
            HttpClient http = HttpClient.newHttpClient();
            String pageUrl = await().atMost(Duration.ofSeconds(30)).until(() -> {
                HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/json/list")).timeout(CALL).build(), HttpResponse.BodyHandlers.ofString());
                for (JsonNode t : JSON.readTree(list.body())) {
                    if ("page".equals(t.path("type").asText())) {
                        return t.path("webSocketDebuggerUrl").asText();
                    }
                }
                return null;
            }, u -> u != null && !u.isEmpty());
            Chromium[] self = new Chromium[1];
            WebSocket ws = http.newWebSocketBuilder().connectTimeout(CALL)
                    .buildAsync(URI.create(pageUrl), new Listener(self)).get(CALL.toMillis(), TimeUnit.MILLISECONDS);
            Chromium c = new Chromium(p, profile, ws);
            self[0] = c;
            c.call("Page.enable", null);
            c.call("Runtime.enable", null);
            ObjectNode metrics = JSON.createObjectNode().put("width", width).put("height", height)
                    .put("deviceScaleFactor", 1).put("mobile", false);
            c.call("Emulation.setDeviceMetricsOverride", metrics);
            return c;
        } catch (ExecutionException | TimeoutException | RuntimeException | Error e) {
            p.destroyForcibly().waitFor();
            throw new IOException("cannot drive chromium (" + e + "):\n" + Files.readString(log), e);
        }
    }

    /** One DevTools command; its result, or an AssertionError with the protocol's error. */
    JsonNode call(String method, ObjectNode params) {
        int id = ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        if (params != null) {
            msg.set("params", params);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        calls.put(id, answer);
        try {
            socket.sendText(msg.toString(), true).get(CALL.toMillis(), TimeUnit.MILLISECONDS);
            JsonNode r = answer.get(CALL.toMillis(), TimeUnit.MILLISECONDS);
            if (r.has("error")) {
                throw new AssertionError(method + " failed: " + r.get("error"));
            }
            return r.path("result");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted during " + method, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError(method + ": no answer from chromium within " + CALL + " (" + e + ")", e);
        } finally {
            calls.remove(id);
        }
    }

    void navigate(String url) {
        call("Page.navigate", JSON.createObjectNode().put("url", url));
    }

    /** Evaluates a JavaScript expression in the page (promises awaited); its value as JSON. */
    JsonNode eval(String expression) {
        JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError("page threw on '" + expression + "': " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    boolean evalTrue(String expression) {
        return eval(expression).asBoolean(false);
    }

    /** A PNG of the viewport, written to {@code file}; its bytes. */
    byte[] screenshot(Path file) throws IOException {
        JsonNode r = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
        byte[] png = Base64.getDecoder().decode(r.path("data").asText());
        Files.createDirectories(file.getParent());
        Files.write(file, png);
        return png;
    }

    private void event(JsonNode msg) {
        String method = msg.path("method").asText();
        if (method.equals("Runtime.consoleAPICalled")) {
            StringBuilder b = new StringBuilder("console." + msg.path("params").path("type").asText() + ":");
            for (JsonNode a : msg.path("params").path("args")) {
                b.append(' ').append(a.path("value").asText(a.path("description").asText()));
            }
            synchronized (log) {
                log.add(b.toString());
            }
        } else if (method.equals("Runtime.exceptionThrown")) {
            synchronized (log) {
                log.add("exception: " + msg.path("params").path("exceptionDetails"));
            }
        }
    }

    String pageLog() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        socket.abort();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        try (var files = Files.walk(profile)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException stillWritten) {
            // a late write of the dying browser; the test's temp directory goes anyway
        }
    }

    /** Collects text frames into messages; answers complete their calls, events go to {@link #event}. */
    private static final class Listener implements WebSocket.Listener {
        private final Chromium[] owner;
        private final StringBuilder partial = new StringBuilder();

        Listener(Chromium[] owner) {
            this.owner = owner;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                Chromium c = owner[0];
                if (c != null) {
                    try {
                        JsonNode msg = JSON.readTree(text);
                        if (msg.has("id")) {
                            CompletableFuture<JsonNode> f = c.calls.get(msg.get("id").asInt());
                            if (f != null) {
                                f.complete(msg);
                            }
                        } else {
                            c.event(msg);
                        }
                    } catch (IOException e) {
                        synchronized (c.log) {
                            c.log.add("unreadable DevTools message: " + e);
                        }
                    }
                }
            }
            ws.request(1);
            return null;
        }
    }
}
