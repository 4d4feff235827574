package org.tarn.api;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * An open handle on a dataset: a flat namespace of objects, each a sparse
 * array of bytes addressed by a 64-bit id. Writes go through a
 * {@link Transaction} of the dataset's pool; reads see every change made so
 * far, synced or not.
 *
 * <p>After the pool is exported or force-exported every call fails with
 * {@link ErrorCode#POOL_EXPORTED}. Closing a handle is idempotent.
 */
public interface Dataset extends AutoCloseable {

    /** The dataset's name within its pool. */
    String name();

    /** The pool this dataset lives in. */
    Pool pool();

    /** Creates an empty object and returns its id. */
    long createObject(Transaction tx);

    /** Frees an object and all its blocks. */
    void freeObject(Transaction tx, long objectId);

    /**
     * Writes all remaining bytes of {@code src} at {@code offset}, growing the
     * object if needed; the gap below {@code offset} reads as zeros.
     */
    void write(Transaction tx, long objectId, long offset, ByteBuffer src);

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code offset}.
     *
     * @return the number of bytes read; {@code -1} when {@code offset} is at or
     *     beyond the end of the object
     */
    int read(long objectId, long offset, ByteBuffer dst);

    /** The object's size in bytes (one past its last written byte). */
    long size(long objectId);

    /** Whether an object with this id exists. */
    boolean exists(long objectId);

    /** The ids of all objects, ascending. Reads metadata on demand. */
    List<Long> objects();

    @Override
    void close();
}
