package org.tarn.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

/**
 * The web console: a few static files (HTML, JavaScript, CSS, in
 * {@code org/tarn/dist/console/} of this jar) served under {@value #PATH} by
 * the HTTP server that serves Jolokia, so the page talks to Jolokia on its own
 * origin, behind the same authentication and TLS, and needs nothing else on
 * the server. It also answers the server's root ({@code /}) with a redirect
 * to the console. Everything it shows or does goes through Jolokia's JSON
 * protocol and the server's Jolokia policy: the console has no powers of its
 * own.
 *
 * <p>The files are read once, when the server starts; a request can name only
 * one of them (no file system paths, no directory listing). Responses forbid
 * framing (the page has export buttons) and carry a content security policy
 * that allows scripts and styles from this origin only.
 */
final class Console implements HttpHandler {
    /** Context path of the console on the Jolokia HTTP server. */
    static final String PATH = "/console/";
    private static final String RESOURCES = "console/";
    /** The files, by name under {@link #PATH}, with their content types; "" is the page itself. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");
    private static final String POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

    private final Map<String, byte[]> content = new LinkedHashMap<>();

    private Console() {
    }

    /** Loads the console's files from the class path; fails when one is missing (a broken build). */
    static Console load() throws IOException {
        Console c = new Console();
        for (String name : FILES.keySet()) {
            try (InputStream in = Console.class.getResourceAsStream(RESOURCES + name)) {
                if (in == null) {
                    throw new IOException("the console's " + RESOURCES + name + " is missing from the tarn-dist jar");
                }
                c.content.put(name, in.readAllBytes());
            }
        }
        return c;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/") || path.equals(PATH.substring(0, PATH.length() - 1))) {
                // the server's root, and "/console" without the slash (relative links in the page need it)
                exchange.getResponseHeaders().set("Location", PATH);
                exchange.sendResponseHeaders(301, -1);
                return;
            }
            String name = path.startsWith(PATH) ? path.substring(PATH.length()) : null;
            if ("".equals(name)) {
                name = "index.html";
            }
            byte[] body = name == null ? null : content.get(name);
            if (body == null) {
                send(exchange, 404, "text/plain; charset=utf-8", ("not found: " + path + " (the console is at " + PATH
                        + ")\n").getBytes(StandardCharsets.UTF_8), method);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "GET or HEAD only\n"
                        .getBytes(StandardCharsets.UTF_8), method);
                return;
            }
            send(exchange, 200, FILES.get(name), body, method);
        }
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body, String method)
            throws IOException {
        var h = exchange.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Cache-Control", "no-cache");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Content-Security-Policy", POLICY);
        if (method.equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
