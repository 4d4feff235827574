package org.tarn.engine.dmu;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;

import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;

/** An open handle on a dataset; dead once closed or once its pool is exported. */
public final class DatasetHandle implements Dataset {
    private final String name;
    private final ObjectSet os;
    private final DmuHost host;
    private final String holder;
    private volatile boolean closed;

    public DatasetHandle(String name, ObjectSet os, DmuHost host) {
        this.name = name;
        this.os = os;
        this.host = host;
        this.holder = Thread.currentThread().getName();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Pool pool() {
        return host.pool();
    }

    /** The thread that opened the handle, for "busy" messages. */
    public String holder() {
        return holder;
    }

    public ObjectSet objectSet() {
        return os;
    }

    private void check() {
        host.checkReadable();
        if (closed) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "dataset handle '" + name + "' is closed");
        }
    }

    /** Runs an operation, looking the dnode up again if it was evicted meanwhile. */
    private <T> T retrying(Supplier<T> op) {
        while (true) {
            check();
            try {
                return op.get();
            } catch (Dnode.StaleDnodeException stale) {
                // evicted between lookup and use: look it up again
            } catch (RuntimeException e) {
                // a force export racing with this call discards state under it: report the export, not the debris
                host.checkReadable();
                throw e;
            }
        }
    }

    @Override
    public long createObject(Transaction tx) {
        return retrying(() -> {
            long txg = host.txgOf(tx);
            host.checkWritable(txg, DnodePhys.BYTES);
            return os.createObject(txg, host.recordSizeBytes());
        });
    }

    @Override
    public void freeObject(Transaction tx, long objectId) {
        retrying(() -> {
            long txg = host.txgOf(tx);
            os.dnode(objectId).free(txg);
            return null;
        });
    }

    @Override
    public void write(Transaction tx, long objectId, long offset, ByteBuffer src) {
        retrying(() -> {
            long txg = host.txgOf(tx);
            host.checkWritable(txg, src.remaining());
            os.dnode(objectId).write(txg, offset, src);
            return null;
        });
        src.position(src.limit());
    }

    @Override
    public int read(long objectId, long offset, ByteBuffer dst) {
        return retrying(() -> {
            ByteBuffer view = dst.duplicate();
            int n = os.dnode(objectId).read(offset, view);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        });
    }

    @Override
    public long size(long objectId) {
        return retrying(() -> os.dnode(objectId).size());
    }

    @Override
    public boolean exists(long objectId) {
        return retrying(() -> os.exists(objectId));
    }

    @Override
    public List<Long> objects() {
        return retrying(os::objects);
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            host.closed(this);
        }
    }

    /** Kills the handle without telling the pool (export closes them all). */
    public void invalidate() {
        closed = true;
    }
}
