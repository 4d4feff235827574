package org.tarn.target.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.target.ObjectAttributes;
import org.tarn.target.TargetData;

/** A target's objects as one update (or a reader) sees them; the target's own records are out of reach. */
final class TargetDataView implements TargetData {
    /** Bytes a punch zeroes per write. */
    private static final int PUNCH_CHUNK = 1 << 20;
    /** Objects of the target's records: last_rcvd, reply records, attributes. */
    static final int RESERVED_OBJECTS = 3;

    private final Dataset ds;
    private final Transaction tx;
    private final long lastReservedId;
    private final long attrId;
    private final String target;

    /**
     * @param tx             the update's transaction; null for a read-only view
     * @param lastReservedId ids up to this one hold the target's records
     */
    TargetDataView(Dataset ds, Transaction tx, long lastReservedId, long attrId, String target) {
        this.ds = ds;
        this.tx = tx;
        this.lastReservedId = lastReservedId;
        this.attrId = attrId;
        this.target = target;
    }

    private void writable() {
        if (tx == null) {
            throw new TarnException(ErrorCode.READ_ONLY, "a read of target " + target + " cannot change it");
        }
    }

    private long object(long objectId) {
        if (objectId <= lastReservedId) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "object " + objectId + " of target " + target
                    + " is reserved for the target's records");
        }
        return objectId;
    }

    @Override
    public long createObject() {
        writable();
        long id = ds.createObject(tx);
        long now = System.currentTimeMillis();
        LastRcvd.writeAttributes(ds, tx, attrId, id, new long[] {now, now, now, 0, 0, 0});
        return id;
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
        return objectId > lastReservedId && ds.exists(objectId);
    }

    @Override
    public void freeObject(long objectId) {
        writable();
        ds.freeObject(tx, object(objectId));
        LastRcvd.writeAttributes(ds, tx, attrId, objectId, new long[6]);
    }

    @Override
    public void punch(long objectId, long offset, long length) {
        writable();
        long end = Math.min(ds.size(object(objectId)), offset + Math.min(length, Long.MAX_VALUE - offset));
        byte[] zeros = new byte[(int) Math.min(PUNCH_CHUNK, Math.max(0, end - offset))];
        for (long at = offset; at < end; at += zeros.length) {
            int n = (int) Math.min(zeros.length, end - at);
            ds.write(tx, objectId, at, ByteBuffer.wrap(zeros, 0, n));
        }
    }

    @Override
    public ObjectAttributes attributes(long objectId) {
        long[] a = LastRcvd.readAttributes(ds, attrId, object(objectId));
        return new ObjectAttributes(ds.size(objectId), a[0], a[1], a[2], (int) a[3], (int) a[4], (int) a[5]);
    }

    @Override
    public void setAttributes(long objectId, int mask, ObjectAttributes v) {
        writable();
        long[] a = LastRcvd.readAttributes(ds, attrId, object(objectId));
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
        LastRcvd.writeAttributes(ds, tx, attrId, objectId, a);
    }

    @Override
    public long objectCount() {
        return ds.objects().stream().filter(id -> id > lastReservedId).count();
    }
}
