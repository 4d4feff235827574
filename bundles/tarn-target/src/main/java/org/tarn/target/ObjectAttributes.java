package org.tarn.target;

/**
 * The attributes of one object of a target, as an OST keeps them: the size
 * (from the object itself), times and owner. Times are milliseconds since
 * the epoch; 0 when never set.
 *
 * @param sizeBytes   one past the last written byte
 * @param mtimeMillis last modification, as the client set it
 * @param atimeMillis last access, as the client set it
 * @param ctimeMillis last attribute change; set by the target at creation and by every attribute change
 * @param uid         owner user id
 * @param gid         owner group id
 * @param projid      project id (quota accounting)
 */
public record ObjectAttributes(long sizeBytes, long mtimeMillis, long atimeMillis, long ctimeMillis, int uid,
                               int gid, int projid) {
    /** Mask bit: set {@link #mtimeMillis}. */
    public static final int MTIME = 1;
    /** Mask bit: set {@link #atimeMillis}. */
    public static final int ATIME = 1 << 1;
    /** Mask bit: set {@link #ctimeMillis} (otherwise the target sets it to its own time). */
    public static final int CTIME = 1 << 2;
    /** Mask bit: set {@link #uid}. */
    public static final int UID = 1 << 3;
    /** Mask bit: set {@link #gid}. */
    public static final int GID = 1 << 4;
    /** Mask bit: set {@link #projid}. */
    public static final int PROJID = 1 << 5;
    /** Every settable attribute. */
    public static final int ALL = MTIME | ATIME | CTIME | UID | GID | PROJID;

    /** Attributes with only the given values, for {@link TargetData#setAttributes}. */
    public static ObjectAttributes of(long mtimeMillis, long atimeMillis, long ctimeMillis, int uid, int gid,
                                      int projid) {
        return new ObjectAttributes(0, mtimeMillis, atimeMillis, ctimeMillis, uid, gid, projid);
    }
}
