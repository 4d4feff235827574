package org.tarn.target.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import org.tarn.target.Reply;

/**
 * One client of a target: what is on disk (slot, generation, last transno;
 * the records of its executed requests) and, in memory only, where it stands
 * in the current mount. Guarded by the target's lock.
 */
final class ClientRecord {
    final String id;
    final int slot;
    /** Distinguishes this client's reply records from those of an earlier client in the same slot. */
    final long generation;
    long lastTransno;
    /** Records of executed numbered requests by xid: (transno, reply); at most a window of them. */
    final TreeMap<Long, LastRcvd.Kept> kept = new TreeMap<>();
    /** Numbered requests running now, by xid: a resend waits for the first execution. */
    final Map<Long, CompletableFuture<Reply>> running = new HashMap<>();
    /** Every request up to this xid has been answered, as the client last said. */
    long repliedXid;
    /** Reconnected during this mount. */
    boolean connected;
    /** Finished replaying (or connected after recovery). */
    boolean done;
    /** Replays of this client waiting for their turn in transno order. */
    int queued;

    ClientRecord(String id, int slot, long generation) {
        this.id = id;
        this.slot = slot;
        this.generation = generation;
    }
}
