package org.tarn.ha.ocf;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real standalone Tarn server ({@code org.tarn.dist.TarnServer}) in a child
 * JVM, on its own data directory (so its own host id), searching a shared
 * device directory, with fault injection on and Jolokia on a free loopback
 * port. {@link #launcher} lets a test start it inside a network namespace.
 */
final class TarnServerProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Path data;
    final String url;
    final Process process;
    /** {@code user:password} for HTTP basic authentication, or null. */
    private volatile String credentials;
    /** The network namespace the server runs in ({@code ip netns} name), or null for this JVM's. */
    private volatile String netns;

    private TarnServerProcess(Path data, String url, Process process) {
        this.data = data;
        this.url = url;
        this.process = process;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts a server on {@code data}, searching {@code shared}, with extra {@code tarn.properties} lines. */
    static TarnServerProcess start(Path data, Path shared, String extraProperties) throws Exception {
        return start(data, shared, extraProperties, List.of(), "127.0.0.1", freePort());
    }

    /**
     * As {@link #start(Path, Path, String)}, the JVM command prefixed with
     * {@code launcher} (e.g. {@code ip netns exec NODE}), Jolokia on {@code host:port}.
     */
    static TarnServerProcess start(Path data, Path shared, String extraProperties, List<String> launcher,
            String host, int port) throws Exception {
        Files.createDirectories(data);
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.host=" + host + "\njolokia.port="
                + port + "\nsearch.paths=" + shared + "\ndefault.pool=\nfault.injection=true\n"
                + "io.timeout.millis=60000\nshutdown.export.millis=2000\n" + extraProperties);
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "org.tarn.dist.TarnServer", "--data", data.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(data.resolve("server.log").toFile()).start();
        return new TarnServerProcess(data, "http://" + host + ":" + port + "/jolokia", p);
    }

    /** Sends every request through curl inside network namespace {@code name}, where the server listens. */
    TarnServerProcess inNetns(String name) {
        this.netns = name;
        return this;
    }

    /** Sends {@code user:password} with every request of this object from now on. */
    TarnServerProcess withCredentials(String userColonPassword) {
        this.credentials = userColonPassword;
        return this;
    }

    /** Waits until Jolokia answers for the PoolManager, through {@code post}. */
    TarnServerProcess awaitUp(PostFunction post) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("server ended: " + Files.readString(data.resolve("server.log")));
                    }
                    return post.post(url, "{\"type\":\"read\",\"mbean\":\"tarn:type=PoolManager\",\"attribute\":\"Pools\"}")
                            .contains("\"status\":200");
                });
        return this;
    }

    TarnServerProcess awaitUp() {
        return awaitUp((u, json) -> post(json));
    }

    @FunctionalInterface
    interface PostFunction {
        String post(String url, String json) throws Exception;
    }

    /** POSTs a Jolokia request from this JVM's network namespace. */
    static String post(String url, String json) throws Exception {
        return post(url, json, null);
    }

    /** As {@link #post(String, String)} with HTTP basic authentication ({@code user:password}, or null). */
    static String post(String url, String json, String credentials) throws Exception {
        HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (credentials != null) {
            rq.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                    credentials.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return HTTP.send(rq.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    String post(String json) throws Exception {
        if (netns != null) {
            Process p = new ProcessBuilder("ip", "netns", "exec", netns, "curl", "-s", "--max-time", "20", "-H",
                    "Content-Type: application/json", "--data-binary", json, url).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("curl in " + netns + " failed: " + out);
            }
            return out;
        }
        return post(url, json, credentials);
    }

    String exec(String mbean, String operation, String argumentsJson) throws Exception {
        return post("{\"type\":\"exec\",\"mbean\":\"" + mbean.replace("\"", "\\\"") + "\",\"operation\":\""
                + operation + "\",\"arguments\":" + argumentsJson + "}");
    }

    String read(String mbean, String attribute) throws Exception {
        return post("{\"type\":\"read\",\"mbean\":\"" + mbean.replace("\"", "\\\"") + "\",\"attribute\":\""
                + attribute + "\"}");
    }

    static String poolMBean(String pool) {
        return "tarn:type=Pool,name=\"" + pool + "\"";
    }

    /** Stops the JVM and every process it started. */
    @Override
    public void close() throws Exception {
        kill();
    }

    void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    String log() throws IOException {
        return Files.readString(data.resolve("server.log"));
    }
}
