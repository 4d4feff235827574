/**
 * The target protocol without the network: the operations an OST serves
 * ({@link org.tarn.target.protocol.TargetOp}), the messages
 * ({@link org.tarn.target.protocol.Message}) and their binary encoding
 * ({@link org.tarn.target.protocol.WireFormat}), shared by
 * {@code tarn-target-server} and {@code tarn-client}.
 */
@Export
@Version("0.1.0")
package org.tarn.target.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
