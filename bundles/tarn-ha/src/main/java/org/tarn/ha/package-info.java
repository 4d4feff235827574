/**
 * Automatic failover of Tarn pools over a ZooKeeper ensemble, for JVM
 * deployments (as ActiveMQ Artemis's pluggable quorum): {@link
 * org.tarn.ha.TarnHa#start} joins a server's {@link org.tarn.api.PoolManager}
 * to the cluster; {@link org.tarn.ha.HaService} is its view of it, {@link
 * org.tarn.ha.HaManagerMXBean} the MBean an operator drives it with. The
 * engine knows nothing of ZooKeeper: this bundle uses only the PoolManager
 * and its events. The implementation (Apache Curator) lives in {@code
 * org.tarn.ha.internal} and is private.
 */
@Export
@Version("0.1.0")
package org.tarn.ha;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
