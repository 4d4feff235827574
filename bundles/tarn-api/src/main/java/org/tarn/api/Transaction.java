package org.tarn.api;

/**
 * A hold on the pool's open transaction group. Changes made through a
 * transaction are applied as they are made and land together in one
 * transaction group, {@link #txg()}: after a crash either all of them are on
 * disk or none. There is no rollback (as in the ZFS DMU); {@link #commit()}
 * releases the hold so the group can sync.
 *
 * <p>Beginning a transaction may be delayed (throttled) or blocked while the
 * pool's dirty data nears its maximum.
 */
public interface Transaction extends AutoCloseable {

    /** The transaction group this transaction's changes belong to. */
    long txg();

    /**
     * Registers a callback that runs once the group {@link #txg()} has synced
     * or has been discarded. May be called any number of times before commit.
     */
    void onCommit(CommitCallback callback);

    /** Releases the hold on the transaction group. Idempotent. */
    void commit();

    /** Same as {@link #commit()}: a transaction cannot be rolled back. */
    @Override
    void close();
}
