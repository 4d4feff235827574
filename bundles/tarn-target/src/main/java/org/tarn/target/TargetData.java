package org.tarn.target;

/**
 * The objects of a target as an update sees them, within the update's
 * transaction. The target's own records are not reachable through it. The
 * DMU has no rollback: an update checks what it needs before it changes
 * anything.
 */
public interface TargetData {

    /** Creates an empty object and returns its id (the target's own, a FID: never reused). */
    long createObject();

    /**
     * Creates an empty object under {@code id}: the replay of a create whose
     * client was told that id (on a failover server the object must come
     * back under it). Refused outside a replay; an id that exists already is
     * returned as it is.
     */
    long createObject(long id);

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

    /**
     * Punches a hole: the bytes of {@code [offset, offset + length)} that lie
     * within the object read as zeros afterwards. The object's size does not
     * change, and (until the DMU can free a block range) neither does the
     * space it takes.
     */
    void punch(long objectId, long offset, long length);

    /** The object's attributes: its size and what {@link #setAttributes} stored. */
    ObjectAttributes attributes(long objectId);

    /**
     * Stores the attributes named by {@code mask} (the {@code ObjectAttributes}
     * bit constants) from {@code values}; the size cannot be set this way.
     */
    void setAttributes(long objectId, int mask, ObjectAttributes values);

    /** The number of objects clients created and have not freed. */
    long objectCount();
}
