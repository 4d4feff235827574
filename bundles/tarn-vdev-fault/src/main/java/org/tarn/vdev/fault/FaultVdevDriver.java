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
        return new FaultBlockDevice(path, inner.open(innerPath, readOnly), injector(innerPath));
    }

    /**
     * The injector for a device, whether or not it is open, created on first
     * use. {@code path} may be given with or without the {@code fault:} prefix;
     * the rest must be spelled as the device is opened.
     */
    public FaultInjector injector(String path) {
        Objects.requireNonNull(path, "path");
        String innerPath = path.startsWith(PREFIX) ? path.substring(PREFIX.length()) : path;
        if (innerPath.isEmpty()) {
            throw new IllegalArgumentException("no device path in \"" + path + "\"");
        }
        return injectors.computeIfAbsent(innerPath, p -> new FaultInjector(PREFIX + p));
    }
}
