/**
 * The client library of Tarn storage targets: {@link org.tarn.client.TargetClients#connect}
 * gives a {@link org.tarn.client.TargetClient} on one target, reached through
 * a list of servers (the primary and its failover partners). It survives
 * server failures: requests are kept until committed, replayed in transaction
 * number order on the server that takes the target over, and executed exactly
 * once.
 */
@Export
@Version("0.1.0")
package org.tarn.client;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
