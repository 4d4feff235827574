/**
 * The file vdev driver: leaf devices on regular files and Linux block devices,
 * reached through positional {@link java.nio.channels.FileChannel} I/O.
 * Exported so that engines, tests and the server can construct the driver.
 */
@Export
@Version("0.1.0")
package org.tarn.vdev.file;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
