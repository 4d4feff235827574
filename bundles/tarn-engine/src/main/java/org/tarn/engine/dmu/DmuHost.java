package org.tarn.engine.dmu;

import org.tarn.api.Pool;
import org.tarn.api.Transaction;

/** What a dataset handle needs from its pool. */
public interface DmuHost {

    /** The pool as the API shows it. */
    Pool pool();

    /** The txg of an open transaction of this pool; throws for a foreign or finished one. */
    long txgOf(Transaction tx);

    /** Throws unless the pool can serve reads. */
    void checkReadable();

    /**
     * Throws unless the pool can take {@code bytes} more of changes in group
     * {@code txg} (which the caller holds); may wait, bounded, for earlier
     * groups to sync first.
     */
    void checkWritable(long txg, long bytes);

    /** The block size of new objects. */
    int recordSizeBytes();

    /** A handle was closed. */
    void closed(DatasetHandle handle);
}
