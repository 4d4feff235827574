package org.tarn.itests.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import com.sun.tools.attach.VirtualMachine;

/** A {@link HostApp} in its own JVM, with its own (old) SLF4J on its class path. */
final class HostProcess implements AutoCloseable {
    static final Path AGENT_JAR = Path.of(System.getProperty("tarn.agent.jar", "target/tarn-agent.jar"));
    static final Path HOST_LIB = Path.of(System.getProperty("tarn.host.lib", "target/host-lib"));
    static final Path TEST_CLASSES = Path.of(System.getProperty("tarn.test.classes", "target/test-classes"));

    private final Process process;
    private final PrintWriter stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer stderr = new StringBuffer();
    private final long pid;
    private JMXConnector jmx;

    private HostProcess(List<String> jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        if (Runtime.version().feature() >= 21) {
            cmd.add("-XX:+EnableDynamicAgentLoading");
        }
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        StringBuilder cp = new StringBuilder(TEST_CLASSES.toString());
        try (var s = Files.list(HOST_LIB)) {
            s.sorted().forEach(j -> cp.append(java.io.File.pathSeparator).append(j));
        }
        cmd.add(cp.toString());
        cmd.add(HostApp.class.getName());
        process = new ProcessBuilder(cmd).start();
        stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        pump(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), true);
        pump(new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), false);
        String ready = awaitLine("ready ");
        pid = Long.parseLong(ready.substring("ready ".length()).trim());
    }

    static HostProcess start(String... jvmArgs) throws IOException, InterruptedException {
        return new HostProcess(List.of(jvmArgs));
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private void pump(BufferedReader r, boolean out) {
        Thread t = new Thread(() -> {
            try {
                String line;
                while ((line = r.readLine()) != null) {
                    if (out) {
                        lines.add(line);
                    } else {
                        stderr.append(line).append('\n');
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "host-" + (out ? "out" : "err"));
        t.setDaemon(true);
        t.start();
    }

    /** The next standard output line starting with {@code prefix} (others are skipped). */
    String awaitLine(String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith(prefix)) {
                return line;
            }
            if (line == null && !process.isAlive()) {
                throw new AssertionError("host application exited " + process.exitValue() + "; stderr:\n" + stderr);
            }
        }
        throw new AssertionError("no line '" + prefix + "...' from the host application; stderr:\n" + stderr);
    }

    /** Asks the host application how it sees itself: its SLF4J, whether Tarn is visible, Tarn's threads. */
    String ping() throws InterruptedException {
        stdin.println("ping");
        return awaitLine("pong ");
    }

    long pid() {
        return pid;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String stderr() {
        return stderr.toString();
    }

    /** JMX into the host, through its local management agent (started over the attach API). */
    MBeanServerConnection jmx() throws Exception {
        if (jmx == null) {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            String url;
            try {
                url = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            jmx = JMXConnectorFactory.connect(new JMXServiceURL(url));
        }
        return jmx.getMBeanServerConnection();
    }

    /** Ends the host application; returns its exit code. */
    int exit() throws Exception {
        closeJmx();
        stdin.println("exit");
        stdin.close();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the host application did not exit");
        }
        return process.exitValue();
    }

    private void closeJmx() {
        if (jmx != null) {
            try {
                jmx.close();
            } catch (IOException ignored) {
                // going away anyway
            }
            jmx = null;
        }
    }

    @Override
    public void close() {
        closeJmx();
        process.destroyForcibly();
    }

    /** Runs {@code java -jar tarn-agent.jar ARGS}; returns its exit code and output. */
    static Result launcher(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", AGENT_JAR.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("launcher " + cmd + " hangs");
        }
        return new Result(p.exitValue(), out);
    }

    record Result(int exitCode, String output) {
    }
}
