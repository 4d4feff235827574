package org.tarn.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;

/**
 * The Tarn Java agent's bootstrap, the only class at the top level of
 * {@code tarn-agent.jar}; it depends on nothing but the JDK.
 *
 * <p>As an agent ({@code -javaagent:tarn-agent.jar=OPTIONS} or attached with
 * {@code java -jar tarn-agent.jar attach PID OPTIONS}) it extracts the nested
 * jars under {@code META-INF/tarn-lib/} (Tarn, SLF4J, Jolokia and the agent
 * runtime) to a temporary directory and loads them in a class loader of its
 * own whose parent is the platform class loader: the host application's
 * classes (its SLF4J, Jackson, Jolokia...) are invisible to Tarn and Tarn's
 * to the host. It then starts {@code org.tarn.agent.runtime.AgentRuntime}
 * reflectively. When that runtime is shut down (operation {@code shutdown()}
 * of MBean {@code tarn:type=Agent}) it calls back here and the class loader
 * is closed and its directory deleted, so a later attach starts afresh.
 *
 * <p>Options are {@code key=value,key=value}: {@code state=DIR},
 * {@code search=DIR[:DIR]}, {@code jolokia=PORT}; see the runtime.
 */
public final class TarnAgent {
    /** Where the nested jars are, inside the agent jar. */
    static final String LIB_PREFIX = "META-INF/tarn-lib/";
    /** The runtime class, in the nested jars. */
    static final String RUNTIME_CLASS = "org.tarn.agent.runtime.AgentRuntime";
    /** Set (to the agent's options) in the host JVM while the agent runs; read by {@code list}. */
    public static final String ACTIVE_PROPERTY = "tarn.agent.active";

    private static final Object LOCK = new Object();
    private static URLClassLoader loader;
    private static Path libDir;
    /** Incremented on each start, so a late callback of an old runtime cannot drop a new one. */
    private static long generation;

    private TarnAgent() {
    }

    /** {@code -javaagent:} entry point. */
    public static void premain(String options, Instrumentation inst) {
        startAgent(options);
    }

    /** Dynamic attach entry point. */
    public static void agentmain(String options, Instrumentation inst) {
        startAgent(options);
    }

    private static void startAgent(String options) {
        try {
            start(options);
        } catch (Exception e) {
            // never take the host down: report and leave it running without Tarn
            System.err.println("tarn-agent: not started: " + e);
            e.printStackTrace();
        }
    }

    /**
     * Starts Tarn in its own class loader; does nothing (but say so) when it is
     * already running in this JVM.
     *
     * @return false when it was already running
     */
    public static boolean start(String options) throws Exception {
        synchronized (LOCK) {
            if (loader != null) {
                System.err.println("tarn-agent: already running in this JVM (" + System.getProperty(ACTIVE_PROPERTY)
                        + "); shut it down with operation shutdown() of MBean tarn:type=Agent first");
                return false;
            }
            // Nagle off on the JDK HTTP server Jolokia uses, unless the application chose: with it, every
            // request on a kept-alive connection waits ~40 ms for the client's delayed ACK. Takes effect if
            // no JDK HttpServer ran in this JVM yet (the value is read once).
            if (System.getProperty("sun.net.httpserver.nodelay") == null) {
                System.setProperty("sun.net.httpserver.nodelay", "true");
            }
            Path dir = Files.createTempDirectory("tarn-agent-");
            URLClassLoader cl = null;
            ClassLoader previous = Thread.currentThread().getContextClassLoader();
            try {
                List<URL> urls = extractLibs(dir);
                cl = new URLClassLoader("tarn-agent", urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
                Class<?> runtime = Class.forName(RUNTIME_CLASS, true, cl);
                Method start = runtime.getMethod("start", String.class, Runnable.class);
                long gen = ++generation;
                Runnable onStopped = () -> stopped(gen);
                Thread.currentThread().setContextClassLoader(cl);
                loader = cl;
                libDir = dir;
                start.invoke(null, options == null ? "" : options, onStopped);
                return true;
            } catch (InvocationTargetException e) {
                dropLoader();
                throw e.getCause() instanceof Exception ex ? ex : e;
            } catch (Exception | Error e) {
                if (loader == null && cl != null) {
                    cl.close();
                }
                dropLoader();
                deleteTree(dir);
                throw e;
            } finally {
                Thread.currentThread().setContextClassLoader(previous);
            }
        }
    }

    /** Called by the runtime when it has shut down: closes its class loader. */
    private static void stopped(long gen) {
        synchronized (LOCK) {
            if (gen == generation) {
                dropLoader();
            }
        }
    }

    private static void dropLoader() {
        URLClassLoader cl = loader;
        Path dir = libDir;
        loader = null;
        libDir = null;
        if (cl != null) {
            try {
                cl.close();
            } catch (IOException e) {
                System.err.println("tarn-agent: closing its class loader: " + e);
            }
        }
        if (dir != null) {
            deleteTree(dir);
        }
    }

    /** Copies every nested jar of the agent jar to {@code dir}. */
    private static List<URL> extractLibs(Path dir) throws IOException {
        Path self = agentJar();
        List<URL> urls = new ArrayList<>();
        try (JarFile jar = new JarFile(self.toFile())) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                String name = e.getName();
                if (!e.isDirectory() && name.startsWith(LIB_PREFIX) && name.endsWith(".jar")
                        && name.indexOf('/', LIB_PREFIX.length()) < 0) {
                    Path target = dir.resolve(name.substring(LIB_PREFIX.length()));
                    try (InputStream in = jar.getInputStream(e)) {
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                    urls.add(target.toUri().toURL());
                }
            }
        }
        if (urls.isEmpty()) {
            throw new IllegalStateException(self + " holds no jars under " + LIB_PREFIX + "; is it the packaged agent?");
        }
        return urls;
    }

    /** The jar this class was loaded from. */
    static Path agentJar() {
        try {
            Path p = Path.of(TarnAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("the Tarn agent runs from " + p + ", not from its packaged jar");
            }
            return p;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans it eventually
        }
    }

    // ---------------------------------------------------------------- launcher

    /** {@code java -jar tarn-agent.jar attach PID [OPTIONS] | list | help}. */
    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args);
        } catch (Exception e) {
            System.err.println("tarn-agent: " + e.getMessage());
            rc = 1;
        }
        System.exit(rc);
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("-h") || args[0].equals("--help")) {
            usage();
            return args.length == 0 ? 2 : 0;
        }
        switch (args[0]) {
            case "attach" -> {
                if (args.length < 2 || args.length > 3) {
                    System.err.println("tarn-agent: usage: attach PID [OPTIONS]");
                    return 2;
                }
                attach(args[1], args.length == 3 ? args[2] : "");
                return 0;
            }
            case "list" -> {
                list();
                return 0;
            }
            default -> {
                System.err.println("tarn-agent: unknown command '" + args[0] + "' (try help)");
                return 2;
            }
        }
    }

    private static void usage() {
        System.out.println("""
                usage: java -jar tarn-agent.jar attach PID [OPTIONS]   load Tarn into a running JVM
                       java -jar tarn-agent.jar list                   JVMs on this host, and whether Tarn runs in them
                       java -javaagent:tarn-agent.jar[=OPTIONS] ...     start a JVM with Tarn
                OPTIONS: key=value,key=value with
                  state=DIR          engine state (host id, pool cache); default ./tarn-agent-state
                  search=DIR[:DIR]   device search paths, the only places management may name devices in;
                                     default STATE/devices
                  jolokia=PORT       also serve Jolokia on 127.0.0.1:PORT (0 or absent: no Jolokia)
                  targets=PORT       serve the storage targets to tarn-client on 127.0.0.1:PORT (0 or absent: no)
                Shut it down with operation shutdown() of MBean tarn:type=Agent: every pool is exported
                (and kept in the cache, re-imported at the next start).""");
    }

    private static void attach(String pid, String options) throws Exception {
        Path jar = agentJar();
        VirtualMachine vm = VirtualMachine.attach(pid);
        try {
            String active = vm.getSystemProperties().getProperty(ACTIVE_PROPERTY);
            if (active != null) {
                throw new IllegalStateException("Tarn already runs in JVM " + pid + " (" + active + ")");
            }
            vm.loadAgent(jar.toString(), options);
            active = vm.getSystemProperties().getProperty(ACTIVE_PROPERTY);
            if (active == null) {
                throw new IllegalStateException("the agent was loaded into JVM " + pid
                        + " but Tarn did not start; see that JVM's standard error");
            }
            System.out.println("Tarn agent running in JVM " + pid + " (" + active + ")");
        } finally {
            vm.detach();
        }
    }

    private static void list() {
        String self = Long.toString(ProcessHandle.current().pid());
        System.out.printf("%-8s %-6s %s%n", "PID", "TARN", "MAIN");
        for (VirtualMachineDescriptor d : VirtualMachine.list()) {
            if (d.id().equals(self)) {
                continue;
            }
            String tarn;
            try {
                VirtualMachine vm = VirtualMachine.attach(d);
                try {
                    Properties props = vm.getSystemProperties();
                    String active = props.getProperty(ACTIVE_PROPERTY);
                    tarn = active == null ? "no" : "yes";
                } finally {
                    vm.detach();
                }
            } catch (Exception e) {
                tarn = "?";
            }
            System.out.printf("%-8s %-6s %s%n", d.id(), tarn, d.displayName());
        }
    }
}
