package org.tarn.api;

/**
 * Called once when the transaction group holding a transaction's changes has
 * synced ({@link CommitStatus#COMMITTED}) or has been discarded
 * ({@link CommitStatus#ABORTED}). Runs on an engine thread: keep it short and
 * never block in it.
 */
@FunctionalInterface
public interface CommitCallback {
    void onCommit(long txg, CommitStatus status);
}
