package org.tarn.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.net.ssl.SSLException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A {@link Backend} over Jolokia's HTTP protocol: one POST per call with a
 * JSON {@code read} or {@code exec} request. Jolokia answers HTTP 200 with a
 * {@code status} inside the JSON; a status other than 200 carries
 * {@code error_type} and {@code error}, which become a {@link CliException}.
 * TabularData with one simple index arrives as a map keyed by the index value,
 * the shape {@link Backend} specifies.
 */
public final class JolokiaBackend implements Backend {
    /** Where tarnctl looks for Jolokia when no connection option is given. */
    public static final String DEFAULT_URL = "http://127.0.0.1:8778/jolokia";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a subscription asks Jolokia's notification store for news. */
    private static final Duration PULL_INTERVAL = Duration.ofMillis(250);

    private final URI uri;
    private final HttpClient http;
    private final Duration timeout;
    private final String authorization;

    public JolokiaBackend(String url) {
        this(url, Duration.ofMinutes(10));
    }

    /** @param timeout how long one request may take (an import scan of many devices is slow) */
    public JolokiaBackend(String url, Duration timeout) {
        this(url, timeout, ClientSecurity.NONE);
    }

    /** With basic authentication and the certificates to trust for https, as {@code security} says. */
    JolokiaBackend(String url, ClientSecurity security) {
        this(url, Duration.ofMinutes(10), security);
    }

    private JolokiaBackend(String url, Duration timeout, ClientSecurity security) {
        try {
            this.uri = URI.create(url.endsWith("/") ? url : url + "/");
        } catch (IllegalArgumentException e) {
            throw new CliException("bad Jolokia URL '" + url + "': " + e.getMessage());
        }
        if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
            throw new CliException("bad Jolokia URL '" + url + "': expected http://HOST:PORT/jolokia");
        }
        this.timeout = timeout;
        this.authorization = security.basicAuthorization();
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (security.sslContext() != null) {
            builder.sslContext(security.sslContext());
        }
        this.http = builder.build();
    }

    @Override
    public Object read(ObjectName mbean, String attribute) {
        ObjectNode req = JSON.createObjectNode();
        req.put("type", "read");
        req.put("mbean", mbean.getCanonicalName());
        req.put("attribute", attribute);
        return plain(send(mbean, req).get("value"));
    }

    @Override
    public Object exec(ObjectName mbean, String operation, Object... args) {
        ObjectNode req = JSON.createObjectNode();
        req.put("type", "exec");
        req.put("mbean", mbean.getCanonicalName());
        req.put("operation", operation);
        ArrayNode arguments = req.putArray("arguments");
        for (Object a : args) {
            if (a == null) {
                arguments.addNull();
            } else if (a instanceof Boolean b) {
                arguments.add(b);
            } else if (a instanceof Long l) {
                arguments.add(l);
            } else {
                arguments.add(a.toString());
            }
        }
        return plain(send(mbean, req).get("value"));
    }

    /**
     * Jolokia's pull mode: register a client, add a pull subscription for the
     * MBean, then {@code exec pull} on Jolokia's notification store (which
     * the server's policy allows) until closed, when the client is
     * unregistered.
     */
    @Override
    public Subscription subscribe(ObjectName mbean) {
        JsonNode registered = send(mbean, JSON.createObjectNode().put("type", "notification")
                .put("command", "register")).path("value");
        String client = registered.path("id").asText("");
        if (client.isEmpty() || !registered.path("backend").has("pull")) {
            throw new CliException("Jolokia at " + uri + " offers no pull-mode notifications");
        }
        ObjectName store;
        try {
            store = new ObjectName(registered.path("backend").path("pull").path("store")
                    .asText("jolokia:type=NotificationStore"));
        } catch (MalformedObjectNameException e) {
            throw new CliException("Jolokia at " + uri + " names a bad notification store: " + e.getMessage(), e);
        }
        String handle;
        try {
            handle = send(mbean, JSON.createObjectNode().put("type", "notification").put("command", "add")
                    .put("client", client).put("mode", "pull").put("mbean", mbean.getCanonicalName()))
                    .path("value").asText();
        } catch (CliException e) {
            unregister(mbean, client);
            throw e;
        }
        return new Subscription() {
            @Override
            public List<Notice> poll(Duration wait) throws InterruptedException {
                long deadline = System.nanoTime() + wait.toNanos();
                while (true) {
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    ObjectNode pull = JSON.createObjectNode().put("type", "exec")
                            .put("mbean", store.getCanonicalName()).put("operation", "pull");
                    pull.putArray("arguments").add(client).add(handle);
                    List<Notice> out = new ArrayList<>();
                    for (JsonNode n : send(store, pull).path("value").path("notifications")) {
                        out.add(new Notice(n.path("type").asText(), n.path("sequenceNumber").asLong(),
                                n.path("timeStamp").asLong(), n.path("message").asText(null),
                                plain(n.get("userData"))));
                    }
                    long left = deadline - System.nanoTime();
                    if (!out.isEmpty() || left <= 0) {
                        return out;
                    }
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, PULL_INTERVAL.toNanos()));
                }
            }

            @Override
            public void close() {
                unregister(mbean, client);
            }
        };
    }

    private void unregister(ObjectName mbean, String client) {
        try {
            send(mbean, JSON.createObjectNode().put("type", "notification").put("command", "unregister")
                    .put("client", client));
        } catch (CliException ignored) {
            // the agent is gone or forgot the client: nothing to clean up
        }
    }

    @Override
    public String target() {
        return uri.toString();
    }

    @Override
    public void close() {
        // HttpClient holds no connection that must be closed on Java 17
    }

    private JsonNode send(ObjectName mbean, ObjectNode request) {
        JsonNode body = post(request);
        if (!body.isObject()) {
            throw new CliException("unexpected answer from " + uri + ": not a JSON object");
        }
        checkStatus(mbean, body);
        return body;
    }

    /** Raises the failure a Jolokia response object carries, if any. */
    private void checkStatus(ObjectName mbean, JsonNode body) {
        int status = body.path("status").asInt(200);
        if (status != 200) {
            throw failure(mbean, body, status);
        }
    }

    private CliException failure(ObjectName mbean, JsonNode body, int status) {
        String type = body.path("error_type").asText("");
        if (type.endsWith("InstanceNotFoundException") && mbean != null) {
            return new CliException(Pools.notRegistered(mbean, target()));
        }
        String error = body.path("error").asText("");
        return new CliException(CliException.clean(error.isEmpty() ? "HTTP status " + status : error));
    }

    /**
     * One bulk request: a read of every attribute of every MBean (or pattern),
     * answered by one HTTP response with one result per request.
     */
    @Override
    public BulkRead readAll(Map<ObjectName, List<String>> requests) {
        List<ObjectName> mbeans = new ArrayList<>(requests.keySet());
        ArrayNode bulk = JSON.createArrayNode();
        for (ObjectName on : mbeans) {
            ObjectNode req = bulk.addObject();
            req.put("type", "read");
            req.put("mbean", on.getCanonicalName());
            ArrayNode attrs = req.putArray("attribute");
            requests.get(on).forEach(attrs::add);
        }
        JsonNode answers = post(bulk);
        if (!answers.isArray() || answers.size() != mbeans.size()) {
            throw new CliException("unexpected answer from " + uri + ": expected " + mbeans.size()
                    + " results of a bulk request");
        }
        Map<ObjectName, Map<String, Object>> values = new LinkedHashMap<>();
        Map<ObjectName, CliException> failures = new LinkedHashMap<>();
        for (int i = 0; i < mbeans.size(); i++) {
            ObjectName on = mbeans.get(i);
            JsonNode answer = answers.get(i);
            int status = answer.path("status").asInt(200);
            if (status != 200) {
                if (on.isPattern() && answer.path("error_type").asText("").endsWith("InstanceNotFoundException")) {
                    continue; // a pattern that matches nothing
                }
                failures.put(on, failure(on, answer, status));
                continue;
            }
            JsonNode value = answer.path("value");
            if (on.isPattern()) {
                for (Map.Entry<String, JsonNode> match : value.properties()) {
                    values.put(objectName(match.getKey()), row(match.getValue()));
                }
            } else {
                values.put(on, row(value));
            }
        }
        return new BulkRead(values, failures);
    }

    private static Map<String, Object> row(JsonNode attributes) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> a : attributes.properties()) {
            out.put(a.getKey(), plain(a.getValue()));
        }
        return out;
    }

    private ObjectName objectName(String name) {
        try {
            return new ObjectName(name);
        } catch (MalformedObjectNameException e) {
            throw new CliException("Jolokia at " + uri + " answered a bad MBean name '" + name + "'", e);
        }
    }

    /** POSTs one request (an object) or a bulk request (an array) and returns the parsed answer. */
    private JsonNode post(JsonNode request) {
        HttpRequest httpRequest;
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)));
            if (authorization != null) {
                builder.header("Authorization", authorization);
            }
            httpRequest = builder.build();
        } catch (IOException e) {
            throw new CliException("cannot encode request: " + e.getMessage(), e);
        }
        HttpResponse<String> response;
        try {
            response = http.send(httpRequest, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliException("cannot reach Jolokia at " + uri + ": " + reason(e)
                    + (e instanceof SSLException && String.valueOf(reason(e)).contains("PKIX")
                            ? " (the server's certificate is not trusted: --truststore FILE)" : ""), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while waiting for " + uri, e);
        }
        if (response.statusCode() == 401) {
            throw new CliException("cannot use Jolokia at " + uri + ": authentication failed (HTTP 401): "
                    + (authorization == null ? "give --user and --password-file" : "check --user and the password"));
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            body = null;
        }
        if (body == null || !(body.isObject() || body.isArray())) {
            throw new CliException("unexpected answer from " + uri + ": HTTP " + response.statusCode()
                    + (response.statusCode() == 404 ? " (is this a Jolokia URL?)" : ""));
        }
        if (body.isObject() && !body.has("status") && response.statusCode() != 200) {
            throw new CliException("unexpected answer from " + uri + ": HTTP " + response.statusCode());
        }
        if (body.isObject() && body.path("status").asInt(response.statusCode()) != 200 && request.isArray()) {
            // a bulk request refused as a whole (e.g. by the policy)
            throw failure(null, body, body.path("status").asInt(response.statusCode()));
        }
        return body;
    }

    /** Why a connection failed, in words: the first message in the cause chain. */
    private static String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return CliException.clean(t.getMessage());
            }
        }
        return e instanceof ConnectException ? "connection refused (is the Jolokia agent running?)"
                : e.getClass().getSimpleName();
    }

    /** JSON to the plain shapes of {@link Backend}. */
    static Object plain(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isArray()) {
            List<Object> list = new ArrayList<>();
            n.forEach(e -> list.add(plain(e)));
            return list;
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            map.put(e.getKey(), plain(e.getValue()));
        }
        return map;
    }
}
