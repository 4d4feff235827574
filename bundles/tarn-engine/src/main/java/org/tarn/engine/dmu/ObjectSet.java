package org.tarn.engine.dmu;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.BlockType;

/**
 * A dataset's objects: the DMU's object set.
 *
 * <h2>Theory of operation</h2>
 * As in ZFS, an object set is itself an object: object 0, the <em>dnode
 * array</em>, holds one {@link DnodePhys} per object id, and the object set
 * block on disk holds the dnode of object 0. Syncing a group writes each dirty
 * object's blocks, stores its new dnode into object 0's copy for that group,
 * then syncs object 0 the same way and writes a new object set block, whose
 * pointer the pool records in its directory. Object ids are never reused.
 *
 * <p>Dnodes are loaded on demand from object 0 and dropped again when clean,
 * so memory does not grow with the number of objects.
 *
 * <pre>
 * object set block (4 KiB): long magic, long dataset id, long next object id,
 *                           dnode of object 0 (128 bytes)
 * </pre>
 */
public final class ObjectSet {
    private static final long MAGIC = 0x5441524e4f424a53L; // "TARNOBJS"
    private static final int BLOCK_BYTES = 4096;
    private static final int MAX_CACHED_DNODES = 10_000;

    private final long datasetId;
    private final BlockReader reader;
    private final Dnode.DirtyTracker tracker;
    private final Dnode meta;
    private final AtomicLong nextObjectId;
    private final Map<Long, Dnode> dnodes = new ConcurrentHashMap<>();
    private final Map<Long, Set<Dnode>> dirtyByTxg = new ConcurrentHashMap<>();
    /** Per group, the dnode-array blocks (and, negated, its indirect blocks) already accounted as dirty. */
    private final Map<Long, Set<Long>> dnodeBlocksByTxg = new ConcurrentHashMap<>();
    private volatile int evictAtSize = MAX_CACHED_DNODES;
    private volatile BlockPointer committedBp;
    private BlockPointer pendingBp;
    private List<Dnode> syncing = List.of();

    /** Called when an object set first gets changes in a group. */
    public interface DirtyListener {
        void objsetDirtied(long txg, ObjectSet os, long newBytes);
    }

    /**
     * What a sync of group {@code txg} will allocate in the dnode array for
     * a dnode first dirtied in it: its dnode block and the indirect block
     * above, each the first time the group touches it (the dnode array's
     * dirty data, accounted as the object's, since object 0 accounts none).
     */
    private long dnodeArrayCharge(long txg, long id) {
        int perBlock = DmuFormat.DNODE_BLOCK_BYTES / DnodePhys.BYTES;
        long block = id / perBlock;
        Set<Long> touched = dnodeBlocksByTxg.computeIfAbsent(txg, t -> ConcurrentHashMap.newKeySet());
        long charge = 0;
        if (touched.add(block)) {
            charge += DmuFormat.DNODE_BLOCK_BYTES;
        }
        // indirect blocks are keyed below zero so they never collide with dnode block numbers
        if (touched.add(-1 - block / Dnode.FANOUT)) {
            charge += DmuFormat.INDIRECT_BLOCK_BYTES;
        }
        return charge;
    }

    private ObjectSet(long datasetId, BlockPointer committedBp, DnodePhys metaPhys, long nextObjectId,
                      BlockReader reader, DirtyListener listener) {
        this.datasetId = datasetId;
        this.reader = reader;
        this.committedBp = committedBp;
        this.nextObjectId = new AtomicLong(nextObjectId);
        this.tracker = (txg, dnode, bytes) -> {
            if (dnode.id != 0) {
                long charge = bytes;
                if (dirtyByTxg.computeIfAbsent(txg, t -> ConcurrentHashMap.newKeySet()).add(dnode)) {
                    charge += dnodeArrayCharge(txg, dnode.id);
                }
                listener.objsetDirtied(txg, this, charge);
            }
        };
        this.meta = new Dnode(0, metaPhys, reader, tracker);
    }

    /** A new, empty object set; it reaches disk with the next sync. */
    public static ObjectSet create(long datasetId, BlockReader reader, DirtyListener listener) {
        DnodePhys metaPhys = new DnodePhys(DnodePhys.TYPE_DNODES, 0, DmuFormat.DNODE_BLOCK_BYTES, 0,
                BlockPointer.HOLE);
        return new ObjectSet(datasetId, BlockPointer.HOLE, metaPhys, 1, reader, listener);
    }

    /** Opens an object set from its block. */
    public static ObjectSet open(BlockPointer bp, BlockReader reader, DirtyListener listener) {
        ByteBuffer b = reader.read(bp, true).duplicate();
        if (b.getLong() != MAGIC) {
            throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "block " + bp + " is not an object set");
        }
        long id = b.getLong();
        long next = b.getLong();
        DnodePhys metaPhys = DnodePhys.decode(b);
        return new ObjectSet(id, bp, metaPhys, next, reader, listener);
    }

    /** The dnode of the dnode array (object 0) in an object set block, for walks over the on-disk tree. */
    static DnodePhys metaDnode(ByteBuffer objsetBlock) {
        ByteBuffer b = objsetBlock.duplicate();
        if (b.getLong() != MAGIC) {
            throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "block is not an object set");
        }
        b.getLong();
        b.getLong();
        return DnodePhys.decode(b);
    }

    public long datasetId() {
        return datasetId;
    }

    public BlockPointer committedBp() {
        return committedBp;
    }

    public long nextObjectId() {
        return nextObjectId.get();
    }

    // ---- objects -----------------------------------------------------------

    long createObject(long txg, int blockSizeBytes) {
        long id = nextObjectId.getAndIncrement();
        Dnode d = new Dnode(id, DnodePhys.FREE, reader, tracker);
        d.create(txg, DnodePhys.TYPE_DATA, blockSizeBytes);
        dnodes.put(id, d);
        return id;
    }

    /** The dnode of an existing object, loading it if needed. */
    Dnode dnode(long id) {
        Dnode d = find(id);
        if (d == null || !d.exists()) {
            throw new TarnException(ErrorCode.NOT_FOUND, "object " + id + " does not exist");
        }
        return d;
    }

    /** The dnode for an id (allocated or not), or null when the id was never used. */
    Dnode find(long id) {
        if (id <= 0 || id >= nextObjectId.get()) {
            return null;
        }
        Dnode d = dnodes.get(id);
        if (d != null) {
            return d;
        }
        ByteBuffer phys = ByteBuffer.allocate(DnodePhys.BYTES);
        int n = meta.read(id * DnodePhys.BYTES, phys);
        DnodePhys p = n == DnodePhys.BYTES ? DnodePhys.decode(phys.flip()) : DnodePhys.FREE;
        Dnode loaded = new Dnode(id, p, reader, tracker);
        Dnode raced = dnodes.putIfAbsent(id, loaded);
        evictIfNeeded();
        return raced != null ? raced : loaded;
    }

    private void evictIfNeeded() {
        if (dnodes.size() <= evictAtSize) {
            return;
        }
        synchronized (dnodes) {
            for (Map.Entry<Long, Dnode> e : dnodes.entrySet()) {
                if (dnodes.size() <= MAX_CACHED_DNODES / 2) {
                    break;
                }
                if (e.getValue().tryEvict()) {
                    dnodes.remove(e.getKey(), e.getValue());
                }
            }
            // when most dnodes are dirty, do not rescan on every load
            evictAtSize = Math.max(MAX_CACHED_DNODES, dnodes.size() + MAX_CACHED_DNODES / 2);
        }
    }

    boolean exists(long id) {
        Dnode d = find(id);
        return d != null && d.exists();
    }

    /** Ids of existing objects, reading the dnode array a block at a time for dnodes not in memory. */
    List<Long> objects() {
        List<Long> ids = new ArrayList<>();
        int perBlock = DmuFormat.DNODE_BLOCK_BYTES / DnodePhys.BYTES;
        long end = nextObjectId.get();
        for (long first = 0; first < end; first += perBlock) {
            ByteBuffer block = null;
            for (long id = Math.max(1, first); id < Math.min(end, first + perBlock); id++) {
                Dnode d = dnodes.get(id);
                boolean live;
                if (d != null) {
                    try {
                        live = d.exists();
                    } catch (Dnode.StaleDnodeException stale) {
                        live = exists(id);
                    }
                } else {
                    if (block == null) {
                        block = ByteBuffer.allocate(DmuFormat.DNODE_BLOCK_BYTES);
                        int n = meta.read(first * DnodePhys.BYTES, block);
                        block.flip();
                        if (n < 0) {
                            block.limit(0);
                        }
                    }
                    int at = (int) ((id - first) * DnodePhys.BYTES);
                    live = at + DnodePhys.BYTES <= block.limit()
                            && DnodePhys.decode(block.duplicate().position(at)).allocated();
                }
                if (live) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    // ---- sync --------------------------------------------------------------

    public boolean isDirty(long txg) {
        Set<Dnode> s = dirtyByTxg.get(txg);
        return s != null && !s.isEmpty() || committedBp.isHole();
    }

    /**
     * Writes group {@code ctx.txg()}: every dirty object, the dnode array and
     * a new object set block. Returns the new block's pointer, pending until
     * {@link #commit}.
     */
    public BlockPointer sync(SyncContext ctx) {
        long txg = ctx.txg();
        List<Dnode> list = new ArrayList<>(dirtyByTxg.getOrDefault(txg, Set.of()));
        list.sort(Comparator.comparingLong(d -> d.id));
        syncing = list;
        for (Dnode d : list) {
            DnodePhys phys = d.sync(ctx);
            ByteBuffer enc = ByteBuffer.allocate(DnodePhys.BYTES);
            phys.encode(enc);
            meta.write(txg, d.id * DnodePhys.BYTES, enc.flip());
        }
        DnodePhys metaPhys = meta.sync(ctx);
        ByteBuffer block = ByteBuffer.allocate(BLOCK_BYTES);
        block.putLong(MAGIC).putLong(datasetId).putLong(nextObjectId.get());
        metaPhys.encode(block);
        block.clear();
        BlockPointer bp = ctx.write(block, BlockType.OBJSET);
        if (!committedBp.isHole()) {
            ctx.free(committedBp);
        }
        pendingBp = bp;
        return bp;
    }

    /** Makes the synced group's state current. */
    public void commit(long txg) {
        for (Dnode d : syncing) {
            d.commit(txg);
        }
        meta.commit(txg);
        dirtyByTxg.remove(txg);
        dnodeBlocksByTxg.remove(txg);
        committedBp = pendingBp;
        pendingBp = null;
        syncing = List.of();
        evictIfNeeded();
    }

    /** Forgets a failed sync; the changes stay for the retry. */
    public void abortSync(long txg) {
        for (Dnode d : syncing) {
            d.abortSync();
        }
        meta.discard(txg);
        pendingBp = null;
        syncing = List.of();
    }

    /** Frees every block of the object set (destroy). */
    public void freeAll(SyncContext ctx) {
        for (long id = 1; id < nextObjectId.get(); id++) {
            Dnode d = find(id);
            if (d != null && d.committed().allocated()) {
                d.freeCommitted(ctx);
            }
        }
        meta.freeCommitted(ctx);
        if (!committedBp.isHole()) {
            ctx.free(committedBp);
        }
    }

    /** Drops every unsynced change (force export). */
    public void discardAll() {
        dnodes.values().forEach(Dnode::discardAll);
        meta.discardAll();
        dirtyByTxg.clear();
        dnodeBlocksByTxg.clear();
    }
}
