package org.tarn.target.server;

import java.net.InetSocketAddress;

/** A running target server. */
public interface TargetServer extends AutoCloseable {

    /** The address it listens on (with the real port when the settings asked for port 0). */
    InetSocketAddress address();

    /** Client connections open now. */
    int connections();

    /** Requests answered since it started (every kind). */
    long requestsAnswered();

    /** The settings it runs with. */
    TargetServerSettings settings();

    /** Stops listening and closes every connection; requests running finish but are not answered. */
    @Override
    void close();
}
