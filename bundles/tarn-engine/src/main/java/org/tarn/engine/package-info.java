/**
 * The engine's SPI, the only package other bundles and tools use:
 * {@link org.tarn.engine.TarnEngine} starts an {@link org.tarn.engine.Engine}
 * (the {@code PoolManager} of tarn-api, the driver registry and
 * {@code close()}) from {@link org.tarn.engine.EngineSettings}, with the host
 * identity, the path policy and every tunable; {@link
 * org.tarn.engine.TarnEngine#labelDump} renders a device's labels for
 * {@code tarnctl label}. Everything under it ({@code pool}, {@code importer},
 * {@code label}, {@code io}, {@code txg}, {@code dmu}, {@code vdev},
 * {@code mmp}) is the implementation, private to the tarn-engine bundle.
 */
@Export
@Version("1.0.0")
package org.tarn.engine;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
