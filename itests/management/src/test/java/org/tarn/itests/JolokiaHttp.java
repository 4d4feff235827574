package org.tarn.itests;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A minimal Jolokia protocol client over {@code java.net.http}: POSTs one JSON
 * request and returns the JSON response with the HTTP status.
 */
public final class JolokiaHttp {
    public static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public JolokiaHttp(String url) {
        this.url = URI.create(url);
    }

    /** A Jolokia response: the HTTP status and the JSON body. */
    public record Response(int httpStatus, JsonNode body) {
        /** The JSON {@code status} of the response. */
        public int status() {
            return body.path("status").asInt(-1);
        }

        public JsonNode value() {
            return body.get("value");
        }
    }

    public Response post(ObjectNode request) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request))).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new IllegalStateException("Jolokia request to " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code {"type":"read","mbean":...}}: every attribute at once. */
    public Response read(String mbean) {
        return post(JSON.createObjectNode().put("type", "read").put("mbean", mbean));
    }

    public Response read(String mbean, String attribute) {
        return post(JSON.createObjectNode().put("type", "read").put("mbean", mbean).put("attribute", attribute));
    }

    /** {@code exec}; arguments are written as JSON strings, Booleans as JSON booleans. */
    public Response exec(String mbean, String operation, Object... args) {
        ObjectNode req = JSON.createObjectNode().put("type", "exec").put("mbean", mbean).put("operation", operation);
        ArrayNode arguments = req.putArray("arguments");
        for (Object a : args) {
            if (a instanceof Boolean b) {
                arguments.add(b);
            } else {
                arguments.add(a == null ? null : a.toString());
            }
        }
        return post(req);
    }

    /** {@code list} of one MBean: its {@code attr}, {@code op} and {@code notif} metadata. */
    public Response list(String mbean) {
        int colon = mbean.indexOf(':');
        // path: domain/properties, with '/' escaped as '!/'
        String path = mbean.substring(0, colon).replace("!", "!!").replace("/", "!/") + "/"
                + mbean.substring(colon + 1).replace("!", "!!").replace("/", "!/");
        return post(JSON.createObjectNode().put("type", "list").put("path", path));
    }

    public Response search(String pattern) {
        return post(JSON.createObjectNode().put("type", "search").put("mbean", pattern));
    }
}
