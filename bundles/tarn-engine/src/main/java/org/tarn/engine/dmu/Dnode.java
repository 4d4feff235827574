package org.tarn.engine.dmu;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.BlockType;
import org.tarn.engine.io.ChecksumType;
import org.tarn.engine.vdev.SpaceMap;

/**
 * One object in memory: its synced state and its unsynced changes.
 *
 * <h2>Theory of operation</h2>
 * The <em>committed</em> {@link DnodePhys} describes the object as of the last
 * synced transaction group; its block tree is immutable on disk. Changes are
 * kept per transaction group in a {@link DirtyRecord}: whole copies of every
 * block touched in that group, plus the object's size. A write in group T
 * updates T's copy of each block and every newer group's copy too, so the
 * copy of group T always holds the synced contents plus every change of the
 * groups up to T, in the order they were made. Reads take the newest copy, or
 * the committed tree.
 *
 * <p>Syncing group T (on the pool's sync thread, after T has quiesced, so
 * T's record no longer changes) writes T's blocks to newly allocated space and
 * rewrites the path of indirect blocks above them bottom-up
 * (copy-on-write); the replaced blocks are freed (the pool defers the frees).
 * The result is kept <em>pending</em> until the uberblock of T is on disk;
 * only then does {@link #commit} make it the committed state and drop T's
 * record. If the sync fails, {@link #abortSync} forgets the pending result and
 * the record stays for the retry.
 *
 * <p>The monitor guards the in-memory state only: no device I/O is done while
 * holding it. Reads of the committed tree outside it hold a
 * {@link BlockReader#pin}, so a block freed by a later sync is not reused
 * while a read of the older snapshot still has it to read.
 */
final class Dnode {
    /** Pointers per indirect block. */
    static final int FANOUT = DmuFormat.INDIRECT_BLOCK_BYTES / BlockPointer.BYTES;
    /** Marks a tree node that exists only because the tree grew in this sync. */
    private static final BlockPointer VIRTUAL = new BlockPointer(Integer.MAX_VALUE, -1, 0, 0,
            ChecksumType.CRC32C, BlockType.NONE, new byte[32]);

    /** The unsynced changes of one transaction group. */
    static final class DirtyRecord {
        final long txg;
        int type;
        int blockSizeBytes;
        long sizeBytes;
        final TreeMap<Long, byte[]> blocks = new TreeMap<>();

        DirtyRecord(long txg, int type, int blockSizeBytes, long sizeBytes) {
            this.txg = txg;
            this.type = type;
            this.blockSizeBytes = blockSizeBytes;
            this.sizeBytes = sizeBytes;
        }
    }

    /** Where dirty bytes are accounted and dirty objects registered. */
    interface DirtyTracker {
        void dirtied(long txg, Dnode dnode, long newBytes);
    }

    final long id;
    private final BlockReader reader;
    private final DirtyTracker tracker;
    private DnodePhys committed;
    private long version;
    private final TreeMap<Long, DirtyRecord> dirty = new TreeMap<>();
    private DnodePhys pending;
    private boolean evicted;

    /** Thrown by an evicted dnode; the caller looks the object up again. */
    static final class StaleDnodeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StaleDnodeException() {
            super(null, null, false, false);
        }
    }

    Dnode(long id, DnodePhys committed, BlockReader reader, DirtyTracker tracker) {
        this.id = id;
        this.committed = committed;
        this.reader = reader;
        this.tracker = tracker;
    }

    // ---- state -------------------------------------------------------------

    synchronized boolean exists() {
        checkLive();
        return currentType() != DnodePhys.TYPE_FREE;
    }

    synchronized long size() {
        checkLive();
        return dirty.isEmpty() ? committed.sizeBytes() : dirty.lastEntry().getValue().sizeBytes;
    }

    private int currentType() {
        return dirty.isEmpty() ? committed.type() : dirty.lastEntry().getValue().type;
    }

    private int blockSize() {
        return dirty.isEmpty() ? committed.blockSizeBytes() : dirty.lastEntry().getValue().blockSizeBytes;
    }

    synchronized boolean isDirty(long txg) {
        return dirty.containsKey(txg);
    }

    synchronized boolean isClean() {
        return dirty.isEmpty() && pending == null;
    }

    /** Drops a clean dnode from use; later calls on it throw {@link StaleDnodeException}. */
    synchronized boolean tryEvict() {
        if (dirty.isEmpty() && pending == null) {
            evicted = true;
        }
        return evicted;
    }

    private void checkLive() {
        if (evicted) {
            throw new StaleDnodeException();
        }
    }

    /** Record of group {@code txg}, created from the newest older state if absent. */
    private DirtyRecord record(long txg) {
        checkLive();
        DirtyRecord r = dirty.get(txg);
        if (r == null) {
            Map.Entry<Long, DirtyRecord> older = dirty.lowerEntry(txg);
            r = older != null
                    ? new DirtyRecord(txg, older.getValue().type, older.getValue().blockSizeBytes,
                            older.getValue().sizeBytes)
                    : new DirtyRecord(txg, committed.type(), committed.blockSizeBytes(), committed.sizeBytes());
            dirty.put(txg, r);
            tracker.dirtied(txg, this, 0);
        }
        return r;
    }

    // ---- changes -----------------------------------------------------------

    /** Makes this (free) dnode a new empty object in group {@code txg}. */
    synchronized void create(long txg, int type, int blockSizeBytes) {
        DirtyRecord r = record(txg);
        r.type = type;
        r.blockSizeBytes = blockSizeBytes;
        r.sizeBytes = 0;
        r.blocks.clear();
    }

    /** Frees the object in group {@code txg} (and every newer group). */
    synchronized void free(long txg) {
        requireExists();
        for (DirtyRecord r : dirty.tailMap(txg, true).values()) {
            markFree(r);
        }
        markFree(record(txg));
    }

    private static void markFree(DirtyRecord r) {
        r.type = DnodePhys.TYPE_FREE;
        r.sizeBytes = 0;
        r.blocks.clear();
    }

    private void requireExists() {
        if (currentType() == DnodePhys.TYPE_FREE) {
            throw new TarnException(ErrorCode.NOT_FOUND, "object " + id + " does not exist");
        }
    }

    /** Writes {@code src} at {@code offset} in group {@code txg}. */
    void write(long txg, long offset, ByteBuffer src) {
        if (offset < 0) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "negative offset " + offset);
        }
        ByteBuffer in = src.duplicate();
        long pos = offset;
        while (in.hasRemaining()) {
            int bs;
            synchronized (this) {
                requireExists();
                bs = blockSize();
            }
            long blk = pos / bs;
            int inOff = (int) (pos % bs);
            int n = (int) Math.min(bs - inOff, in.remaining());
            ByteBuffer chunk = in.slice(in.position(), n);
            in.position(in.position() + n);
            prepareBlock(txg, blk, inOff == 0 && n == bs);
            synchronized (this) {
                for (DirtyRecord r : dirty.tailMap(txg, true).values()) {
                    if (r.type == DnodePhys.TYPE_FREE) {
                        continue;
                    }
                    byte[] buf = r.blocks.get(blk);
                    if (buf == null) {
                        // a newer group that has not touched this block yet: it will copy it when it does
                        grow(r, pos + n);
                        continue;
                    }
                    chunk.duplicate().get(buf, inOff, n);
                    grow(r, pos + n);
                }
            }
            pos += n;
        }
    }

    /**
     * Ensures group {@code txg} has its own copy of block {@code blk}, made
     * from the newest older copy or the committed tree. The tree is read
     * without holding the monitor.
     */
    private void prepareBlock(long txg, long blk, boolean overwriteWhole) {
        try (BlockReader.Pin pin = reader.pin()) {
            prepareBlockPinned(txg, blk, overwriteWhole);
        }
    }

    private void prepareBlockPinned(long txg, long blk, boolean overwriteWhole) {
        while (true) {
            DnodePhys snapshot;
            long seenVersion;
            synchronized (this) {
                DirtyRecord r = record(txg);
                if (r.blocks.containsKey(blk)) {
                    return;
                }
                int bs = r.blockSizeBytes;
                for (DirtyRecord older : dirty.headMap(txg, false).descendingMap().values()) {
                    byte[] b = older.blocks.get(blk);
                    if (b != null) {
                        install(r, blk, b.clone());
                        return;
                    }
                }
                if (overwriteWhole || (long) blk * bs >= committed.sizeBytes()
                        || committed.type() == DnodePhys.TYPE_FREE || committed.blockSizeBytes() != bs) {
                    install(r, blk, new byte[bs]);
                    return;
                }
                snapshot = committed;
                seenVersion = version;
            }
            ByteBuffer data = readCommittedBlock(snapshot, blk);
            synchronized (this) {
                if (version != seenVersion) {
                    continue;
                }
                DirtyRecord r = record(txg);
                if (r.blocks.containsKey(blk)) {
                    return;
                }
                boolean olderAppeared = false;
                for (DirtyRecord older : dirty.headMap(txg, false).values()) {
                    olderAppeared |= older.blocks.containsKey(blk);
                }
                if (olderAppeared) {
                    continue;
                }
                byte[] buf = new byte[r.blockSizeBytes];
                data.duplicate().get(buf, 0, Math.min(buf.length, data.remaining()));
                install(r, blk, buf);
                return;
            }
        }
    }

    private void install(DirtyRecord r, long blk, byte[] buf) {
        long indirect = indirectCharge(r, blk);
        r.blocks.put(blk, buf);
        tracker.dirtied(r.txg, this, syncCharge(r, blk) + indirect);
    }

    /**
     * Bytes the sync of record {@code r} will allocate for its copy of block
     * {@code blk}: what {@link #sync} writes, the valid part of the block
     * rounded up to allocation units; nothing for a block past the end (a
     * hole). Dirty data is accounted by this, not by the block size: a 1 KiB
     * write into a new object of 128 KiB records costs one 4 KiB unit.
     */
    private static long syncCharge(DirtyRecord r, long blk) {
        if (!r.blocks.containsKey(blk)) {
            return 0;
        }
        long valid = Math.min(r.blockSizeBytes, r.sizeBytes - blk * r.blockSizeBytes);
        return valid <= 0 ? 0 : SpaceMap.roundUp((int) valid);
    }

    /**
     * The indirect blocks a new dirty block {@code blk} adds to record
     * {@code r}'s sync (called before it is installed): one per level of the
     * tree above it that no other dirty block of the record shares.
     */
    private long indirectCharge(DirtyRecord r, long blk) {
        int levels = Math.max(committed.blockSizeBytes() == r.blockSizeBytes ? committed.levels() : 0,
                levelsFor((blk + 1) * r.blockSizeBytes, r.blockSizeBytes));
        long charge = 0;
        for (int level = 1; level < levels; level++) {
            long span = span(level);
            long first = blk - blk % span;
            Long near = r.blocks.ceilingKey(first);
            if (near == null || near >= first + span) {
                charge += DmuFormat.INDIRECT_BLOCK_BYTES;
            }
        }
        return charge;
    }

    /**
     * Extends record {@code r} to {@code size} bytes and accounts what that
     * adds to its sync: the blocks between the old and the new last block
     * that the record holds grow towards full blocks.
     */
    private void grow(DirtyRecord r, long size) {
        if (size <= r.sizeBytes) {
            return;
        }
        int bs = r.blockSizeBytes;
        long fromBlk = r.sizeBytes == 0 ? 0 : (r.sizeBytes - 1) / bs;
        long toBlk = (size - 1) / bs;
        NavigableMap<Long, byte[]> affected = r.blocks.subMap(fromBlk, true, toBlk, true);
        long before = 0;
        for (long blk : affected.keySet()) {
            before += syncCharge(r, blk);
        }
        r.sizeBytes = size;
        long after = 0;
        for (long blk : affected.keySet()) {
            after += syncCharge(r, blk);
        }
        if (after > before) {
            tracker.dirtied(r.txg, this, after - before);
        }
    }

    // ---- reads -------------------------------------------------------------

    /**
     * Reads into {@code dst}; returns bytes read or -1 at end of object. The
     * committed tree is read outside the monitor under a pin, so its blocks
     * stay where the snapshot found them until the last of them is read.
     */
    int read(long offset, ByteBuffer dst) {
        if (offset < 0) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "negative offset " + offset);
        }
        try (BlockReader.Pin pin = reader.pin()) {
            return readPinned(offset, dst);
        }
    }

    private int readPinned(long offset, ByteBuffer dst) {
        long size;
        int bs;
        DnodePhys snapshot;
        Map<Long, byte[]> fromMemory = new HashMap<>();
        List<Long> fromDisk = new ArrayList<>();
        int n;
        synchronized (this) {
            checkLive();
            requireExists();
            size = size();
            if (offset >= size) {
                return dst.hasRemaining() ? -1 : 0;
            }
            n = (int) Math.min(dst.remaining(), size - offset);
            bs = blockSize();
            snapshot = committed;
            for (long blk = offset / bs; blk <= (offset + n - 1) / bs; blk++) {
                byte[] found = null;
                for (DirtyRecord r : dirty.descendingMap().values()) {
                    found = r.blocks.get(blk);
                    if (found != null) {
                        break;
                    }
                }
                if (found != null) {
                    fromMemory.put(blk, found.clone());
                } else {
                    fromDisk.add(blk);
                }
            }
        }
        for (long blk : fromDisk) {
            ByteBuffer data = snapshot.blockSizeBytes() == bs && (long) blk * bs < snapshot.sizeBytes()
                    ? readCommittedBlock(snapshot, blk) : ByteBuffer.allocate(0);
            byte[] buf = new byte[bs];
            data.duplicate().get(buf, 0, Math.min(bs, data.remaining()));
            fromMemory.put(blk, buf);
        }
        long pos = offset;
        int remaining = n;
        while (remaining > 0) {
            long blk = pos / bs;
            int inOff = (int) (pos % bs);
            int k = Math.min(bs - inOff, remaining);
            dst.put(fromMemory.get(blk), inOff, k);
            pos += k;
            remaining -= k;
        }
        return n;
    }

    /** The committed contents of block {@code blk}; shorter than the block size or empty for a hole. */
    private ByteBuffer readCommittedBlock(DnodePhys phys, long blk) {
        BlockPointer bp = lookup(phys, blk);
        if (bp.isHole()) {
            return ByteBuffer.allocate(0);
        }
        return reader.read(bp, true);
    }

    private BlockPointer lookup(DnodePhys phys, long blk) {
        int levels = phys.levels();
        if (levels == 0 || blk >= span(levels - 1)) {
            return BlockPointer.HOLE;
        }
        BlockPointer bp = phys.root();
        for (int level = levels - 1; level > 0 && !bp.isHole(); level--) {
            ByteBuffer ind = reader.read(bp, true);
            int idx = (int) ((blk / span(level - 1)) % FANOUT);
            bp = BlockPointer.decode(ind.duplicate().position(idx * BlockPointer.BYTES));
        }
        return bp;
    }

    /** Data blocks covered by one node at {@code level} (level 0: one block). */
    static long span(int level) {
        long s = 1;
        for (int i = 0; i < level; i++) {
            s *= FANOUT;
        }
        return s;
    }

    static int levelsFor(long sizeBytes, int blockSizeBytes) {
        long blocks = (sizeBytes + blockSizeBytes - 1) / blockSizeBytes;
        if (blocks == 0) {
            return 0;
        }
        int levels = 1;
        long cover = 1;
        while (cover < blocks) {
            cover *= FANOUT;
            levels++;
        }
        return levels;
    }

    // ---- sync --------------------------------------------------------------

    /**
     * Writes group {@code txg}'s changes and returns the resulting dnode,
     * kept pending until {@link #commit}.
     */
    DnodePhys sync(SyncContext ctx) {
        long txg = ctx.txg();
        DirtyRecord r;
        DnodePhys base;
        synchronized (this) {
            r = dirty.get(txg);
            base = committed;
        }
        if (r == null) {
            return base;
        }
        DnodePhys result;
        if (r.type == DnodePhys.TYPE_FREE) {
            if (base.allocated()) {
                freeTree(ctx, base.root(), base.levels() - 1);
            }
            result = DnodePhys.FREE;
        } else {
            boolean reshaped = base.allocated() && base.blockSizeBytes() != r.blockSizeBytes;
            if (reshaped || (!base.allocated() && base.levels() > 0)) {
                freeTree(ctx, base.root(), base.levels() - 1);
                base = DnodePhys.FREE;
            }
            int bs = r.blockSizeBytes;
            TreeMap<Long, BlockPointer> leaves = new TreeMap<>();
            for (Map.Entry<Long, byte[]> e : r.blocks.entrySet()) {
                long blk = e.getKey();
                long valid = Math.min(bs, r.sizeBytes - blk * bs);
                if (valid <= 0) {
                    leaves.put(blk, BlockPointer.HOLE);
                    continue;
                }
                int phys = SpaceMap.roundUp((int) valid);
                ByteBuffer data = ByteBuffer.wrap(e.getValue(), 0, phys);
                leaves.put(blk, isZero(data) ? BlockPointer.HOLE
                        : ctx.write(data, id == 0 ? BlockType.DNODES : BlockType.DATA));
            }
            int levels = Math.max(base.levels(), levelsFor(r.sizeBytes, bs));
            BlockPointer root = levels == 0 ? BlockPointer.HOLE
                    : new TreeRewrite(ctx, base).rewrite(levels - 1, 0, leaves);
            if (root.isHole()) {
                levels = 0;
            }
            result = new DnodePhys(r.type, levels, bs, r.sizeBytes, root);
        }
        synchronized (this) {
            pending = result;
        }
        return result;
    }

    /** Makes the pending result of group {@code txg} the committed state. */
    synchronized void commit(long txg) {
        if (pending != null) {
            committed = pending;
            pending = null;
            version++;
        }
        dirty.remove(txg);
    }

    /** Forgets a failed sync's result; the changes stay for the retry. */
    synchronized void abortSync() {
        pending = null;
    }

    /** Drops every unsynced change (force export). */
    synchronized void discardAll() {
        pending = null;
        dirty.clear();
    }

    /** Drops one group's changes (the dnode array's record of a failed sync). */
    synchronized void discard(long txg) {
        pending = null;
        dirty.remove(txg);
    }

    synchronized DnodePhys committed() {
        return committed;
    }

    /** Frees every block of the committed tree (dataset destroy). */
    void freeCommitted(SyncContext ctx) {
        DnodePhys base = committed();
        if (base.levels() > 0) {
            freeTree(ctx, base.root(), base.levels() - 1);
        }
    }

    private void freeTree(SyncContext ctx, BlockPointer bp, int level) {
        if (bp.isHole() || level < 0) {
            return;
        }
        if (level > 0) {
            ByteBuffer ind = ctx.readMetadata(bp);
            for (int i = 0; i < FANOUT; i++) {
                freeTree(ctx, BlockPointer.decode(ind.duplicate().position(i * BlockPointer.BYTES)), level - 1);
            }
        }
        ctx.free(bp);
    }

    private static boolean isZero(ByteBuffer data) {
        ByteBuffer d = data.duplicate();
        while (d.remaining() >= 8) {
            if (d.getLong() != 0) {
                return false;
            }
        }
        while (d.hasRemaining()) {
            if (d.get() != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Copy-on-write of the indirect blocks above a set of changed data blocks.
     * Nodes of the old tree are addressed by (level, first block); when the
     * tree grows, nodes above the old root are {@link #VIRTUAL} and get
     * written even when no change lies under them.
     */
    private static final class TreeRewrite {
        private final SyncContext ctx;
        private final DnodePhys old;
        private final Map<String, BlockPointer[]> childrenCache = new HashMap<>();

        TreeRewrite(SyncContext ctx, DnodePhys old) {
            this.ctx = ctx;
            this.old = old;
        }

        BlockPointer rewrite(int level, long first, NavigableMap<Long, BlockPointer> changes) {
            BlockPointer oldBp = oldNode(level, first);
            if (level == 0) {
                if (!oldBp.isHole() && oldBp != VIRTUAL) {
                    ctx.free(oldBp);
                }
                return changes.getOrDefault(first, oldBp);
            }
            BlockPointer[] kids = oldChildren(level, first).clone();
            long childSpan = span(level - 1);
            for (int i = 0; i < FANOUT; i++) {
                long childFirst = first + i * childSpan;
                NavigableMap<Long, BlockPointer> sub = changes.subMap(childFirst, true, childFirst + childSpan, false);
                if (!sub.isEmpty() || kids[i] == VIRTUAL) {
                    kids[i] = rewrite(level - 1, childFirst, sub);
                }
            }
            if (!oldBp.isHole() && oldBp != VIRTUAL) {
                ctx.free(oldBp);
            }
            boolean allHoles = true;
            ByteBuffer out = ByteBuffer.allocate(DmuFormat.INDIRECT_BLOCK_BYTES);
            for (BlockPointer k : kids) {
                allHoles &= k.isHole();
                k.encode(out);
            }
            if (allHoles) {
                return BlockPointer.HOLE;
            }
            return ctx.write(out.flip(), BlockType.INDIRECT);
        }

        private BlockPointer oldNode(int level, long first) {
            int levels = old.levels();
            if (levels == 0) {
                return BlockPointer.HOLE;
            }
            int top = levels - 1;
            if (level > top) {
                return first == 0 ? VIRTUAL : BlockPointer.HOLE;
            }
            if (level == top) {
                return first == 0 ? old.root() : BlockPointer.HOLE;
            }
            long parentSpan = span(level + 1);
            long parentFirst = first - first % parentSpan;
            return oldChildren(level + 1, parentFirst)[(int) ((first - parentFirst) / span(level))];
        }

        private BlockPointer[] oldChildren(int level, long first) {
            String key = level + ":" + first;
            BlockPointer[] cached = childrenCache.get(key);
            if (cached != null) {
                return cached;
            }
            BlockPointer bp = oldNode(level, first);
            BlockPointer[] kids = new BlockPointer[FANOUT];
            Arrays.fill(kids, BlockPointer.HOLE);
            if (bp == VIRTUAL) {
                if (first == 0) {
                    kids[0] = oldNode(level - 1, 0);
                }
            } else if (!bp.isHole()) {
                ByteBuffer ind = ctx.readMetadata(bp);
                for (int i = 0; i < FANOUT; i++) {
                    kids[i] = BlockPointer.decode(ind.duplicate().position(i * BlockPointer.BYTES));
                }
            }
            childrenCache.put(key, kids);
            return kids;
        }
    }
}
