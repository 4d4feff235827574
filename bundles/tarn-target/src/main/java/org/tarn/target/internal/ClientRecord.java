package org.tarn.target.internal;

/**
 * One client of a target: what is on disk (slot, last transno, last reply)
 * and, in memory only, where it stands in the current mount. Guarded by the
 * target's lock.
 */
final class ClientRecord {
    final String id;
    final int slot;
    long lastTransno;
    byte[] reply = new byte[0];
    boolean replyKept;
    /** Reconnected during this mount. */
    boolean connected;
    /** Finished replaying (or connected after recovery). */
    boolean done;

    ClientRecord(String id, int slot) {
        this.id = id;
        this.slot = slot;
    }
}
