package org.tarn.target;

/**
 * The objects of a target as an update sees them, within the update's
 * transaction. The target's own records are not reachable through it. The
 * DMU has no rollback: an update checks what it needs before it changes
 * anything.
 */
public interface TargetData {

    /** Creates an empty object and returns its id. */
    long createObject();

    /** Writes {@code bytes} at {@code offset}, growing the object. */
    void write(long objectId, long offset, byte[] bytes);

    /** Reads up to {@code length} bytes at {@code offset}; fewer at the end of the object. */
    byte[] read(long objectId, long offset, int length);

    /** The object's size in bytes. */
    long size(long objectId);

    /** Whether the object exists. */
    boolean exists(long objectId);

    /** Frees an object. */
    void freeObject(long objectId);
}
