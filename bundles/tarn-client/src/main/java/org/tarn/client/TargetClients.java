package org.tarn.client;

import org.tarn.client.internal.ClientSession;

/** Entry point of the client library. */
public final class TargetClients {
    private TargetClients() {
    }

    /**
     * Starts a client and waits until it is connected to a server that serves
     * its target (trying the partners with backoff for up to
     * {@link ClientSettings#giveUpMillis()}).
     *
     * @throws org.tarn.api.TarnException ACCESS_DENIED (secret, certificate), UNSUPPORTED_VERSION, TIMED_OUT
     *     (no server serves the target), EVICTED
     */
    public static TargetClient connect(ClientSettings settings) {
        ClientSession s = ClientSession.start(settings);
        try {
            s.awaitConnected();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Starts a client without waiting: requests wait (up to the give-up time) until it is connected. */
    public static TargetClient start(ClientSettings settings) {
        return ClientSession.start(settings);
    }
}
