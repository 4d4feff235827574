/**
 * The device driver SPI: how the engine reaches a leaf device. A driver turns a
 * path into a {@link org.tarn.api.vdev.BlockDevice}; the engine does all
 * checksumming, retries, timeouts and mirroring above it.
 *
 * <p>0.2.0: uncached transfers ({@link org.tarn.api.vdev.BlockDevice#readUncached},
 * {@link org.tarn.api.vdev.BlockDevice#writeUncached}, {@link org.tarn.api.vdev.UncachedMode}), added as
 * default methods, so drivers written for 0.1 still compile and run.
 */
@Export
@Version("0.2.0")
package org.tarn.api.vdev;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
