/**
 * The target protocol's server: serves the storage targets of a
 * {@link org.tarn.target.TargetService} to remote clients (the
 * {@code tarn-client} library) over TCP, see
 * {@link org.tarn.target.protocol.WireFormat}. Start one with
 * {@link org.tarn.target.server.TargetServers#start}; in OSGi a
 * Declarative Services component does it from Configuration Admin PID
 * {@code org.tarn.target.server}.
 */
@Export
@Version("0.1.0")
package org.tarn.target.server;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
