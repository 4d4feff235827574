package org.tarn.target.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.target.ObjectAttributes;
import org.tarn.target.TargetData;

/**
 * A target's objects as one update (or a reader) sees them: by FID, through
 * the object index; the target's own records are out of reach.
 */
final class TargetDataView implements TargetData {
    /** Bytes a punch zeroes per write. */
    private static final int PUNCH_CHUNK = 1 << 20;
    /** Objects of the target's records: last_rcvd, reply records, attributes, object index. */
    static final int RESERVED_OBJECTS = 4;

    /** The target's FID counter; touched under the target's lock only (views with a transaction). */
    static final class Fids {
        long last;
        /** A replay may recreate an object under the FID its client was told. */
        boolean replaying;
    }

    private final Dataset ds;
    private final Transaction tx;
    private final Ids ids;
    private final Fids fids;
    private final String target;

    /** The ids of the target's record objects. */
    record Ids(long lastRcvd, long attrs, long oi) {
    }

    /**
     * @param tx   the update's transaction; null for a read-only view
     * @param fids the FID counter, for a view with a transaction
     */
    TargetDataView(Dataset ds, Transaction tx, Ids ids, Fids fids, String target) {
        this.ds = ds;
        this.tx = tx;
        this.ids = ids;
        this.fids = fids;
        this.target = target;
    }

    private void writable() {
        if (tx == null) {
            throw new TarnException(ErrorCode.READ_ONLY, "a read of target " + target + " cannot change it");
        }
    }

    /** The last FID looked up in this view and its DMU object (an update names the same object a few times). */
    private long cachedFid;
    private long cachedId;

    /** The DMU object of an existing FID. */
    private long object(long fid) {
        if (fid == cachedFid && fid > 0) {
            return cachedId;
        }
        long id = fid <= 0 ? 0 : LastRcvd.lookup(ds, ids.oi(), fid);
        if (id == 0 || !ds.exists(id)) {
            throw new TarnException(ErrorCode.NOT_FOUND, "object " + fid + " does not exist in target " + target);
        }
        cachedFid = fid;
        cachedId = id;
        return id;
    }

    @Override
    public long createObject() {
        return createObject(0);
    }

    /** Creates an object under {@code fid} (a replay's) or, with 0, under the next FID. */
    @Override
    public long createObject(long fid) {
        writable();
        if (fid != 0 && !fids.replaying) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "only a replay may name the object id it creates ("
                    + fid + " in target " + target + ")");
        }
        long f = fid != 0 ? fid : fids.last + 1;
        if (fid != 0 && LastRcvd.lookup(ds, ids.oi(), f) != 0) {
            return f;
        }
        long id = ds.createObject(tx);
        LastRcvd.map(ds, tx, ids.oi(), f, id);
        if (f > fids.last) {
            fids.last = f;
            LastRcvd.writeLastFid(ds, tx, ids.lastRcvd(), f);
        }
        long now = System.currentTimeMillis();
        LastRcvd.writeAttributes(ds, tx, ids.attrs(), f, new long[] {now, now, now, 0, 0, 0});
        return f;
    }

    @Override
    public void write(long objectId, long offset, byte[] bytes) {
        writable();
        ds.write(tx, object(objectId), offset, ByteBuffer.wrap(bytes));
    }

    @Override
    public byte[] read(long objectId, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        int n = ds.read(object(objectId), offset, b);
        return n <= 0 ? new byte[0] : n == length ? b.array() : Arrays.copyOf(b.array(), n);
    }

    @Override
    public long size(long objectId) {
        return ds.size(object(objectId));
    }

    @Override
    public boolean exists(long objectId) {
        if (objectId == cachedFid && objectId > 0) {
            return true;
        }
        long id = objectId <= 0 ? 0 : LastRcvd.lookup(ds, ids.oi(), objectId);
        if (id != 0 && ds.exists(id)) {
            cachedFid = objectId;
            cachedId = id;
            return true;
        }
        return false;
    }

    @Override
    public void freeObject(long objectId) {
        writable();
        ds.freeObject(tx, object(objectId));
        cachedFid = 0;
        LastRcvd.map(ds, tx, ids.oi(), objectId, 0);
        LastRcvd.writeAttributes(ds, tx, ids.attrs(), objectId, new long[6]);
    }

    @Override
    public void punch(long objectId, long offset, long length) {
        writable();
        long id = object(objectId);
        long end = Math.min(ds.size(id), offset + Math.min(length, Long.MAX_VALUE - offset));
        byte[] zeros = new byte[(int) Math.min(PUNCH_CHUNK, Math.max(0, end - offset))];
        for (long at = offset; at < end; at += zeros.length) {
            int n = (int) Math.min(zeros.length, end - at);
            ds.write(tx, id, at, ByteBuffer.wrap(zeros, 0, n));
        }
    }

    @Override
    public ObjectAttributes attributes(long objectId) {
        long id = object(objectId);
        long[] a = LastRcvd.readAttributes(ds, ids.attrs(), objectId);
        return new ObjectAttributes(ds.size(id), a[0], a[1], a[2], (int) a[3], (int) a[4], (int) a[5]);
    }

    @Override
    public void setAttributes(long objectId, int mask, ObjectAttributes v) {
        writable();
        object(objectId);
        long[] a = LastRcvd.readAttributes(ds, ids.attrs(), objectId);
        if ((mask & ObjectAttributes.MTIME) != 0) {
            a[0] = v.mtimeMillis();
        }
        if ((mask & ObjectAttributes.ATIME) != 0) {
            a[1] = v.atimeMillis();
        }
        a[2] = (mask & ObjectAttributes.CTIME) != 0 ? v.ctimeMillis() : System.currentTimeMillis();
        if ((mask & ObjectAttributes.UID) != 0) {
            a[3] = v.uid();
        }
        if ((mask & ObjectAttributes.GID) != 0) {
            a[4] = v.gid();
        }
        if ((mask & ObjectAttributes.PROJID) != 0) {
            a[5] = v.projid();
        }
        LastRcvd.writeAttributes(ds, tx, ids.attrs(), objectId, a);
    }

    @Override
    public long objectCount() {
        return Math.max(0, ds.objects().size() - RESERVED_OBJECTS);
    }
}
