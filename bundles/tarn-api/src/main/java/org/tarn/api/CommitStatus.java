package org.tarn.api;

/** What became of a transaction's changes. */
public enum CommitStatus {
    /** The transaction group holding the changes synced to disk. */
    COMMITTED,
    /** The changes were discarded: the pool was force-exported before they synced. */
    ABORTED
}
