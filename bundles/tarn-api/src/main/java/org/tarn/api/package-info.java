/**
 * Tarn's public API: pools, datasets, transactions, their states and the one
 * domain exception. Implementations live in {@code tarn-engine} and are never
 * exported.
 */
@Export
@Version("0.3.0")
package org.tarn.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
