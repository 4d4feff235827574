/**
 * The device driver SPI: how the engine reaches a leaf device. A driver turns a
 * path into a {@link org.tarn.api.vdev.BlockDevice}; the engine does all
 * checksumming, retries, timeouts and mirroring above it.
 */
@Export
@Version("0.1.0")
package org.tarn.api.vdev;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
