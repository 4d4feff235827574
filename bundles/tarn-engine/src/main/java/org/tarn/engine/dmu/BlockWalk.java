package org.tarn.engine.dmu;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.tarn.api.DataError;
import org.tarn.api.TarnException;
import org.tarn.engine.io.BlockPointer;

/**
 * A walk over every block of a pool as one synced directory describes it:
 * the traversal under scrub and resilver ({@code traverse.c} and the
 * {@code dsl_scan_visitbp} walk of OpenZFS).
 *
 * <h2>Theory of operation</h2>
 * The walk starts at the pool directory: first the pool's own blocks (the
 * space-map chunks and the history block), then each dataset in id order:
 * its object set block, then its dnode array (object 0) one dnode block at
 * a time, and after each dnode block the block trees of the objects whose
 * dnodes it holds, each in block order, indirect blocks before the blocks
 * under them. Every block found is handed to a {@link Visitor}.
 *
 * <p><b>Pruning.</b> Copy-on-write rewrites every block above a changed one
 * in the same txg, so a block is never older than anything below it: a
 * subtree whose root was born before {@code minTxg} holds nothing born
 * since, and the walk skips it without reading it. A resilver, which only
 * needs blocks born in the txgs some device missed, therefore reads little
 * more than the paths to what changed.
 *
 * <p><b>Bookmarks.</b> The walk can stop after any object and between two
 * data blocks of an object, and records where it stopped as a
 * {@link Bookmark}; a later walk started there (over a newer directory, even
 * in another process) visits exactly the blocks after it. Blocks written
 * since the first walk started may appear at positions already passed; they
 * were written to every working device when they were born, so the callers
 * (which visit only blocks born up to the txg they started at) need not see
 * them.
 *
 * <p>Blocks are read through the given {@link BlockReader}; the caller holds
 * a pin on the directory's tree for the walk. A block that cannot be read
 * (no copy verifies) is reported to the visitor and its subtree skipped.
 */
public final class BlockWalk {
    private static final int DNODES_PER_BLOCK = DmuFormat.DNODE_BLOCK_BYTES / DnodePhys.BYTES;

    /**
     * Where a walk stands: every block before it was visited.
     *
     * @param dataset the dataset id being walked; 0 while in the pool's own blocks, -1 when done
     * @param object  in that dataset, the first object not done (0: the dataset was not started)
     * @param block   in that object, the first data block (level-0 index) not done
     */
    public record Bookmark(long dataset, long object, long block) {
        /** The start of a walk. */
        public static final Bookmark START = new Bookmark(0, 0, 0);
        /** A finished walk. */
        public static final Bookmark DONE = new Bookmark(-1, 0, 0);

        public boolean done() {
            return dataset < 0;
        }

        @Override
        public String toString() {
            return done() ? "done" : dataset + "/" + object + "/" + block;
        }
    }

    /**
     * One block found.
     *
     * @param bp      its pointer
     * @param dataset the dataset's name, or {@link DataError#METADATA}
     * @param object  the object id (0 for the dnode array), or -1 for the pool's and the object set's own blocks
     * @param offset  the byte offset of a data block in its object, or -1
     */
    public record Found(BlockPointer bp, String dataset, long object, long offset) {
    }

    /** Receives the blocks of a walk. */
    public interface Visitor {
        /** A block the walk reached (its subtree follows unless pruned). */
        void visit(Found found);

        /** A block that could not be read: its subtree is skipped. */
        void unreadable(Found found, TarnException why);

        /** Asked at each point the walk can stop: true stops it there. */
        boolean stop();
    }

    /** Thrown inside the walk to unwind to {@link #walk} at a stop point. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Bookmark at;

        Stopped(Bookmark at) {
            super(null, null, false, false);
            this.at = at;
        }
    }

    private final BlockReader reader;
    private final Visitor visitor;
    private final long minTxg;

    /**
     * @param minTxg subtrees whose root was born before this are skipped (1 to walk everything)
     */
    public BlockWalk(BlockReader reader, Visitor visitor, long minTxg) {
        this.reader = reader;
        this.visitor = visitor;
        this.minTxg = minTxg;
    }

    /**
     * Walks {@code dir} from {@code from} until the end or the visitor stops it.
     *
     * @return where it stopped, {@link Bookmark#DONE} at the end
     */
    public Bookmark walk(PoolDirectory dir, Bookmark from) {
        try {
            if (from.done()) {
                return from;
            }
            if (from.dataset() == 0) {
                poolBlocks(dir);
                from = new Bookmark(firstDataset(dir, 1), 0, 0);
            }
            List<DatasetRecord> datasets = new ArrayList<>(dir.datasets());
            datasets.sort(Comparator.comparingLong(DatasetRecord::id));
            for (DatasetRecord ds : datasets) {
                if (ds.id() < from.dataset()) {
                    continue;
                }
                Bookmark start = ds.id() == from.dataset() ? from : new Bookmark(ds.id(), 0, 0);
                dataset(ds, start);
                if (visitor.stop()) {
                    long next = firstDataset(dir, ds.id() + 1);
                    return next < 0 ? Bookmark.DONE : new Bookmark(next, 0, 0);
                }
            }
            return Bookmark.DONE;
        } catch (Stopped s) {
            return s.at;
        }
    }

    private static long firstDataset(PoolDirectory dir, long atLeast) {
        return dir.datasets().stream().mapToLong(DatasetRecord::id).filter(id -> id >= atLeast).min().orElse(-1);
    }

    private boolean wanted(BlockPointer bp) {
        return !bp.isHole() && bp.birthTxg() >= minTxg;
    }

    private void poolBlocks(PoolDirectory dir) {
        for (List<BlockPointer> chunks : dir.spaceMaps()) {
            for (BlockPointer bp : chunks) {
                if (wanted(bp)) {
                    visitor.visit(new Found(bp, DataError.METADATA, -1, -1));
                }
            }
        }
        if (wanted(dir.historyBp())) {
            visitor.visit(new Found(dir.historyBp(), DataError.METADATA, -1, -1));
        }
    }

    private void dataset(DatasetRecord ds, Bookmark from) {
        BlockPointer osBp = ds.objsetBp();
        if (!wanted(osBp)) {
            return;
        }
        boolean resumed = from.object() > 0;
        Found osFound = new Found(osBp, ds.name(), -1, -1);
        if (!resumed) {
            visitor.visit(osFound);
        }
        DnodePhys meta;
        try {
            meta = ObjectSet.metaDnode(reader.read(osBp, true));
        } catch (TarnException e) {
            visitor.unreadable(osFound, e);
            return;
        }
        long firstObject = Math.max(1, from.object());
        // the dnode block holding firstObject was visited already if the walk stopped inside it
        boolean firstBlockDone = resumed && (from.object() % DNODES_PER_BLOCK != 0 || from.block() > 0);
        long firstDnodeBlock = firstObject / DNODES_PER_BLOCK;
        if (meta.levels() == 0) {
            return;
        }
        new Tree(ds, 0, meta, firstDnodeBlock, resumed, firstBlockDone, (blk, data) -> {
            long base = blk * DNODES_PER_BLOCK;
            for (int i = 0; i < DNODES_PER_BLOCK; i++) {
                long id = base + i;
                if (id < firstObject || (i + 1) * DnodePhys.BYTES > data.remaining()) {
                    continue;
                }
                DnodePhys d = DnodePhys.decode(data.duplicate().position(data.position() + i * DnodePhys.BYTES));
                if (d.allocated() && d.levels() > 0) {
                    long startBlock = id == from.object() ? from.block() : 0;
                    new Tree(ds, id, d, startBlock, startBlock > 0, false, null).walk();
                }
                if (visitor.stop()) {
                    throw new Stopped(new Bookmark(ds.id(), id + 1, 0));
                }
            }
        }).walk();
    }

    /** What to do with the contents of a level-0 block of the dnode array. */
    private interface DnodeBlocks {
        void dnodes(long blk, ByteBuffer data);
    }

    /** One object's block tree, walked from a level-0 block on. */
    private final class Tree {
        private final DatasetRecord ds;
        private final long object;
        private final DnodePhys phys;
        private final long startBlock;
        private final boolean resumed;
        private final boolean startVisited;
        private final DnodeBlocks dnodes;

        /**
         * @param startBlock   the first level-0 block to walk
         * @param resumed      whether an earlier walk stopped in this tree: the nodes above the start block
         *                     that begin before it were visited then
         * @param startVisited whether the start block itself (and the nodes that begin at it) was visited then
         * @param dnodes       for the dnode array (object 0): what to do with each of its level-0 blocks
         */
        Tree(DatasetRecord ds, long object, DnodePhys phys, long startBlock, boolean resumed, boolean startVisited,
             DnodeBlocks dnodes) {
            this.ds = ds;
            this.object = object;
            this.phys = phys;
            this.startBlock = startBlock;
            this.resumed = resumed;
            this.startVisited = startVisited;
            this.dnodes = dnodes;
        }

        void walk() {
            node(phys.root(), phys.levels() - 1, 0);
        }

        private void node(BlockPointer bp, int level, long first) {
            long span = Dnode.span(level);
            if (first + span <= startBlock || !wanted(bp)) {
                // before the start, a hole, or born before minTxg: nothing below changed since
                return;
            }
            boolean seenBefore = resumed && (first < startBlock || (first == startBlock && startVisited));
            Found found = new Found(bp, ds.name(), object, level == 0 && dnodes == null
                    ? first * phys.blockSizeBytes() : -1);
            if (!seenBefore) {
                visitor.visit(found);
            }
            if (level == 0) {
                if (dnodes != null) {
                    ByteBuffer data = read(bp, found);
                    if (data != null) {
                        dnodes.dnodes(first, data);
                    }
                } else if (visitor.stop()) {
                    throw new Stopped(new Bookmark(ds.id(), object, first + 1));
                }
                return;
            }
            ByteBuffer ind = read(bp, found);
            if (ind == null) {
                return;
            }
            long childSpan = Dnode.span(level - 1);
            for (int i = 0; i < Dnode.FANOUT; i++) {
                BlockPointer child = BlockPointer.decode(ind.duplicate().position(ind.position()
                        + i * BlockPointer.BYTES));
                node(child, level - 1, first + i * childSpan);
            }
        }

        private ByteBuffer read(BlockPointer bp, Found found) {
            try {
                return reader.read(bp, true);
            } catch (TarnException e) {
                visitor.unreadable(found, e);
                return null;
            }
        }
    }
}
