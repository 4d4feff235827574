package org.tarn.client;

/**
 * Counters of one client since it started.
 *
 * @param connects       successful connects to a target (the first included)
 * @param failovers      connects to a different server than the previous one
 * @param replays        requests replayed after a reconnect
 * @param resends        requests sent again after a lost reply or connection
 * @param kept           requests answered but not yet covered by last_committed, kept for replay
 * @param outstanding    requests sent or waiting that have no answer yet
 * @param lost           requests that were answered but lost before they committed (the target evicted
 *                       this client: its recovery window closed without it)
 * @param lastCommitted  the highest last_committed seen
 * @param server         the server connected to now; empty while disconnected
 */
public record ClientStats(long connects, long failovers, long replays, long resends, int kept, int outstanding,
                          long lost, long lastCommitted, String server) {
}
