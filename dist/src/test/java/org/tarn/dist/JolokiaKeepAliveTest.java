package org.tarn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jolokia answers keep-alive requests at once. The JDK HTTP server under
 * Jolokia writes a response's headers and body in two segments; with Nagle's
 * algorithm on, the second waits for the client's delayed ACK of the first,
 * so every request on a kept-alive connection took ~40 ms more (measured here
 * with {@code -Dsun.net.httpserver.nodelay=false}: a median of 44 ms against
 * 3 ms). The server turns {@code sun.net.httpserver.nodelay} on; the test checks
 * the switch the JDK's server read, not times, which a loaded machine blurs.
 */
class JolokiaKeepAliveTest {
    @TempDir
    Path data;

    @Test
    void keep_alive_requests_are_not_held_back_by_nagle_pos() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=0\njolokia.port=" + port
                + "\ndefault.pool=\n");
        try (TarnServer server = new TarnServer(ServerConfig.load(data, null))) {
            server.start();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest read = HttpRequest.newBuilder(URI.create(server.jolokiaUrl()
                    + "read/tarn:type=PoolManager/Pools")).GET().build();
            // the first request opens the connection; the others reuse it
            assertThat(http.send(read, HttpResponse.BodyHandlers.ofString()).body()).contains("\"status\":200");
            for (int i = 0; i < 30; i++) {
                assertThat(http.send(read, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            }
            // what decides it is not a timing (the machine's load would): the JDK HTTP server under Jolokia
            // read sun.net.httpserver.nodelay=true when it started, so it sets TCP_NODELAY on every connection
            // it accepts (sun.net.httpserver.ServerImpl; the test JVM opens the package to read it)
            Field noDelay = Class.forName("sun.net.httpserver.ServerConfig").getDeclaredField("noDelay");
            noDelay.setAccessible(true);
            assertThat(noDelay.getBoolean(null)).as("the JDK HTTP server's TCP_NODELAY switch").isTrue();
        }
    }
}
