package org.tarn.engine.pool;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.importer.DeviceScanner;
import org.tarn.engine.vdev.DevicePaths;

/**
 * The vdev drivers deployed in an engine, and the cached pools waiting for
 * one. Drivers come and go at run time, as driver bundles do in OSGi; what
 * that means for the pools (a leaving driver force-exports the pools on it,
 * an arriving one imports the cached pools that waited for it) is the
 * namespace's business ({@link SpaNamespace#addDriver}, {@link
 * SpaNamespace#removeDriver}): this class only keeps the set.
 */
final class DriverRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(DriverRegistry.class);

    private final List<VdevDriver> drivers;
    /** Serializes driver arrivals and departures. */
    private final Object lock = new Object();
    /** Cached pools whose devices need a driver not deployed yet, by name; kept in the cache file. */
    private final Map<String, CacheFile.Entry> awaiting = new ConcurrentHashMap<>();

    DriverRegistry(List<VdevDriver> drivers) {
        this.drivers = new CopyOnWriteArrayList<>(drivers);
    }

    /** Adds a driver; refuses a second one of a type. */
    void add(VdevDriver driver) {
        synchronized (lock) {
            if (driver(driver.type()).isPresent()) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "a vdev driver of type '" + driver.type()
                        + "' is deployed already; remove it first");
            }
            drivers.add(driver);
        }
        LOG.info("vdev driver '{}' added; drivers now {}", driver.type(), types());
    }

    /** Removes the driver of a type; from now on nothing can open its devices. */
    Optional<VdevDriver> remove(String type) {
        synchronized (lock) {
            Optional<VdevDriver> gone = driver(type);
            gone.ifPresent(drivers::remove);
            return gone;
        }
    }

    Optional<VdevDriver> driver(String type) {
        return drivers.stream().filter(d -> d.type().equals(type)).findFirst();
    }

    List<String> types() {
        return drivers.stream().map(VdevDriver::type).toList();
    }

    /** Whether some deployed driver accepts a path. */
    boolean accepts(String path) {
        return drivers.stream().anyMatch(d -> d.accepts(path));
    }

    /** The driver of a path. */
    VdevDriver driverFor(String path) {
        for (VdevDriver d : drivers) {
            if (d.accepts(path)) {
                return d;
            }
        }
        throw missingDriver(path);
    }

    /** The driver type a path asks for: its scheme ({@code fault:/d0} is {@code fault}), else {@code file}. */
    static String typeOf(String path) {
        return DevicePaths.driverType(path);
    }

    TarnException missingDriver(String path) {
        return new TarnException(ErrorCode.DRIVER_MISSING, "no vdev driver accepts device '" + path + "': no driver "
                + "of type '" + typeOf(path) + "' is deployed (deployed: " + types() + "); deploy "
                + "that driver and retry");
    }

    /** Opens a device through its driver, with the error an operator can act on. */
    BlockDevice open(String path, boolean readOnly) {
        try {
            return driverFor(path).open(path, readOnly);
        } catch (NoSuchFileException e) {
            throw new TarnException(ErrorCode.DEVICE_MISSING, "device '" + path + "' does not exist", e);
        } catch (AccessDeniedException e) {
            throw new TarnException(ErrorCode.DEVICE_READ_ONLY, "device '" + path + "' cannot be opened for "
                    + (readOnly ? "reading" : "writing"), e);
        } catch (IOException e) {
            throw new TarnException(ErrorCode.DEVICE_MISSING, "device '" + path + "' cannot be opened: "
                    + e.getMessage(), e);
        }
    }

    /** A label scanner over the deployed drivers. */
    DeviceScanner scanner(long deadlineMillis) {
        return new DeviceScanner(path -> drivers.stream().filter(d -> d.accepts(path)).findFirst().orElse(null),
                deadlineMillis);
    }

    // ---- cached pools waiting for a driver ----------------------------------------

    /** Whether a cached pool must wait for a driver; if so it is kept, in the cache file too, until one comes. */
    boolean awaitDriver(CacheFile.Entry e) {
        for (String path : e.devices()) {
            if (!accepts(path)) {
                awaiting.put(e.name(), e);
                LOG.info("cached pool '{}' waits for a vdev driver of type '{}' (device '{}')", e.name(),
                        typeOf(path), path);
                return true;
            }
        }
        return false;
    }

    /** The waiting pools whose every device a deployed driver now accepts; they stop waiting. */
    List<CacheFile.Entry> takeReady() {
        List<CacheFile.Entry> ready = new ArrayList<>();
        for (CacheFile.Entry e : List.copyOf(awaiting.values())) {
            if (e.devices().stream().allMatch(this::accepts) && awaiting.remove(e.name(), e)) {
                ready.add(e);
            }
        }
        return ready;
    }

    /** The cached pools still waiting. */
    List<CacheFile.Entry> awaiting() {
        return List.copyOf(awaiting.values());
    }

    List<String> awaitingNames() {
        return awaiting.keySet().stream().sorted().toList();
    }
}
