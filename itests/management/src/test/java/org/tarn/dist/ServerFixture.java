package org.tarn.dist;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.tarn.vdev.file.FileVdevDriver;

/**
 * An in-process {@link TarnServer} (Felix with the Tarn bundles) on free
 * loopback ports over a temporary data directory, for the integration tests. It lives in the server's package
 * because the server's constructor, {@code start()} and URL getters are
 * package-private; everything else the tests do goes over JMX or HTTP.
 *
 * <p>The server registers its MBeans in the platform MBeanServer, so only one
 * fixture may run at a time in a JVM (surefire runs test classes one after the
 * other).
 */
public final class ServerFixture implements AutoCloseable {
    /** Size of the sparse device files the tests create (and of the default pool's). */
    public static final long DEVICE_BYTES = 32L * 1024 * 1024;

    private final Path data;
    private final TarnServer server;
    private int nextDevice;

    private ServerFixture(Path data, TarnServer server) {
        this.data = data;
        this.server = server;
    }

    /**
     * Starts a server on {@code data} with remote JMX and/or Jolokia on free
     * ports; its default pool {@code tank} is created on first start.
     */
    public static ServerFixture start(Path data, boolean jmx, boolean jolokia) throws IOException {
        return start(data, jmx, jolokia, "");
    }

    /** As {@link #start(Path, boolean, boolean)}, with extra {@code tarn.properties} lines. */
    public static ServerFixture start(Path data, boolean jmx, boolean jolokia, String extraProperties)
            throws IOException {
        Files.createDirectories(data);
        Files.writeString(data.resolve("tarn.properties"), "jmx.port=" + (jmx ? freePort() : 0) + "\n"
                + "jolokia.port=" + (jolokia ? freePort() : 0) + "\n"
                + "target.server.port=0\n"
                + "default.device.bytes=" + DEVICE_BYTES + "\n"
                + "io.timeout.millis=5000\nshutdown.export.millis=5000\n" + extraProperties);
        // owner-only, as the server requires of a config file that holds a keystore password
        Files.setPosixFilePermissions(data.resolve("tarn.properties"), PosixFilePermissions.fromString("rw-------"));
        TarnServer server = new TarnServer(ServerConfig.load(data, null));
        server.start();
        return new ServerFixture(data, server);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The directory the server confines device paths to ({@code <data>/devices}). */
    public Path devicesDir() {
        return data.resolve("devices");
    }

    /** Creates {@code n} fresh sparse device files under {@link #devicesDir()}. */
    public List<String> newDevices(String prefix, int n) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path p = devicesDir().resolve(prefix + "-" + (nextDevice++));
            FileVdevDriver.createSparseFile(p, DEVICE_BYTES);
            out.add(p.toString());
        }
        return out;
    }

    /** {@code service:jmx:rmi:///jndi/rmi://127.0.0.1:<port>/jmxrmi}, or null when JMX is off. */
    public String jmxUrl() {
        return server.jmxUrl();
    }

    /** The Jolokia agent's URL ({@code http://127.0.0.1:<port>/jolokia/}), or null when it is off. */
    public String jolokiaUrl() {
        return server.jolokiaUrl();
    }

    /**
     * Connects a client to a mounted target, as a target client would
     * (clients do not go over JMX). The target service lives in the server's
     * OSGi framework, whose classes are not this test's, so the call is
     * reflective: {@code TargetService.target(pool, name).orElseThrow().connect(clientId)}.
     */
    public void connectClient(String pool, String target, String clientId) {
        Object targets = server.service("org.tarn.target.TargetService");
        if (targets == null) {
            throw new IllegalStateException("no TargetService in the server's framework");
        }
        try {
            Class<?> serviceType = targets.getClass().getClassLoader().loadClass("org.tarn.target.TargetService");
            Class<?> targetType = targets.getClass().getClassLoader().loadClass("org.tarn.target.Target");
            Object handle = ((java.util.Optional<?>) serviceType.getMethod("target", String.class, String.class)
                    .invoke(targets, pool, target)).orElseThrow();
            targetType.getMethod("connect", String.class).invoke(handle, clientId);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IllegalStateException("connect " + clientId + " to " + pool + "/" + target + ": "
                    + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The state of each bundle of the server's framework, by symbolic name. */
    public java.util.Map<String, String> bundleStates() {
        return server.bundleStates();
    }

    @Override
    public void close() {
        server.close();
    }
}
