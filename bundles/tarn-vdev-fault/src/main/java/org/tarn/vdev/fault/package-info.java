/**
 * The fault vdev driver: wraps another driver and, under the control of a
 * {@link org.tarn.vdev.fault.FaultInjector} per device path, injects I/O
 * errors, ENOSPC, silent corruption, latency and hangs, so that every failure
 * path of the engine can be tested reproducibly.
 */
@Export
@Version("0.1.0")
package org.tarn.vdev.fault;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
