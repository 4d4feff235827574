package org.tarn.ha.ocf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the resource agent script the way Pacemaker's executor does: one
 * action, parameters as {@code OCF_RESKEY_*}, the operation timeout as {@code
 * OCF_RESKEY_CRM_meta_timeout}. A run that outlives the timeout by more than
 * a few seconds is killed and reported as hung ({@code exit == -1}).
 */
final class Agent {
    static final Path SCRIPT = Path.of(System.getProperty("tarn.ocf.agent", "ocf/pool"));

    /** OCF exit codes. */
    static final int SUCCESS = 0;
    static final int ERR_GENERIC = 1;
    static final int ERR_UNIMPLEMENTED = 3;
    static final int ERR_PERM = 4;
    static final int ERR_INSTALLED = 5;
    static final int ERR_CONFIGURED = 6;
    static final int NOT_RUNNING = 7;

    record Run(int exit, String out, long millis) {
        @Override
        public String toString() {
            return "exit " + exit + " after " + millis + " ms: " + out;
        }
    }

    /** The agent's state directory (HA_RSCTMP; Pacemaker's is /run/resource-agents), private to the tests. */
    static final Path RSCTMP;

    static {
        try {
            RSCTMP = Files.createTempDirectory("tarn-ocf-rsctmp");
            RSCTMP.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private final Map<String, String> params = new HashMap<>();
    private final Map<String, String> env = new HashMap<>();

    Agent(String pool, String jolokiaUrl) {
        params.put("pool", pool);
        params.put("jolokia_url", jolokiaUrl);
    }

    Agent with(String param, String value) {
        params.put(param, value);
        return this;
    }

    Agent env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Map<String, String> params() {
        return Map.copyOf(params);
    }

    Run run(String action, long timeoutMillis) throws IOException, InterruptedException {
        return run(action, timeoutMillis, Map.of());
    }

    Run run(String action, long timeoutMillis, Map<String, String> extraEnv) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString(), action));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> e = pb.environment();
        e.put("OCF_ROOT", "/usr/lib/ocf");
        e.put("HA_RSCTMP", RSCTMP.toString());
        e.put("OCF_RESOURCE_INSTANCE", params.get("pool"));
        e.put("OCF_RESKEY_CRM_meta_timeout", Long.toString(timeoutMillis));
        params.forEach((k, v) -> e.put("OCF_RESKEY_" + k, v));
        e.putAll(env);
        e.putAll(extraEnv);
        long t0 = System.nanoTime();
        Process p = pb.start();
        boolean ended = p.waitFor(timeoutMillis + 5_000, TimeUnit.MILLISECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return new Run(-1, new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8), millis);
        }
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8), millis);
    }

    static boolean executable() {
        return Files.isExecutable(SCRIPT);
    }
}
