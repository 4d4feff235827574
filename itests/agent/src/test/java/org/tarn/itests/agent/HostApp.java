package org.tarn.itests.agent;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "application" the integration tests attach the agent to: a plain Java
 * main with its own SLF4J (1.7, with the NOP binding) on its class path. It
 * prints {@code ready}, then answers each line on standard input: {@code ping}
 * with what its SLF4J is and whether Tarn's classes are visible to it;
 * it exits at end of input or on {@code exit}.
 */
public final class HostApp {
    private static final Logger LOG = LoggerFactory.getLogger(HostApp.class);

    private HostApp() {
    }

    public static void main(String[] args) throws Exception {
        LOG.info("host application started");
        System.out.println("ready " + ProcessHandle.current().pid());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            switch (line.trim()) {
                case "ping" -> System.out.println("pong slf4j=" + LoggerFactory.getILoggerFactory().getClass().getName()
                        + " logger=" + LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation()
                        + " tarnVisible=" + visible("org.tarn.engine.TarnEngine")
                        + " tarnThreads=" + tarnThreads());
                case "exit" -> {
                    System.out.println("bye");
                    return;
                }
                default -> System.out.println("unknown " + line);
            }
            System.out.flush();
        }
    }

    private static boolean visible(String className) {
        try {
            Class.forName(className, false, ClassLoader.getSystemClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /**
     * Names of the live threads Tarn started (their names start with tarn-, or their context class loader is
     * the agent's), comma separated; - when there are none.
     */
    private static String tarnThreads() {
        StringBuilder sb = new StringBuilder();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            ClassLoader tccl = t.getContextClassLoader();
            boolean agents = tccl != null && "tarn-agent".equals(tccl.getName());
            if (t.isAlive() && (t.getName().startsWith("tarn-") || agents)) {
                sb.append(sb.length() == 0 ? "" : ",").append(t.getName());
            }
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }
}
