package org.tarn.engine.pool;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.PoolProperty;
import org.tarn.api.TarnException;
import org.tarn.api.VdevState;
import org.tarn.engine.EngineDefaults;
import org.tarn.engine.dmu.DeferredFree;
import org.tarn.engine.dmu.DmuFormat;
import org.tarn.engine.dmu.ObjectSet;
import org.tarn.engine.dmu.PoolDirectory;
import org.tarn.engine.dmu.SyncContext;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.BlockType;
import org.tarn.engine.io.ChecksumType;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.DeviceWrite;
import org.tarn.engine.label.Label;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelSet;
import org.tarn.engine.label.LabelWriter;
import org.tarn.engine.label.NvList;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.label.VdevConfig;
import org.tarn.engine.label.VdevConfigs;
import org.tarn.engine.txg.TxgManager;
import org.tarn.engine.vdev.Dtl;
import org.tarn.engine.vdev.SpaceMap;
import org.tarn.engine.vdev.Vdev;

/**
 * Writing out one transaction group of a pool: {@code spa_sync}.
 *
 * <h2>Theory of operation</h2>
 * Syncing group T ({@link #syncTxg}) runs on the pool's sync thread, which
 * owns everything here (space maps, deferred frees, the directory's block):
 * <ol>
 * <li>each dirty object set writes its changed blocks, indirect blocks, dnode
 *     array and object set block to newly allocated space, and the datasets
 *     destroyed in T are freed ({@link DatasetDirectory#syncObjectSets});</li>
 * <li>frees deferred from T-{@value DmuFormat#FREE_DEFER_TXGS} and older are
 *     returned to the space maps, except those a reader of an older snapshot
 *     still pins ({@link ReadPins});</li>
 * <li>the directory block is allocated, then every space-map chunk changed by
 *     these allocations gets a new block; allocating those changes more
 *     chunks, so this repeats until no new chunk is dirtied (each chunk is
 *     rewritten at most once per group, so it ends);</li>
 * <li>the directory is written; all writes are awaited and the devices
 *     flushed;</li>
 * <li>labels and uberblocks are written in the crash-safe order (see
 *     {@link LabelWriter}): even labels, flush, uberblocks, odd labels,
 *     flush.</li>
 * </ol>
 * Only then does the in-memory state move to T. Writes are merged while they
 * are adjacent on one top-level vdev (the allocator hands out space
 * sequentially, so a sync turns into few large writes).
 *
 * <p>Failures: before the first uberblock write goes out, a failure undoes
 * this group's allocations and leaves its changes in memory; when a
 * top-level vdev failed, the group is retried at once on the others,
 * otherwise the failure suspends the pool (per {@code failmode}) until
 * {@code clear}. Once an uberblock write went out, some device may hold it
 * (an I/O given up on may still land), so the group is never undone: it
 * suspends the pool and the next attempt redoes only the label stage over
 * the same blocks. A write the pool gave up on (its deadline passed) may
 * still be running in the device: undo keeps its extent out of the space
 * maps until it returns (the quarantine), so it cannot land on a newer block.
 *
 * <p>The labels' config is rewritten when its generation moved since the
 * last config write; a change made while the labels are being written
 * (a property, the export's EXPORTED) keeps a newer generation and is
 * written by the next sync.
 */
final class SpaSync implements TxgManager.Syncer {
    private static final Logger LOG = LoggerFactory.getLogger(SpaSync.class);

    private final Spa spa;
    private final Vdev root;
    private final IoPipeline io;
    private final DatasetDirectory datasets;
    private final ReadPins pins;

    // owned by the sync thread
    private BlockPointer[][] chunkBps;
    private TreeMap<Long, List<DeferredFree>> deferred = new TreeMap<>();
    private BlockPointer directoryBp;
    private int rotor;
    private long rotorBytes;

    private final AtomicLong mmpSequence = new AtomicLong();
    private volatile Uberblock lastUberblock;
    /**
     * Generations of the labels' config (tree, properties, state): every
     * change takes the next number; a config write records the number it
     * started from, so a change made while the labels are being written is
     * written again by the next sync instead of being lost.
     */
    private final AtomicLong configGeneration = new AtomicLong();
    private volatile long labelsGeneration;
    private volatile PoolLabelState labelState = PoolLabelState.ACTIVE;
    /**
     * A group whose uberblock write was issued but whose label stage failed:
     * some device may hold its uberblock, so it is never undone; the next
     * attempt redoes only the labels (OpenZFS retries {@code vdev_config_sync},
     * it never rolls back {@code spa_sync}).
     */
    private SyncRun pendingLabels;
    /**
     * Extents of undone allocations that a device is still writing (a write
     * given up on after its deadline): held out of the space maps until the
     * write returns, so a late write can never land on a block allocated
     * since. Owned by the sync thread.
     */
    private final List<long[]> quarantine = new ArrayList<>();
    /** The current history block (a hole until the first entry). Owned by the sync thread. */
    private BlockPointer historyBp = BlockPointer.HOLE;
    private volatile Lifecycle lifecycle = Lifecycle.NONE;

    /**
     * What the device lifecycle adds to every sync: tree changes applied on
     * the sync thread before the group is written ({@link VdevOps}), the scan
     * state ({@link Scan}) and the command history ({@link History}) recorded
     * in the directory, and the hot spares whose labels carry the config.
     */
    interface Lifecycle {
        Lifecycle NONE = new Lifecycle() {
        };

        /** Applies the queued tree changes; the group {@code txg} is written with the new tree. True if any. */
        default boolean applyConfigChanges(long txg) {
            return false;
        }

        /** Whether a tree change, scan progress or a history entry waits for a sync. */
        default boolean hasChanges() {
            return false;
        }

        /** The scan state to record in the directory of {@code txg}. */
        default NvList scanState(long txg) {
            return new NvList();
        }

        /** The history block to write in this group, or null when it did not change since the last one. */
        default ByteBuffer historyBlock() {
            return null;
        }

        /** The group {@code txg} (with the history block last returned, if written) is on disk. */
        default void committed(long txg, boolean historyWritten) {
        }

        /** The hot spares not in use; their labels carry the config too (they hold no data). */
        default List<Vdev> availableSpares() {
            return List.of();
        }
    }

    SpaSync(Spa spa, Vdev root, IoPipeline io, DatasetDirectory datasets, ReadPins pins, BlockPointer directoryBp) {
        this.spa = spa;
        this.pins = pins;
        this.root = root;
        this.io = io;
        this.datasets = datasets;
        int tops = root.topLevel().size();
        this.chunkBps = new BlockPointer[tops][];
        for (int v = 0; v < tops; v++) {
            chunkBps[v] = new BlockPointer[root.topLevel().get(v).spaceMap().chunkCount()];
            Arrays.fill(chunkBps[v], BlockPointer.HOLE);
        }
        this.directoryBp = directoryBp == null ? BlockPointer.HOLE : directoryBp;
    }

    /** A new pool: every space map is written by the first sync, with the labels. */
    void initNew() {
        root.topLevel().forEach(t -> t.spaceMap().markAllDirty());
        markConfigDirty();
    }

    /** An imported pool: loads its space maps and deferred frees; its labels are rewritten unless read-only. */
    void load(PoolDirectory dir, boolean readOnly) {
        for (int v = 0; v < dir.spaceMaps().size() && v < chunkBps.length; v++) {
            List<BlockPointer> chunks = dir.spaceMaps().get(v);
            SpaceMap sm = root.topLevel().get(v).spaceMap();
            for (int i = 0; i < chunks.size() && i < chunkBps[v].length; i++) {
                chunkBps[v][i] = chunks.get(i);
                if (!chunks.get(i).isHole()) {
                    sm.loadChunk(i, io.read(chunks.get(i), false));
                }
            }
            sm.clearDirty();
        }
        for (DeferredFree f : dir.deferred()) {
            deferred.computeIfAbsent(f.txg(), t -> new ArrayList<>()).add(f);
        }
        for (Vdev leaf : root.leaves()) {
            for (long[] r : dir.dtls().getOrDefault(leaf.guid(), List.of())) {
                leaf.dtl().add(r[0], r[1]);
            }
        }
        historyBp = dir.historyBp();
        if (!readOnly) {
            markConfigDirty();
        }
    }

    void lifecycle(Lifecycle l) {
        this.lifecycle = l;
    }

    /** The current history block, a hole when the pool has none. */
    BlockPointer historyBp() {
        return historyBp;
    }

    /** The directory block of the newest synced group, a hole before the first. */
    BlockPointer directoryBp() {
        return directoryBp;
    }

    /** Grows the space-map bookkeeping for top-level vdevs added to the tree (sync thread, before a run). */
    void topLevelsAdded() {
        int tops = root.topLevel().size();
        if (tops <= chunkBps.length) {
            return;
        }
        BlockPointer[][] grown = Arrays.copyOf(chunkBps, tops);
        for (int v = chunkBps.length; v < tops; v++) {
            SpaceMap sm = root.topLevel().get(v).spaceMap();
            grown[v] = new BlockPointer[sm.chunkCount()];
            Arrays.fill(grown[v], BlockPointer.HOLE);
            sm.markAllDirty();
        }
        chunkBps = grown;
    }

    /** The labels must carry a new config (properties changed, say). */
    void markConfigDirty() {
        configGeneration.incrementAndGet();
    }

    private boolean configDirty() {
        return configGeneration.get() > labelsGeneration;
    }

    /** The pool state the labels get from the next config write on (EXPORTED at the end of an export). */
    void labelState(PoolLabelState state) {
        labelState = state;
        markConfigDirty();
    }

    /** The newest uberblock written by this process, the one heartbeats repeat; null before the first sync. */
    Uberblock lastUberblock() {
        return lastUberblock;
    }

    /** The multihost sequence, shared by uberblock writes and heartbeats. */
    AtomicLong mmpSequence() {
        return mmpSequence;
    }

    /** Room for one rewrite of every space-map chunk and the directory, which every sync may need. */
    long spaceMapReserveBytes() {
        long chunks = 0;
        for (BlockPointer[] c : chunkBps) {
            chunks += c.length;
        }
        return chunks * SpaceMap.CHUNK_BYTES * 2 + 64 * 1024;
    }

    // ---- TxgManager.Syncer -------------------------------------------------------

    @Override
    public boolean hasChanges(long txg) {
        if (spa.readOnly()) {
            return false;
        }
        return configDirty() || datasets.hasChanges(txg) || lifecycle.hasChanges();
    }

    @Override
    public void syncTxg(long txg) {
        if (spa.readOnly()) {
            return;
        }
        SyncRun pending = pendingLabels;
        if (pending != null && pending.txg == txg) {
            // its uberblock may be on a device: only the label stage is redone, never the group
            pending.finishLabels();
            pendingLabels = null;
            return;
        }
        if (lifecycle.applyConfigChanges(txg)) {
            markConfigDirty(); // this group's labels carry the new tree
        }
        topLevelsAdded();
        int retries = root.topLevel().size();
        int leafRetries = root.leaves().size();
        while (true) {
            int writableBefore = writableTopLevels();
            SyncRun run = new SyncRun(txg);
            long started = System.nanoTime();
            try {
                run.execute();
                spa.syncTimeHistogram().record(System.nanoTime() - started);
                return;
            } catch (WriterLost lost) {
                // the directory already written says every writer holds this txg: write the group again
                // without the leaf that failed, whose DTL then gets the txg
                run.undo();
                if (leafRetries-- > 0) {
                    LOG.warn("pool '{}': txg {}: {} failed during the sync; writing the txg again without it",
                            spa.name(), txg, lost.leaf.path());
                    continue;
                }
                throw new TarnException(ErrorCode.IO_ERROR, "pool '" + spa.name() + "': txg " + txg
                        + ": devices keep failing during the sync (last: " + lost.leaf.path() + ")");
            } catch (TarnException e) {
                if (run.uberblockIssued) {
                    pendingLabels = run;
                    throw e;
                }
                run.undo();
                if (e.code() == ErrorCode.POOL_EXPORTED) {
                    throw e;
                }
                int writableNow = writableTopLevels();
                if (writableNow > 0 && writableNow < writableBefore && retries-- > 0) {
                    LOG.warn("pool '{}': txg {} failed on a top-level vdev, retrying on the {} others: {}",
                            spa.name(), txg, writableNow, e.getMessage());
                    continue;
                }
                throw e;
            }
        }
    }

    /** A leaf that was a writer of the group being synced failed before the group's uberblock. */
    private static final class WriterLost extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Vdev leaf;

        WriterLost(Vdev leaf) {
            super(null, null, false, false);
            this.leaf = leaf;
        }
    }

    private int writableTopLevels() {
        int n = 0;
        for (Vdev t : root.topLevel()) {
            if (t.writable()) {
                n++;
            }
        }
        return n;
    }

    /** Allocates {@code size} bytes: returns {vdev, offset}. */
    private long[] allocate(int size) {
        List<Vdev> tops = root.topLevel();
        for (int k = 0; k < tops.size(); k++) {
            int idx = (rotor + k) % tops.size();
            Vdev top = tops.get(idx);
            if (!top.writable()) {
                continue;
            }
            long off = top.spaceMap().allocate(size);
            if (off >= 0) {
                rotorBytes += size;
                if (k > 0 || rotorBytes >= EngineDefaults.ROTOR_BYTES) {
                    rotor = (idx + 1) % tops.size();
                    rotorBytes = 0;
                }
                return new long[] {idx, off};
            }
        }
        throw new TarnException(writableTopLevels() == 0 ? ErrorCode.IO_ERROR : ErrorCode.NO_SPACE,
                writableTopLevels() == 0
                        ? "pool '" + spa.name() + "': no top-level vdev can take writes"
                        : "pool '" + spa.name() + "': no free space for a block of " + size + " bytes");
    }

    /** The writes, allocations and frees of one attempt to sync a group. */
    private final class SyncRun implements SyncContext {
        private final long txg;
        private final ChecksumType checksum = ChecksumType.byPropertyValue(spa.prop(PoolProperty.CHECKSUM));
        private final List<long[]> allocations = new ArrayList<>();
        private final List<DeferredFree> frees = new ArrayList<>();
        private final List<DeferredFree> released = new ArrayList<>();
        private final List<CompletableFuture<Void>> writes = new ArrayList<>();
        private final List<ObjectSet> synced = new ArrayList<>();
        private final Map<DatasetDirectory.Entry, BlockPointer> newBps = new HashMap<>();
        /** Set before the first uberblock write goes out: from then on this group is never undone. */
        private boolean uberblockIssued;
        private BlockPointer[][] newChunks;
        private BlockPointer newDirBp;
        /** The leaves that take this group's writes; every other leaf's DTL gets the txg. */
        private Set<Vdev> writers = Set.of();
        private NvList scanState = new NvList();
        private BlockPointer newHistoryBp = historyBp;
        private boolean historyWritten;

        /** Adjacent blocks waiting to go out as one device write. */
        private ByteBuffer run;
        private int runVdev = -1;
        private long runOffset;

        /** Frees of this txg and older go back to the space maps: deferred enough, and no reader pins them. */
        private final long releaseUpTo;

        SyncRun(long txg) {
            this.txg = txg;
            this.releaseUpTo = pins.releasableUpTo(txg - DmuFormat.FREE_DEFER_TXGS);
        }

        /** Queues a block for writing, merged with the blocks before it while they are adjacent on one vdev. */
        private void coalesce(int vdev, long offset, ByteBuffer data) {
            if (run != null && (vdev != runVdev || offset != runOffset + run.position()
                    || run.remaining() < data.remaining())) {
                flushRun();
            }
            if (data.remaining() >= EngineDefaults.SYNC_RUN_BYTES) {
                writes.add(io.writeExtent(vdev, offset, data));
                return;
            }
            if (run == null) {
                run = ByteBuffer.allocateDirect(EngineDefaults.SYNC_RUN_BYTES);
                runVdev = vdev;
                runOffset = offset;
            }
            run.put(data.duplicate());
        }

        private void flushRun() {
            if (run != null && run.position() > 0) {
                writes.add(io.writeExtent(runVdev, runOffset, run.flip()));
            }
            run = null;
        }

        @Override
        public long txg() {
            return txg;
        }

        @Override
        public BlockPointer write(ByteBuffer data, BlockType type) {
            ByteBuffer padded = pad(data);
            long[] at = allocate(padded.remaining());
            allocations.add(new long[] {at[0], at[1], padded.remaining()});
            return writeAt(at, padded, type);
        }

        private BlockPointer writeAt(long[] at, ByteBuffer data, BlockType type) {
            BlockPointer bp = new BlockPointer((int) at[0], at[1], data.remaining(), txg, checksum, type,
                    checksum.compute(data));
            coalesce((int) at[0], at[1], data);
            if (type != BlockType.DATA) {
                io.cache().put(bp, data);
            }
            return bp;
        }

        private ByteBuffer pad(ByteBuffer data) {
            int size = SpaceMap.roundUp(Math.max(1, data.remaining()));
            if (size == data.remaining()) {
                return data.duplicate();
            }
            ByteBuffer p = ByteBuffer.allocate(size);
            p.put(data.duplicate());
            return p.clear();
        }

        @Override
        public void free(BlockPointer bp) {
            if (!bp.isHole()) {
                frees.add(new DeferredFree(txg, bp.vdev(), bp.offset(), bp.size()));
            }
        }

        @Override
        public ByteBuffer readMetadata(BlockPointer bp) {
            return io.read(bp, true);
        }

        void execute() {
            releaseQuarantine();
            writers = new HashSet<>(activeLeaves());
            scanState = lifecycle.scanState(txg);
            // 1. object sets
            datasets.syncObjectSets(this, newBps, synced);
            // 2. frees that have waited long enough
            for (List<DeferredFree> due : deferred.headMap(releaseUpTo, true).values()) {
                for (DeferredFree f : due) {
                    root.topLevel().get(f.vdev()).spaceMap().free(f.offset(), f.sizeBytes());
                    released.add(f);
                }
            }
            // 3. the history block when it changed, the directory's block sized for the worst case, the space maps
            ByteBuffer history = lifecycle.historyBlock();
            if (history != null) {
                free(historyBp);
                newHistoryBp = write(history, BlockType.HISTORY);
                historyWritten = true;
            }
            if (!directoryBp.isHole()) {
                free(directoryBp);
            }
            int totalChunks = 0;
            for (BlockPointer[] c : chunkBps) {
                totalChunks += c.length;
            }
            int dirSize = SpaceMap.roundUp(directory(chunkBps, totalChunks).encode().remaining());
            long[] dirAt = allocate(dirSize);
            allocations.add(new long[] {dirAt[0], dirAt[1], dirSize});
            Map<Integer, Map<Integer, long[]>> chunkAt = new HashMap<>();
            boolean grew = true;
            while (grew) {
                grew = false;
                for (Vdev top : root.topLevel()) {
                    Map<Integer, long[]> mine = chunkAt.computeIfAbsent(top.id(), k -> new HashMap<>());
                    BitSet dirty = top.spaceMap().dirtyChunks();
                    for (int i = dirty.nextSetBit(0); i >= 0; i = dirty.nextSetBit(i + 1)) {
                        if (!mine.containsKey(i)) {
                            long[] at = allocate(SpaceMap.CHUNK_BYTES);
                            allocations.add(new long[] {at[0], at[1], SpaceMap.CHUNK_BYTES});
                            mine.put(i, at);
                            free(chunkBps[top.id()][i]);
                            grew = true;
                        }
                    }
                }
            }
            newChunks = new BlockPointer[chunkBps.length][];
            for (int v = 0; v < chunkBps.length; v++) {
                newChunks[v] = chunkBps[v].clone();
                for (Map.Entry<Integer, long[]> c : chunkAt.getOrDefault(v, Map.of()).entrySet()) {
                    newChunks[v][c.getKey()] = writeAt(c.getValue(),
                            root.topLevel().get(v).spaceMap().chunk(c.getKey()), BlockType.SPACE_MAP);
                }
            }
            // 4. the directory
            ByteBuffer dirData = ByteBuffer.allocate(dirSize);
            dirData.put(directory(newChunks, 0).encode());
            newDirBp = writeAt(dirAt, dirData.clear(), BlockType.DIRECTORY);
            flushRun();
            for (CompletableFuture<Void> w : writes) {
                io.await(w);
            }
            List<Vdev> leaves = activeLeaves();
            if (!leaves.isEmpty() && io.flush(leaves).size() == leaves.size()) {
                throw new TarnException(ErrorCode.IO_ERROR, "pool '" + spa.name()
                        + "': every device failed to flush");
            }
            // the directory says each writer holds this txg: one that failed a write or flush does not
            for (Vdev w : writers) {
                if (w.state() != VdevState.ONLINE) {
                    throw new WriterLost(w);
                }
            }
            // 5. labels and uberblocks
            finishLabels();
        }

        /** The label stage (again, after a failure past the uberblock), then the group is in memory too. */
        void finishLabels() {
            writeLabels(this);
            commit(newChunks, newDirBp);
        }

        /** The directory as it will be after this group; {@code spareFrees} reserves room for more frees. */
        private PoolDirectory directory(BlockPointer[][] chunks, int spareFrees) {
            List<List<BlockPointer>> maps = new ArrayList<>();
            for (BlockPointer[] c : chunks) {
                maps.add(List.of(c));
            }
            List<DeferredFree> pending = new ArrayList<>();
            for (Map.Entry<Long, List<DeferredFree>> e : deferred.entrySet()) {
                if (e.getKey() > releaseUpTo) {
                    pending.addAll(e.getValue());
                }
            }
            pending.addAll(frees);
            for (int i = 0; i < spareFrees; i++) {
                pending.add(new DeferredFree(Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE));
            }
            Map<Long, List<long[]>> dtls = new HashMap<>();
            for (Vdev leaf : root.leaves()) {
                Dtl d = writers.contains(leaf) ? leaf.dtl() : leaf.dtl().with(txg);
                if (!d.isEmpty()) {
                    dtls.put(leaf.guid(), d.ranges());
                }
            }
            return new PoolDirectory(txg, spa.properties(), datasets.nextDatasetId(), datasets.records(newBps),
                    maps, pending, dtls, scanState, newHistoryBp, spa.localProperties());
        }

        private void commit(BlockPointer[][] newChunks, BlockPointer newDirBp) {
            for (ObjectSet os : synced) {
                os.commit(txg);
            }
            TreeMap<Long, List<DeferredFree>> next = new TreeMap<>(deferred.tailMap(releaseUpTo, false));
            if (!frees.isEmpty()) {
                next.computeIfAbsent(txg, t -> new ArrayList<>()).addAll(frees);
            }
            for (DeferredFree f : frees) {
                io.cache().invalidate(new BlockPointer(f.vdev(), f.offset(), f.sizeBytes(), 0,
                        ChecksumType.CRC32C, BlockType.NONE, new byte[ChecksumType.MAX_BYTES]));
            }
            deferred = next;
            chunkBps = newChunks;
            directoryBp = newDirBp;
            historyBp = newHistoryBp;
            root.topLevel().forEach(t -> t.spaceMap().clearDirty());
            for (Vdev leaf : root.leaves()) {
                if (!writers.contains(leaf)) {
                    leaf.dtl().add(txg);
                }
            }
            datasets.committed(txg, newBps);
            lifecycle.committed(txg, historyWritten);
        }

        void undo() {
            for (int i = allocations.size() - 1; i >= 0; i--) {
                long[] a = allocations.get(i);
                if (io.stillWriting((int) a[0], a[1], a[2])) {
                    quarantine.add(a);
                } else {
                    root.topLevel().get((int) a[0]).spaceMap().free(a[1], (int) a[2]);
                }
            }
            for (DeferredFree f : released) {
                root.topLevel().get(f.vdev()).spaceMap().claim(f.offset(), f.sizeBytes());
            }
            for (ObjectSet os : synced) {
                os.abortSync(txg);
            }
            io.cache().clear();
        }
    }

    /** Returns to the space maps the quarantined extents whose late writes have returned. */
    private void releaseQuarantine() {
        quarantine.removeIf(a -> {
            if (io.stillWriting((int) a[0], a[1], a[2])) {
                return false;
            }
            root.topLevel().get((int) a[0]).spaceMap().free(a[1], (int) a[2]);
            return true;
        });
    }

    /** How many extents wait for a late write to return before they can be reused. */
    int quarantinedExtents() {
        return quarantine.size();
    }

    /** The leaves that take writes: attached and ONLINE. */
    List<Vdev> activeLeaves() {
        List<Vdev> out = new ArrayList<>();
        for (Vdev leaf : root.leaves()) {
            if (leaf.device() != null && leaf.state() == VdevState.ONLINE) {
                out.add(leaf);
            }
        }
        return out;
    }

    // ---- labels ------------------------------------------------------------------

    /**
     * Writes configs (when changed) and the uberblock of the group being
     * synced, in the crash-safe order; succeeds when at least one device took
     * the uberblock.
     */
    private void writeLabels(SyncRun run) {
        long txg = run.txg;
        long generation = configGeneration.get();
        boolean withConfig = generation > labelsGeneration;
        PoolLabelState stateToWrite = labelState;
        List<Vdev> leaves = activeLeaves();
        // each leaf's config is encoded once, for its even and its odd labels; the tree is built once
        Map<Vdev, ByteBuffer> areas = new ConcurrentHashMap<>();
        VdevConfig tree = withConfig ? VdevConfigs.toConfig(root) : null;
        List<Vdev> spares = withConfig ? availableSpares() : List.of();
        List<VdevConfig> spareConfigs = spares.stream()
                .map(sp -> VdevConfigs.spareConfig(sp, sp.device().sizeBytes())).toList();
        Function<Vdev, ByteBuffer> area = leaf -> areas.computeIfAbsent(leaf,
                l -> LabelWriter.configArea(l.device().sizeBytes(),
                        labelConfig(l, txg, stateToWrite, tree, spareConfigs)));
        if (withConfig) {
            labelPass(leaves, leaf -> LabelWriter.configWrites(leaf.device().sizeBytes(), area.apply(leaf),
                    LabelSet.EVEN));
            io.flush(leaves);
            // a hot spare holds no data and no uberblock: both halves of its labels name the pool now
            spareLabels(spares, area);
        }
        Uberblock ub = new Uberblock(txg, System.currentTimeMillis(), root.guidSum(), run.newDirBp,
                mmpSequence.incrementAndGet(), LabelConfig.FORMAT_VERSION, spa.mmpTiming());
        run.uberblockIssued = true;
        int ok = labelPass(activeLeaves(), leaf -> LabelWriter.uberblockWrites(leaf.device().sizeBytes(), ub));
        if (ok == 0) {
            throw new TarnException(ErrorCode.IO_ERROR, "pool '" + spa.name()
                    + "': no device took the uberblock of txg " + txg);
        }
        if (withConfig) {
            // the uberblocks must be durable before the odd labels change
            io.flush(activeLeaves());
            labelPass(activeLeaves(), leaf -> LabelWriter.configWrites(leaf.device().sizeBytes(), area.apply(leaf),
                    LabelSet.ODD));
        }
        List<Vdev> flushed = activeLeaves();
        if (io.flush(flushed).size() == flushed.size()) {
            throw new TarnException(ErrorCode.IO_ERROR, "pool '" + spa.name()
                    + "': every device failed to flush txg " + txg);
        }
        if (withConfig) {
            labelsGeneration = Math.max(labelsGeneration, generation);
        }
        lastUberblock = ub;
    }

    /** Runs one set of label writes on every leaf; returns how many leaves took all of theirs. */
    private int labelPass(List<Vdev> leaves, Function<Vdev, List<DeviceWrite>> plan) {
        Map<Vdev, List<CompletableFuture<Void>>> byLeaf = new LinkedHashMap<>();
        for (Vdev leaf : leaves) {
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (DeviceWrite w : plan.apply(leaf)) {
                fs.add(io.writeLeafUncached(leaf, w.offset(), w.data())); // for other hosts: not via this cache
            }
            byLeaf.put(leaf, fs);
        }
        int ok = 0;
        for (Map.Entry<Vdev, List<CompletableFuture<Void>>> e : byLeaf.entrySet()) {
            boolean all = true;
            for (CompletableFuture<Void> f : e.getValue()) {
                try {
                    io.await(f);
                } catch (TarnException ex) {
                    if (ex.code() == ErrorCode.POOL_EXPORTED) {
                        throw ex;
                    }
                    all = false;
                    e.getKey().writeErrors().incrementAndGet();
                    if (e.getKey().state() == VdevState.ONLINE) {
                        e.getKey().fault();
                        spa.event("vdev-faulted", e.getKey().path() + " label write error: " + ex.getMessage());
                    }
                }
            }
            if (all) {
                ok++;
            }
        }
        return ok;
    }

    /** The spares not in use whose devices are open. */
    private List<Vdev> availableSpares() {
        return lifecycle.availableSpares().stream().filter(sp -> sp.device() != null).toList();
    }

    /** Writes the labels of hot spares not in use; a spare that fails them is faulted (no longer takes over). */
    private void spareLabels(List<Vdev> spares, Function<Vdev, ByteBuffer> area) {
        for (Vdev spare : spares) {
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (LabelSet half : List.of(LabelSet.EVEN, LabelSet.ODD)) {
                for (DeviceWrite w : LabelWriter.configWrites(spare.device().sizeBytes(), area.apply(spare), half)) {
                    fs.add(io.writeLeaf(spare, w.offset(), w.data()));
                }
            }
            fs.add(io.flushLeaf(spare));
            for (CompletableFuture<Void> f : fs) {
                try {
                    io.await(f);
                } catch (TarnException ex) {
                    if (ex.code() == ErrorCode.POOL_EXPORTED) {
                        throw ex;
                    }
                    spare.writeErrors().incrementAndGet();
                    if (spare.state() == VdevState.ONLINE) {
                        spare.fault();
                        spa.event("vdev-faulted", "hot spare " + spare.path() + " label write error: "
                                + ex.getMessage());
                    }
                    break;
                }
            }
        }
    }

    private LabelConfig labelConfig(Vdev leaf, long txg, PoolLabelState st, VdevConfig tree,
                                    List<VdevConfig> spares) {
        boolean spare = spares.stream().anyMatch(sp -> sp.guid() == leaf.guid());
        return new LabelConfig(spa.name(), spa.guid(), leaf.guid(), spare ? leaf.guid() : topOf(leaf).guid(), st,
                spa.host().hostId(), spa.host().hostname(), txg, LabelConfig.FORMAT_VERSION, spa.properties(), tree,
                spares);
    }

    /**
     * Refuses a pool whose config does not fit in a label (every label holds
     * the whole vdev tree, so this bounds the number of devices).
     */
    void checkLabelFits(long txg) {
        LabelConfig c = labelConfig(root.leaves().get(0), txg, PoolLabelState.ACTIVE, VdevConfigs.toConfig(root),
                availableSpares().stream().map(sp -> VdevConfigs.spareConfig(sp, sp.device().sizeBytes())).toList());
        try {
            Label.encodeConfig(c);
        } catch (IllegalArgumentException e) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + spa.name() + "' has "
                    + root.leaves().size() + " devices: " + e.getMessage() + "; split the devices over several pools");
        }
    }

    private static Vdev topOf(Vdev leaf) {
        Vdev v = leaf;
        while (v.parent() != null && v.parent().kind() != Vdev.Kind.ROOT) {
            v = v.parent();
        }
        return v;
    }
}
