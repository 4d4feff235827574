package org.tarn.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A poor man's profiler (async-profiler is not available here): takes the
 * stacks of the caller, the pool's sync thread and its I/O threads every few
 * milliseconds, like repeated {@code jstack}, and counts where each group of
 * threads is. A running thread counts at its top frame (native frames such as
 * {@code pwrite0} or {@code force0} show device time); a parked one counts as
 * waiting, at the first Tarn frame that waits. Safepoint-biased (a thread in
 * native code, such as a {@code pwrite}, is seen where it is), so read the
 * shares of Java code as rough.
 */
final class StackSampler implements AutoCloseable {
    private static final java.util.Set<String> PARKED = java.util.Set.of("Unsafe.park", "Object.wait",
            "Thread.sleep", "Thread.onSpinWait");

    private final Thread caller;
    private final long intervalMillis;
    private final Map<String, Map<String, Integer>> byRole = new LinkedHashMap<>();
    private final Map<String, Integer> samplesByRole = new HashMap<>();
    private final Thread thread;
    private volatile boolean stop;

    StackSampler(Thread caller, long intervalMillis) {
        this.caller = caller;
        this.intervalMillis = intervalMillis;
        this.thread = new Thread(this::loop, "bench-stack-sampler");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        while (!stop) {
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                String role = role(e.getKey());
                if (role != null && e.getValue().length > 0) {
                    record(role, e.getKey().getState(), e.getValue());
                }
            }
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException ex) {
                return;
            }
        }
    }

    private String role(Thread t) {
        if (t == caller) {
            return "caller (begin/write/commit, sync wait)";
        }
        String n = t.getName();
        if (n.startsWith("tarn-") && n.endsWith("-sync")) {
            return "pool sync thread";
        }
        if (n.startsWith("tarn-") && n.contains("-io-")) {
            return "device I/O threads";
        }
        return null;
    }

    private synchronized void record(String role, Thread.State state, StackTraceElement[] stack) {
        // The state is read apart from the stack, so it can be stale: a parking top frame decides.
        String top = frame(stack[0]);
        String key;
        if (PARKED.contains(top) || state == Thread.State.BLOCKED) {
            int i = firstTarnFrame(stack);
            key = (PARKED.contains(top) ? "waiting in " : "blocked in ") + (i < 0 ? top : frame(stack[i]));
        } else {
            key = "running " + top + tarnCaller(stack, 0);
        }
        byRole.computeIfAbsent(role, r -> new HashMap<>()).merge(key, 1, Integer::sum);
        samplesByRole.merge(role, 1, Integer::sum);
    }

    private static int firstTarnFrame(StackTraceElement[] stack) {
        for (int i = 0; i < stack.length; i++) {
            String c = stack[i].getClassName();
            if (c.startsWith("org.tarn.") && !c.startsWith("org.tarn.bench.")) {
                return i;
            }
        }
        return -1;
    }

    /** For a running JDK frame: the engine frame it runs for, so "pwrite0" says who wrote. */
    private static String tarnCaller(StackTraceElement[] stack, int from) {
        if (stack[from].getClassName().startsWith("org.tarn.")) {
            return "";
        }
        int i = firstTarnFrame(stack);
        return i < 0 ? "" : " <- " + frame(stack[i]);
    }

    private static String frame(StackTraceElement f) {
        String c = f.getClassName();
        return c.substring(c.lastIndexOf('.') + 1) + "." + f.getMethodName();
    }

    @Override
    public void close() {
        stop = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The top {@code limit} entries per role as Markdown. */
    synchronized String markdown(int limit) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Map<String, Integer>> r : byRole.entrySet()) {
            int total = samplesByRole.get(r.getKey());
            sb.append("\n*").append(r.getKey()).append("* (").append(total).append(" thread samples)\n\n");
            sb.append("| share | where |\n|---:|---|\n");
            List<Map.Entry<String, Integer>> entries = new ArrayList<>(r.getValue().entrySet());
            entries.sort((a, b) -> b.getValue() - a.getValue());
            for (Map.Entry<String, Integer> e : entries.subList(0, Math.min(limit, entries.size()))) {
                sb.append(String.format("| %.0f%% | `%s` |%n", 100.0 * e.getValue() / total, e.getKey()));
            }
        }
        return sb.toString();
    }
}
