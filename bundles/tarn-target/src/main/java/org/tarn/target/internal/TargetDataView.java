package org.tarn.target.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.target.TargetData;

/** A target's objects as one update (or a reader) sees them; the last_rcvd object is out of reach. */
final class TargetDataView implements TargetData {
    private final Dataset ds;
    private final Transaction tx;
    private final long lastRcvdId;
    private final String target;

    /** @param tx the update's transaction; null for a read-only view */
    TargetDataView(Dataset ds, Transaction tx, long lastRcvdId, String target) {
        this.ds = ds;
        this.tx = tx;
        this.lastRcvdId = lastRcvdId;
        this.target = target;
    }

    private void writable() {
        if (tx == null) {
            throw new TarnException(ErrorCode.READ_ONLY, "a read of target " + target + " cannot change it");
        }
    }

    private long object(long objectId) {
        if (objectId <= lastRcvdId) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "object " + objectId + " of target " + target
                    + " is reserved for the target's records");
        }
        return objectId;
    }

    @Override
    public long createObject() {
        writable();
        return ds.createObject(tx);
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
        return n <= 0 ? new byte[0] : Arrays.copyOf(b.array(), n);
    }

    @Override
    public long size(long objectId) {
        return ds.size(object(objectId));
    }

    @Override
    public boolean exists(long objectId) {
        return objectId > lastRcvdId && ds.exists(objectId);
    }

    @Override
    public void freeObject(long objectId) {
        writable();
        ds.freeObject(tx, object(objectId));
    }
}
