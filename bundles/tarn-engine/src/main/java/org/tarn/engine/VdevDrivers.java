package org.tarn.engine;

import java.util.List;
import java.util.Optional;

import org.tarn.api.vdev.VdevDriver;

/**
 * The vdev drivers of an engine, which come and go at run time as driver
 * bundles do in OSGi, without restarting anything.
 */
public interface VdevDrivers {

    /**
     * Makes a driver usable from now on, without touching any pool: creates
     * and imports may name its devices, and the cached pools that were
     * waiting for a driver of its type are imported.
     *
     * @throws org.tarn.api.TarnException {@code INVALID_ARGUMENT} when a driver of the same type is
     *     deployed already
     */
    void addDriver(VdevDriver driver);

    /**
     * Removes the driver of a type. From now on no create or import can use
     * it (they fail with {@code DRIVER_MISSING} naming the type), and every
     * imported pool with a device that driver handles is force-exported, in
     * bounded time whatever its devices do. Pools on other drivers are not
     * touched.
     *
     * @return the names of the pools force-exported; empty when no such driver is deployed
     */
    List<String> removeDriver(String type);

    /** The deployed driver of a type. */
    Optional<VdevDriver> driver(String type);

    /** The types of the deployed drivers, in the order they are asked to accept a path. */
    List<String> driverTypes();

    /** Cached pools not imported yet because a driver of their devices is not deployed. */
    List<String> poolsAwaitingDriver();
}
