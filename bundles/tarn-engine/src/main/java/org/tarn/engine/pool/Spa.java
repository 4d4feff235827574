package org.tarn.engine.pool;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Health;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevState;
import org.tarn.api.VdevStatus;
import org.tarn.engine.dmu.BlockReader;
import org.tarn.engine.dmu.DatasetHandle;
import org.tarn.engine.dmu.DmuHost;
import org.tarn.engine.dmu.ObjectSet;
import org.tarn.engine.dmu.SyncContext;
import org.tarn.engine.io.BlockCache;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.BlockType;
import org.tarn.engine.io.ChecksumType;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.DeviceWrite;
import org.tarn.engine.label.Label;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelSet;
import org.tarn.engine.label.LabelWriter;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.label.VdevConfig;
import org.tarn.engine.mmp.MultihostWriter;
import org.tarn.engine.txg.TxgManager;
import org.tarn.engine.vdev.SpaceMap;
import org.tarn.engine.vdev.Vdev;

/**
 * One imported pool: the storage pool allocator (SPA).
 *
 * <h2>Theory of operation</h2>
 * A pool is a vdev tree, an I/O pipeline over it, a transaction group
 * manager, and a directory: the pool's properties, its datasets (each an
 * {@link ObjectSet}), the space maps of its top-level vdevs and the list of
 * deferred frees. The newest uberblock points at the directory; everything
 * else hangs off it.
 *
 * <p>Syncing group T ({@link #syncTxg}) runs on the pool's sync thread:
 * <ol>
 * <li>each dirty object set writes its changed blocks, indirect blocks, dnode
 *     array and object set block to newly allocated space;</li>
 * <li>frees deferred from T-{@value PoolDefaults#FREE_DEFER_TXGS} are returned
 *     to the space maps;</li>
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
 * Only then does the in-memory state move to T. A failure at any step undoes
 * this group's allocations and leaves its changes in memory; when a top-level
 * vdev failed, the group is retried at once on the others, otherwise the
 * pool suspends (per {@code failmode}) until {@link #clear()}.
 *
 * <p>Locks: {@code nsLock} guards the dataset namespace and handles and is
 * never held across device I/O; the space maps and directory state are owned
 * by the sync thread. Force export takes no lock that I/O could hold.
 */
public final class Spa implements Pool, DmuHost, TxgManager.Syncer, TxgManager.SuspendListener {
    private static final Logger LOG = LoggerFactory.getLogger(Spa.class);
    private static final Pattern DATASET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}");
    /** Largest merged device write of a sync. */
    private static final int RUN_BYTES = 1024 * 1024;
    /** Bytes written to one top-level vdev before the allocator moves to the next. */
    private static final long ROTOR_BYTES = 1024 * 1024;

    private final String name;
    private final long guid;
    private final HostIdentity host;
    private final Vdev root;
    private final IoPipeline io;
    private final TxgManager txgs;
    private final boolean readOnly;
    private final Consumer<Spa> onGone;
    private volatile BiConsumer<Spa, PoolEvent> eventSink = (spa, e) -> { };
    private final Map<String, String> props;

    private final Object stateLock = new Object();
    private volatile PoolState state = PoolState.IMPORTING;
    private volatile TarnException deadReason;
    private volatile boolean configDirty;
    private volatile PoolLabelState labelState = PoolLabelState.ACTIVE;
    private final Instant importedAt = Instant.now();

    private final Object nsLock = new Object();
    private final TreeMap<String, DatasetEntry> datasets = new TreeMap<>();
    private final Map<Long, List<DatasetEntry>> destroyed = new HashMap<>();
    private final Set<Long> directoryChanges = ConcurrentHashMap.newKeySet();
    private final Set<DatasetHandle> handles = ConcurrentHashMap.newKeySet();
    private long nextDatasetId;

    // owned by the sync thread
    private BlockPointer[][] chunkBps;
    private TreeMap<Long, List<DeferredFree>> deferred = new TreeMap<>();
    private BlockPointer directoryBp;
    private final AtomicLong mmpSequence = new AtomicLong();
    private volatile Uberblock lastUberblock;
    private volatile MultihostWriter heartbeat;
    private int rotor;
    private long rotorBytes;

    private final Deque<PoolEvent> events = new ArrayDeque<>();

    /** A dataset of the namespace; its object set is opened on first use. */
    private static final class DatasetEntry {
        final String name;
        final long id;
        final long createTxg;
        volatile BlockPointer bp;
        volatile ObjectSet os;

        DatasetEntry(String name, long id, long createTxg, BlockPointer bp, ObjectSet os) {
            this.name = name;
            this.id = id;
            this.createTxg = createTxg;
            this.bp = bp;
            this.os = os;
        }
    }

    /**
     * Builds a pool over an assembled vdev tree whose devices are attached.
     * The directory is {@code null} for a new pool.
     */
    Spa(String name, long guid, HostIdentity host, Vdev root, PoolDirectory directory, BlockPointer directoryBp,
        long syncedTxg, Map<String, String> properties, boolean readOnly, long ioTimeoutMillis,
        Consumer<Spa> onGone) {
        this.name = name;
        this.guid = guid;
        this.host = host;
        this.root = root;
        this.readOnly = readOnly;
        this.onGone = onGone;
        this.props = Collections.synchronizedMap(new LinkedHashMap<>(PoolDefaults.properties()));
        this.props.putAll(properties);
        this.io = new IoPipeline(name, root, ioTimeoutMillis,
                new BlockCache(PoolDefaults.BLOCK_CACHE_BYTES));
        this.txgs = new TxgManager(name, syncedTxg, this, this, new Limits());
        this.io.onFault((leaf, why) -> event("vdev-faulted", leaf.path() + " " + why));
        int tops = root.topLevel().size();
        this.chunkBps = new BlockPointer[tops][];
        for (int v = 0; v < tops; v++) {
            chunkBps[v] = new BlockPointer[root.topLevel().get(v).spaceMap().chunkCount()];
            Arrays.fill(chunkBps[v], BlockPointer.HOLE);
        }
        this.directoryBp = directoryBp == null ? BlockPointer.HOLE : directoryBp;
        if (directory == null) {
            nextDatasetId = 1;
            root.topLevel().forEach(t -> t.spaceMap().markAllDirty());
            configDirty = true;
        } else {
            loadDirectory(directory);
            configDirty = !readOnly;
        }
    }

    private void loadDirectory(PoolDirectory dir) {
        props.putAll(dir.properties());
        nextDatasetId = dir.nextDatasetId();
        for (DatasetRecord r : dir.datasets()) {
            datasets.put(r.name(), new DatasetEntry(r.name(), r.id(), r.createTxg(), r.objsetBp(), null));
        }
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
    }

    /** Starts the sync thread and makes the pool usable; an imported pool says so in its events. */
    void activate() {
        activate(true);
    }

    void activate(boolean imported) {
        synchronized (stateLock) {
            checkStillImporting();
        }
        txgs.start();
        if (!readOnly) {
            heartbeat = new MultihostWriter(name, io, this::activeLeaves, () -> lastUberblock,
                    mmpSequence, () -> "on".equals(prop(PoolProperty.MULTIHOST)) && state != PoolState.EXPORTED,
                    why -> {
                        event("multihost-failed", why);
                        // another host may soon import the pool: stop writing it (failmode=export force-exports)
                        txgs.suspend(new TarnException(ErrorCode.IO_ERROR, "multihost heartbeats failed: " + why
                                + "; another host may import this pool"));
                    });
            heartbeat.start();
        }
        synchronized (stateLock) {
            if (state != PoolState.IMPORTING) {
                // force-exported while starting: that export stopped nothing it did not see yet
                stopHeartbeat();
                checkStillImporting();
            }
            state = PoolState.ACTIVE;
        }
        if (imported) {
            event("imported", readOnly ? "read-only at txg " + txgs.syncedTxg() : "at txg " + txgs.syncedTxg());
        }
    }

    /** Throws the force export's reason if one came in while this pool was being imported. */
    private void checkStillImporting() {
        if (state != PoolState.IMPORTING) {
            TarnException dead = deadReason;
            throw new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + name + "' was force-exported while it was "
                    + "being imported" + (dead == null ? "" : ": " + detail(dead)));
        }
    }

    // ---- identity and state ------------------------------------------------

    @Override
    public String name() {
        return name;
    }

    @Override
    public long guid() {
        return guid;
    }

    @Override
    public PoolState state() {
        return state;
    }

    @Override
    public Health health() {
        if (state == PoolState.SUSPENDED) {
            return Health.SUSPENDED;
        }
        VdevState s = root.state();
        return switch (s) {
            case ONLINE -> Health.ONLINE;
            case DEGRADED -> Health.DEGRADED;
            default -> Health.FAULTED;
        };
    }

    @Override
    public long syncedTxg() {
        return txgs.syncedTxg();
    }

    @Override
    public long openTxg() {
        return txgs.openTxg();
    }

    @Override
    public long dirtyBytes() {
        return txgs.totalDirty();
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public long sizeBytes() {
        long sum = 0;
        for (Vdev t : root.topLevel()) {
            sum += t.spaceMap().capacityBytes();
        }
        return sum;
    }

    @Override
    public long allocatedBytes() {
        long sum = 0;
        for (Vdev t : root.topLevel()) {
            sum += t.spaceMap().allocatedBytes();
        }
        return sum;
    }

    public Instant importedAt() {
        return importedAt;
    }

    public long lastSyncMillis() {
        return txgs.lastSyncMillis();
    }

    public HostIdentity host() {
        return host;
    }

    /** The root of the runtime vdev tree (engine-internal). */
    public Vdev rootVdev() {
        return root;
    }

    @Override
    public VdevStatus vdevTree() {
        return root.status();
    }

    @Override
    public List<PoolEvent> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    void event(String type, String detail) {
        PoolEvent e = new PoolEvent(Instant.now(), type, detail);
        synchronized (events) {
            events.addLast(e);
            while (events.size() > PoolDefaults.EVENT_HISTORY) {
                events.removeFirst();
            }
        }
        LOG.info("pool '{}': {} {}", name, type, detail);
        eventSink.accept(this, e);
    }

    /** Where events go besides the history (the namespace's listeners). */
    void eventSink(BiConsumer<Spa, PoolEvent> sink) {
        this.eventSink = sink;
    }

    // ---- properties --------------------------------------------------------

    @Override
    public Map<String, String> properties() {
        synchronized (props) {
            return new LinkedHashMap<>(props);
        }
    }

    @Override
    public void setProperty(String property, String value) {
        checkReadable();
        if (readOnly) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + name + "' is imported read-only");
        }
        String normalized = PoolProperties.validate(property, value);
        props.put(property, normalized);
        configDirty = true;
        directoryChanges.add(txgs.openTxg());
    }

    private String prop(String key) {
        return props.getOrDefault(key, PoolDefaults.defaultOf(key));
    }

    private long longProp(String key) {
        return Long.parseLong(prop(key));
    }

    private final class Limits implements TxgManager.Limits {
        @Override
        public long txgDirtyLimitBytes() {
            return longProp(PoolProperty.TXG_DIRTY_LIMIT_BYTES);
        }

        @Override
        public long txgTimeoutMillis() {
            return longProp(PoolProperty.TXG_TIMEOUT_MILLIS);
        }

        @Override
        public long dirtyMaxBytes() {
            return longProp(PoolProperty.DIRTY_MAX_BYTES);
        }

        @Override
        public boolean failFastWhenSuspended() {
            return !"wait".equals(prop(PoolProperty.FAILMODE));
        }
    }

    // ---- DmuHost -----------------------------------------------------------

    @Override
    public Pool pool() {
        return this;
    }

    @Override
    public long txgOf(Transaction tx) {
        checkReadable();
        return txgs.txgOf(tx);
    }

    @Override
    public void checkReadable() {
        TarnException dead = deadReason;
        if (dead != null) {
            throw new TarnException(dead.code(), detail(dead));
        }
    }

    @Override
    public void checkWritable(long bytes) {
        checkReadable();
        if (readOnly) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + name + "' is imported read-only");
        }
        if (state == PoolState.SUSPENDED && !"wait".equals(prop(PoolProperty.FAILMODE))) {
            throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + name + "' is suspended: "
                    + (txgs.lastFailure() == null ? "" : txgs.lastFailure().getMessage()) + "; run clear when the devices work");
        }
        long usable = (long) (sizeBytes() * (1 - PoolDefaults.SLOP_FRACTION));
        // dirty data drags metadata along when it syncs (indirect blocks, dnode blocks, space maps):
        // reserve for it, so that a write the pool admits always fits when its group syncs
        long dirty = txgs.totalDirty() + bytes;
        long worstCase = dirty * PoolDefaults.SYNC_SPACE_FACTOR + spaceMapReserveBytes();
        if (allocatedBytes() + worstCase > usable) {
            throw new TarnException(ErrorCode.NO_SPACE, "pool '" + name + "' is out of space: "
                    + allocatedBytes() + " of " + usable + " usable bytes allocated; free objects or add devices");
        }
    }

    /** Room for one rewrite of every space-map chunk and the directory, which every sync may need. */
    private long spaceMapReserveBytes() {
        long chunks = 0;
        for (BlockPointer[] c : chunkBps) {
            chunks += c.length;
        }
        return chunks * SpaceMap.CHUNK_BYTES * 2 + 64 * 1024;
    }

    @Override
    public int recordSizeBytes() {
        return Integer.parseInt(prop(PoolProperty.RECORD_SIZE_BYTES));
    }

    @Override
    public void closed(DatasetHandle handle) {
        handles.remove(handle);
    }

    private final BlockReader reader = this::readBlock;

    private final ObjectSet.DirtyListener dirtyListener = this::objsetDirtied;

    private ByteBuffer readBlock(BlockPointer bp, boolean metadata) {
        return io.read(bp, metadata);
    }

    private void objsetDirtied(long txg, ObjectSet os, long bytes) {
        txgs.addDirty(txg, bytes);
    }

    // ---- datasets ----------------------------------------------------------

    @Override
    public List<String> datasets() {
        checkReadable();
        synchronized (nsLock) {
            return List.copyOf(datasets.keySet());
        }
    }

    @Override
    public void createDataset(String dataset) {
        if (dataset == null || !DATASET_NAME.matcher(dataset).matches()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "invalid dataset name '" + dataset
                    + "': use letters, digits and _.:- (up to 255 characters)");
        }
        try (Transaction tx = begin()) {
            checkWritable(0);
            synchronized (nsLock) {
                if (datasets.containsKey(dataset)) {
                    throw new TarnException(ErrorCode.EXISTS, "dataset '" + dataset + "' already exists in pool '"
                            + name + "'");
                }
                long id = nextDatasetId++;
                ObjectSet os = ObjectSet.create(id, reader, dirtyListener);
                datasets.put(dataset, new DatasetEntry(dataset, id, tx.txg(), BlockPointer.HOLE, os));
                directoryChanges.add(tx.txg());
            }
        }
    }

    @Override
    public void destroyDataset(String dataset) {
        try (Transaction tx = begin()) {
            synchronized (nsLock) {
                DatasetEntry e = datasets.get(dataset);
                if (e == null) {
                    throw notFound(dataset);
                }
                List<String> holders = new ArrayList<>();
                for (DatasetHandle h : handles) {
                    if (h.name().equals(dataset)) {
                        holders.add(h.holder());
                    }
                }
                if (!holders.isEmpty()) {
                    throw new TarnException(ErrorCode.BUSY, "dataset '" + dataset + "' of pool '" + name
                            + "' is open (by " + String.join(", ", holders) + "); close it first");
                }
                datasets.remove(dataset);
                destroyed.computeIfAbsent(tx.txg(), t -> new ArrayList<>()).add(e);
                directoryChanges.add(tx.txg());
            }
        }
    }

    private TarnException notFound(String dataset) {
        return new TarnException(ErrorCode.NOT_FOUND, "pool '" + name + "' has no dataset '" + dataset + "'");
    }

    @Override
    public Dataset openDataset(String dataset) {
        checkReadable();
        if (state == PoolState.EXPORTING) {
            throw new TarnException(ErrorCode.BUSY, "pool '" + name + "' is being exported; no new handles");
        }
        DatasetEntry e;
        synchronized (nsLock) {
            e = datasets.get(dataset);
        }
        if (e == null) {
            throw notFound(dataset);
        }
        ObjectSet os = e.os;
        if (os == null) {
            ObjectSet loaded = ObjectSet.open(e.bp, reader, dirtyListener);
            synchronized (nsLock) {
                if (e.os == null) {
                    e.os = loaded;
                }
                os = e.os;
            }
        }
        DatasetHandle h = new DatasetHandle(dataset, os, this);
        handles.add(h);
        if (state == PoolState.EXPORTING) {
            handles.remove(h);
            throw new TarnException(ErrorCode.BUSY, "pool '" + name + "' is being exported; no new handles");
        }
        checkReadable();
        return h;
    }

    /** Open handles, for "busy" messages. */
    public List<DatasetHandle> openHandles() {
        return List.copyOf(handles);
    }

    // ---- transactions ------------------------------------------------------

    @Override
    public Transaction begin() {
        checkReadable();
        if (readOnly) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + name + "' is imported read-only");
        }
        if (state == PoolState.EXPORTING) {
            throw new TarnException(ErrorCode.BUSY, "pool '" + name + "' is being exported; no new transactions");
        }
        return txgs.begin();
    }

    @Override
    public void sync() {
        checkReadable();
        if (readOnly) {
            return;
        }
        txgs.syncNow();
    }

    // ---- syncing -----------------------------------------------------------

    @Override
    public boolean hasChanges(long txg) {
        if (readOnly) {
            return false;
        }
        if (configDirty || directoryChanges.contains(txg) || destroyed.containsKey(txg)) {
            return true;
        }
        synchronized (nsLock) {
            for (DatasetEntry e : datasets.values()) {
                ObjectSet os = e.os;
                if (os != null && os.isDirty(txg)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void syncTxg(long txg) {
        if (readOnly) {
            return;
        }
        int retries = root.topLevel().size();
        while (true) {
            int writableBefore = writableTopLevels();
            SyncRun run = new SyncRun(txg);
            try {
                run.execute();
                return;
            } catch (TarnException e) {
                run.undo();
                if (e.code() == ErrorCode.POOL_EXPORTED) {
                    throw e;
                }
                int writableNow = writableTopLevels();
                if (writableNow > 0 && writableNow < writableBefore && retries-- > 0) {
                    LOG.warn("pool '{}': txg {} failed on a top-level vdev, retrying on the {} others: {}",
                            name, txg, writableNow, e.getMessage());
                    continue;
                }
                throw e;
            }
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
                if (k > 0 || rotorBytes >= ROTOR_BYTES) {
                    rotor = (idx + 1) % tops.size();
                    rotorBytes = 0;
                }
                return new long[] {idx, off};
            }
        }
        throw new TarnException(writableTopLevels() == 0 ? ErrorCode.IO_ERROR : ErrorCode.NO_SPACE,
                writableTopLevels() == 0
                        ? "pool '" + name + "': no top-level vdev can take writes"
                        : "pool '" + name + "': no free space for a block of " + size + " bytes");
    }

    /** The writes, allocations and frees of one attempt to sync a group. */
    private final class SyncRun implements SyncContext {
        private final long txg;
        private final ChecksumType checksum = ChecksumType.byPropertyValue(prop(PoolProperty.CHECKSUM));
        private final List<long[]> allocations = new ArrayList<>();
        private final List<DeferredFree> frees = new ArrayList<>();
        private final List<DeferredFree> released = new ArrayList<>();
        private final List<CompletableFuture<Void>> writes = new ArrayList<>();
        private final List<ObjectSet> synced = new ArrayList<>();
        private final Map<DatasetEntry, BlockPointer> newBps = new HashMap<>();

        /** Adjacent blocks waiting to go out as one device write. */
        private ByteBuffer run;
        private int runVdev = -1;
        private long runOffset;

        SyncRun(long txg) {
            this.txg = txg;
        }

        /**
         * Queues a block for writing, merged with the blocks before it while
         * they are adjacent on the same top-level vdev: the allocator hands
         * out space sequentially, so a sync turns into few large writes.
         */
        private void coalesce(int vdev, long offset, ByteBuffer data) {
            if (run != null && (vdev != runVdev || offset != runOffset + run.position()
                    || run.remaining() < data.remaining())) {
                flushRun();
            }
            if (data.remaining() >= RUN_BYTES) {
                writes.add(io.writeExtent(vdev, offset, data));
                return;
            }
            if (run == null) {
                run = ByteBuffer.allocateDirect(RUN_BYTES);
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
            List<DatasetEntry> live;
            List<DatasetEntry> gone;
            synchronized (nsLock) {
                live = new ArrayList<>(datasets.values());
                gone = new ArrayList<>(destroyed.getOrDefault(txg, List.of()));
            }
            // 1. object sets
            for (DatasetEntry e : live) {
                ObjectSet os = e.os;
                if (os != null && os.isDirty(txg)) {
                    newBps.put(e, os.sync(this));
                    synced.add(os);
                }
            }
            for (DatasetEntry e : gone) {
                ObjectSet os = e.os;
                if (os == null && !e.bp.isHole()) {
                    os = ObjectSet.open(e.bp, reader, dirtyListener);
                }
                if (os != null) {
                    os.discardAll();
                    if (!os.committedBp().isHole()) {
                        os.freeAll(this);
                    }
                }
            }
            // 2. frees that have waited long enough
            for (List<DeferredFree> due : deferred.headMap(txg - PoolDefaults.FREE_DEFER_TXGS, true).values()) {
                for (DeferredFree f : due) {
                    root.topLevel().get(f.vdev()).spaceMap().free(f.offset(), f.sizeBytes());
                    released.add(f);
                }
            }
            // 3. the directory's block, sized for the worst case, then the space maps
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
            BlockPointer[][] newChunks = new BlockPointer[chunkBps.length][];
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
            BlockPointer newDirBp = writeAt(dirAt, dirData.clear(), BlockType.DIRECTORY);
            flushRun();
            for (CompletableFuture<Void> w : writes) {
                io.await(w);
            }
            List<Vdev> leaves = activeLeaves();
            if (!leaves.isEmpty() && io.flush(leaves).size() == leaves.size()) {
                throw new TarnException(ErrorCode.IO_ERROR, "pool '" + name + "': every device failed to flush");
            }
            // 5. labels and uberblocks
            writeLabels(txg, newDirBp);
            commit(newChunks, newDirBp);
        }

        /** The directory as it will be after this group; {@code spareFrees} reserves room for more frees. */
        private PoolDirectory directory(BlockPointer[][] chunks, int spareFrees) {
            List<DatasetRecord> records = new ArrayList<>();
            synchronized (nsLock) {
                for (DatasetEntry e : datasets.values()) {
                    BlockPointer bp = newBps.getOrDefault(e, e.bp);
                    if (!bp.isHole()) {
                        records.add(new DatasetRecord(e.name, e.id, bp, e.createTxg));
                    }
                }
            }
            List<List<BlockPointer>> maps = new ArrayList<>();
            for (BlockPointer[] c : chunks) {
                maps.add(List.of(c));
            }
            List<DeferredFree> pending = new ArrayList<>();
            for (Map.Entry<Long, List<DeferredFree>> e : deferred.entrySet()) {
                if (e.getKey() > txg - PoolDefaults.FREE_DEFER_TXGS) {
                    pending.addAll(e.getValue());
                }
            }
            pending.addAll(frees);
            for (int i = 0; i < spareFrees; i++) {
                pending.add(new DeferredFree(Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE));
            }
            return new PoolDirectory(txg, properties(), nextDatasetIdSnapshot(), records, maps, pending);
        }

        private void commit(BlockPointer[][] newChunks, BlockPointer newDirBp) {
            for (ObjectSet os : synced) {
                os.commit(txg);
            }
            for (Map.Entry<DatasetEntry, BlockPointer> e : newBps.entrySet()) {
                e.getKey().bp = e.getValue();
            }
            TreeMap<Long, List<DeferredFree>> next = new TreeMap<>(deferred.tailMap(
                    txg - PoolDefaults.FREE_DEFER_TXGS, false));
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
            root.topLevel().forEach(t -> t.spaceMap().clearDirty());
            synchronized (nsLock) {
                destroyed.remove(txg);
            }
            directoryChanges.removeIf(t -> t <= txg);
        }

        void undo() {
            for (int i = allocations.size() - 1; i >= 0; i--) {
                long[] a = allocations.get(i);
                root.topLevel().get((int) a[0]).spaceMap().free(a[1], (int) a[2]);
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

    private long nextDatasetIdSnapshot() {
        synchronized (nsLock) {
            return nextDatasetId;
        }
    }

    private List<Vdev> activeLeaves() {
        List<Vdev> out = new ArrayList<>();
        for (Vdev leaf : root.leaves()) {
            if (leaf.device() != null && leaf.state() == VdevState.ONLINE) {
                out.add(leaf);
            }
        }
        return out;
    }

    /**
     * Writes configs (when changed) and the uberblock of the group being
     * synced, in the crash-safe order; succeeds when at least one device took
     * the uberblock.
     */
    private void writeLabels(long txg, BlockPointer dirBp) {
        boolean withConfig = configDirty;
        PoolLabelState stateToWrite = labelState;
        List<Vdev> leaves = activeLeaves();
        // each leaf's config is encoded once, for its even and its odd labels; the tree is built once
        Map<Vdev, ByteBuffer> areas = new ConcurrentHashMap<>();
        VdevConfig tree = withConfig ? VdevConfigs.toConfig(root) : null;
        Function<Vdev, ByteBuffer> area = leaf -> areas.computeIfAbsent(leaf,
                l -> LabelWriter.configArea(l.device().sizeBytes(), labelConfig(l, txg, stateToWrite, tree)));
        if (withConfig) {
            labelPass(leaves, leaf -> LabelWriter.configWrites(leaf.device().sizeBytes(), area.apply(leaf),
                    LabelSet.EVEN));
            io.flush(leaves);
        }
        Uberblock ub = new Uberblock(txg, System.currentTimeMillis(), root.guidSum(), dirBp,
                mmpSequence.incrementAndGet(), LabelConfig.FORMAT_VERSION);
        int ok = labelPass(activeLeaves(), leaf -> LabelWriter.uberblockWrites(leaf.device().sizeBytes(), ub));
        if (ok == 0) {
            throw new TarnException(ErrorCode.IO_ERROR, "pool '" + name + "': no device took the uberblock of txg "
                    + txg);
        }
        if (withConfig) {
            // the uberblocks must be durable before the odd labels change
            io.flush(activeLeaves());
            labelPass(activeLeaves(), leaf -> LabelWriter.configWrites(leaf.device().sizeBytes(), area.apply(leaf),
                    LabelSet.ODD));
        }
        List<Vdev> flushed = activeLeaves();
        if (io.flush(flushed).size() == flushed.size()) {
            throw new TarnException(ErrorCode.IO_ERROR, "pool '" + name + "': every device failed to flush txg " + txg);
        }
        if (withConfig && stateToWrite == labelState) {
            configDirty = false;
        }
        lastUberblock = ub;
    }

    /** Runs one set of label writes on every leaf; returns how many leaves took all of theirs. */
    private int labelPass(List<Vdev> leaves, Function<Vdev, List<DeviceWrite>> plan) {
        Map<Vdev, List<CompletableFuture<Void>>> byLeaf = new LinkedHashMap<>();
        for (Vdev leaf : leaves) {
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (DeviceWrite w : plan.apply(leaf)) {
                fs.add(io.writeLeaf(leaf, w.offset(), w.data()));
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
                        event("vdev-faulted", e.getKey().path() + " label write error: " + ex.getMessage());
                    }
                }
            }
            if (all) {
                ok++;
            }
        }
        return ok;
    }

    LabelConfig labelConfig(Vdev leaf, long txg, PoolLabelState st) {
        return labelConfig(leaf, txg, st, VdevConfigs.toConfig(root));
    }

    private LabelConfig labelConfig(Vdev leaf, long txg, PoolLabelState st, VdevConfig tree) {
        return new LabelConfig(name, guid, leaf.guid(), topOf(leaf).guid(), st, host.hostId(), host.hostname(),
                txg, LabelConfig.FORMAT_VERSION, properties(), tree);
    }

    /**
     * Refuses a pool whose config does not fit in a label (every label holds
     * the whole vdev tree, so this bounds the number of devices).
     */
    void checkLabelFits() {
        LabelConfig c = labelConfig(root.leaves().get(0), txgs.syncedTxg(), PoolLabelState.ACTIVE);
        try {
            Label.encodeConfig(c);
        } catch (IllegalArgumentException e) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + name + "' has " + root.leaves().size()
                    + " devices: " + e.getMessage() + "; split the devices over several pools");
        }
    }

    private static Vdev topOf(Vdev leaf) {
        Vdev v = leaf;
        while (v.parent() != null && v.parent().kind() != Vdev.Kind.ROOT) {
            v = v.parent();
        }
        return v;
    }

    // ---- suspension --------------------------------------------------------

    @Override
    public void suspended(long txg, TarnException cause) {
        synchronized (stateLock) {
            if (state == PoolState.EXPORTED) {
                return;
            }
            if (state == PoolState.ACTIVE) {
                state = PoolState.SUSPENDED;
            }
        }
        // the cause says what failed: a sync of this txg, or (multihost) the heartbeat
        event("suspended", "at txg " + txg + ": " + detail(cause));
        if ("export".equals(prop(PoolProperty.FAILMODE))) {
            Thread t = new Thread(() -> forceExportIfImported("failmode=export after: " + cause.getMessage()),
                    "tarn-" + name + "-failmode-export");
            t.setDaemon(true);
            t.start();
        }
    }

    @Override
    public void resumed(long txg) {
        synchronized (stateLock) {
            if (state == PoolState.SUSPENDED) {
                state = PoolState.ACTIVE;
            }
        }
        event("resumed", "txg " + txg + " synced");
    }

    @Override
    public void clear() {
        checkReadable();
        root.clear();
        txgs.resume();
    }

    // ---- export ------------------------------------------------------------

    /**
     * Exports cleanly: refuses (or, with {@code force}, closes) open handles,
     * syncs, writes EXPORTED to every label and releases the devices.
     */
    public void export(boolean force) {
        export(force, PoolLabelState.EXPORTED);
    }

    /** Destroys: a clean {@link #export} that writes DESTROYED to every label instead. */
    public void destroy(boolean force) {
        export(force, PoolLabelState.DESTROYED);
    }

    /**
     * The clean export of {@link #export} and {@link #destroy}, which differ
     * only in the label state written last; a force export shares none of it
     * (it writes nothing, see {@link #forceExport}).
     */
    private void export(boolean force, PoolLabelState finalState) {
        synchronized (stateLock) {
            checkReadable();
            if (state == PoolState.EXPORTING || state == PoolState.IMPORTING) {
                throw new TarnException(ErrorCode.IN_PROGRESS, "pool '" + name + "': "
                        + state.name().toLowerCase() + " already in progress");
            }
            if (state == PoolState.SUSPENDED) {
                throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + name + "' is suspended and cannot "
                        + "sync: clear it once its devices work, or force-export it");
            }
            List<DatasetHandle> open = openHandles();
            if (!open.isEmpty() && !force) {
                List<String> who = new ArrayList<>();
                open.forEach(h -> who.add(h.name() + " (" + h.holder() + ")"));
                throw new TarnException(ErrorCode.BUSY, "pool '" + name + "' has open datasets: "
                        + String.join(", ", who) + "; close them or export with force");
            }
            state = PoolState.EXPORTING;
        }
        int open = openHandles().size();
        event("exporting", open == 0 ? "no open datasets" : "closing " + open + " open dataset handle(s)");
        if (force) {
            openHandles().forEach(DatasetHandle::close);
        }
        if (!readOnly) {
            labelState = finalState;
            configDirty = true;
            directoryChanges.add(txgs.openTxg());
        }
        try {
            txgs.stopClean();
        } catch (TarnException e) {
            synchronized (stateLock) {
                if (state == PoolState.EXPORTING) {
                    labelState = PoolLabelState.ACTIVE;
                    state = txgs.suspended() ? PoolState.SUSPENDED : PoolState.ACTIVE;
                    throw e;
                }
            }
            throw forcedDuringExport();
        }
        synchronized (stateLock) {
            if (state != PoolState.EXPORTING) {
                throw forcedDuringExport();
            }
            state = PoolState.EXPORTED;
            deadReason = new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + name + "' was exported");
        }
        stopHeartbeat();
        io.abandon(deadReason);
        root.leaves().forEach(Vdev::detach);
        event(finalState == PoolLabelState.DESTROYED ? "destroyed" : "exported", "at txg " + txgs.syncedTxg());
        onGone.accept(this);
    }

    /**
     * Force-exports in bounded time whatever the devices do: discards
     * unsynced changes, fails every waiter and handle, writes nothing, and
     * closes the devices without waiting for them.
     */
    public void forceExport(String reason) {
        TarnException dead;
        synchronized (stateLock) {
            if (state == PoolState.EXPORTED) {
                throw new TarnException(ErrorCode.POOL_NOT_FOUND, "pool '" + name + "' is already exported");
            }
            state = PoolState.EXPORTED;
            dead = new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + name + "' was force-exported ("
                    + reason + "); import it again to use it");
            deadReason = dead;
        }
        stopHeartbeat();
        io.abandon(dead);
        int aborted = txgs.abort(dead);
        synchronized (nsLock) {
            for (DatasetEntry e : datasets.values()) {
                if (e.os != null) {
                    e.os.discardAll();
                }
            }
        }
        handles.forEach(DatasetHandle::invalidate);
        handles.clear();
        detachAll();
        event("force-exported", reason + "; last synced txg " + txgs.syncedTxg() + ", " + aborted
                + " commit callbacks aborted");
        onGone.accept(this);
    }

    /** The error a clean export reports when a force export overtook it. */
    private TarnException forcedDuringExport() {
        TarnException dead = deadReason;
        return new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + name + "': the export was overtaken by a "
                + "force export" + (dead == null ? "" : " (" + detail(dead) + ")"));
    }

    /** An error's message without its code tag, to quote it inside another. */
    private static String detail(TarnException e) {
        return e.getMessage().substring(e.code().tag().length() + 1);
    }

    private void stopHeartbeat() {
        if (heartbeat != null) {
            heartbeat.close();
        }
    }

    /** Force-exports unless an operator (or another failure) already exported the pool. */
    private void forceExportIfImported(String reason) {
        try {
            forceExport(reason);
        } catch (TarnException alreadyGone) {
            LOG.debug("pool '{}': {}", name, alreadyGone.getMessage());
        }
    }

    /** Closes every device on a helper thread so a hung device cannot stall the caller. */
    private void detachAll() {
        List<Vdev> leaves = root.leaves();
        Thread closer = new Thread(() -> leaves.forEach(Vdev::detach), "tarn-" + name + "-close");
        closer.setDaemon(true);
        closer.start();
    }

    public TarnException deadReason() {
        return deadReason;
    }

    @Override
    public String toString() {
        return "pool '" + name + "' (" + state + ")";
    }
}
