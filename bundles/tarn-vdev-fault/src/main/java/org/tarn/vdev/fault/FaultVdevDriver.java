package org.tarn.vdev.fault;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.tarn.api.vdev.VdevDriver;

/**
 * The {@code fault} driver: opens {@code fault:<inner path>} with an inner
 * driver and wraps the device in a {@link FaultBlockDevice}, whose faults are
 * set at run time through {@link #injector(String)}.
 *
 * <pre>
 * FaultVdevDriver faults = new FaultVdevDriver(new FileVdevDriver());
 * faults.injector("/tmp/d0").add(FaultRule.error().on(FaultRule.Op.WRITE));
 * BlockDevice device = faults.open("fault:/tmp/d0", false); // every write fails
 * </pre>
 */
public final class FaultVdevDriver implements VdevDriver {

    /** The driver's type. */
    public static final String TYPE = "fault";

    /** The prefix of the paths this driver accepts. */
    public static final String PREFIX = "fault:";

    private final VdevDriver inner;

    /** One injector per inner path, created on first use and kept for the driver's life. */
    private final ConcurrentMap<String, FaultInjector> injectors = new ConcurrentHashMap<>();
    /** Open devices per inner path; guarded by itself. */
    private final java.util.Map<String, Integer> open = new java.util.HashMap<>();
    /** Inner paths whose rules came through {@link #openInjector}: cleared when their last device closes. */
    private final java.util.Set<String> armedWhileOpen = ConcurrentHashMap.newKeySet();

    /** A driver whose devices are opened by {@code inner}. */
    public FaultVdevDriver(VdevDriver inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public String type() {
        return TYPE;
    }

    /** Whether the path is {@code fault:} followed by a path the inner driver accepts. */
    @Override
    public boolean accepts(String path) {
        return path != null && path.startsWith(PREFIX) && inner.accepts(path.substring(PREFIX.length()));
    }

    /**
     * Opens the inner device; failures of the inner open pass through unchanged.
     *
     * @throws IllegalArgumentException when this driver does not {@linkplain #accepts accept} the path
     */
    @Override
    public FaultBlockDevice open(String path, boolean readOnly) throws IOException {
        if (!accepts(path)) {
            throw new IllegalArgumentException("not a fault device path: " + path);
        }
        String innerPath = path.substring(PREFIX.length());
        FaultBlockDevice device = new FaultBlockDevice(path, inner.open(innerPath, readOnly), injector(innerPath),
                () -> closed(innerPath));
        synchronized (open) {
            open.merge(innerPath, 1, Integer::sum);
        }
        return device;
    }

    private void closed(String innerPath) {
        boolean last;
        synchronized (open) {
            last = open.merge(innerPath, -1, Integer::sum) <= 0;
            if (last) {
                open.remove(innerPath);
            }
        }
        if (last && armedWhileOpen.remove(innerPath)) {
            // rules an operator armed on an open device do not outlive it: a later pool on the path starts clean
            injector(innerPath).clear();
        }
    }

    /** Whether a {@code fault:} device of this path is open now (with or without the prefix). */
    public boolean isOpen(String path) {
        synchronized (open) {
            return open.containsKey(innerPath(path));
        }
    }

    /**
     * The injector of a device that is open through this driver now, for
     * rules armed by an operator (the FaultInjection MBean): refused for a
     * path no {@code fault:} device is open on, so a rule can never lie in
     * wait for a later pool, and cleared when that device's last open
     * handle closes.
     *
     * @throws IllegalArgumentException when no {@code fault:} device of that path is open here
     */
    public FaultInjector openInjector(String path) {
        String innerPath = innerPath(path);
        if (!isOpen(innerPath)) {
            throw new IllegalArgumentException("device '" + path + "' is not open through the fault driver here: no "
                    + "pool of this process uses " + PREFIX + innerPath + " (open devices: " + openPaths()
                    + "); create or import the pool on " + PREFIX + innerPath + " first");
        }
        armedWhileOpen.add(innerPath);
        return injector(innerPath);
    }

    /** The paths of the open {@code fault:} devices, sorted. */
    public java.util.List<String> openPaths() {
        synchronized (open) {
            return open.keySet().stream().sorted().map(p -> PREFIX + p).toList();
        }
    }

    private static String innerPath(String path) {
        Objects.requireNonNull(path, "path");
        String innerPath = path.startsWith(PREFIX) ? path.substring(PREFIX.length()) : path;
        if (innerPath.isEmpty()) {
            throw new IllegalArgumentException("no device path in \"" + path + "\"");
        }
        return innerPath;
    }

    /**
     * The injector for a device, whether or not it is open, created on first
     * use. {@code path} may be given with or without the {@code fault:} prefix;
     * the rest must be spelled as the device is opened.
     */
    public FaultInjector injector(String path) {
        return injectors.computeIfAbsent(innerPath(path), p -> new FaultInjector(PREFIX + p));
    }
}
