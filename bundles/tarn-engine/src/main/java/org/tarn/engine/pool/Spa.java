package org.tarn.engine.pool;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.DataError;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.PropertySource;
import org.tarn.api.Health;
import org.tarn.api.HistoryEntry;
import org.tarn.api.IoStats;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.ScanStatus;
import org.tarn.api.SyncTimes;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.api.VdevState;
import org.tarn.api.VdevLayout;
import org.tarn.api.VdevStatus;
import org.tarn.engine.EngineDefaults;
import org.tarn.engine.HostIdentity;
import org.tarn.engine.dmu.BlockReader;
import org.tarn.engine.dmu.DatasetHandle;
import org.tarn.engine.dmu.DmuHost;
import org.tarn.engine.dmu.PoolDirectory;
import org.tarn.engine.io.BlockCache;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.NvList;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.mmp.MultihostWriter;
import org.tarn.engine.mmp.RemoteActivity;
import org.tarn.engine.txg.SyncTimeHistogram;
import org.tarn.engine.txg.TxgManager;
import org.tarn.engine.vdev.SpaceMap;
import org.tarn.engine.vdev.Vdev;

/**
 * One imported pool: the storage pool allocator (SPA).
 *
 * <h2>Theory of operation</h2>
 * A pool is a vdev tree, an I/O pipeline over it, a transaction group
 * manager, its datasets ({@link DatasetDirectory}) and the sync that writes
 * its groups out ({@link SpaSync}). The newest uberblock points at the pool
 * directory (properties, datasets, space maps, deferred frees); everything
 * else hangs off it.
 *
 * <p>Lifecycle: IMPORTING until {@link #activate} starts the sync thread and
 * the multihost heartbeat, then ACTIVE; SUSPENDED while a sync fails (per
 * {@code failmode}, until {@link #clear}); EXPORTING during a clean export;
 * EXPORTED for good. Every way out — export, destroy, force export — runs
 * {@link #exportCommon}, one routine whose strengths say which steps they
 * skip (OpenZFS {@code spa_export_common(state, force, hardforce)}).
 *
 * <p>Locks: {@code stateLock} guards the state transitions and is never held
 * across device I/O or a wait; the dataset namespace has its own monitor
 * (same rule); the space maps and directory state are owned by the sync
 * thread. Force export takes no lock that I/O could hold.
 */
public final class Spa implements Pool, DmuHost, TxgManager.SuspendListener {
    private static final Logger LOG = LoggerFactory.getLogger(Spa.class);

    /** Told once, when the pool has left this process. */
    interface Departure {
        /**
         * @param forced whether it was force-exported (nothing written) rather than exported or destroyed
         * @param reason the force export's reason; empty for a clean export
         */
        void departed(Spa spa, boolean forced, String reason);
    }

    private final String name;
    private final long guid;
    private final HostIdentity host;
    private final Vdev root;
    private final IoPipeline io;
    private final TxgManager txgs;
    private final DatasetDirectory datasets;
    private final SpaSync sync;
    private final boolean readOnly;
    private final Departure onGone;
    private volatile BiConsumer<Spa, PoolEvent> eventSink = (spa, e) -> { };
    private final Map<String, String> props;
    /** The names of the properties set on this pool (at create or with set); the others are defaults. Guarded by props. */
    private final java.util.Set<String> localProps = new java.util.TreeSet<>();
    private final ReadPins pins = new ReadPins();

    private final Object stateLock = new Object();
    private volatile PoolState state = PoolState.IMPORTING;
    private volatile TarnException deadReason;
    private final Instant importedAt = Instant.now();
    private final SyncTimeHistogram syncTimes = new SyncTimeHistogram();
    private volatile MultihostWriter heartbeat;

    private final Deque<PoolEvent> events = new ArrayDeque<>();
    private final History history;
    private final Scan scan;
    private final VdevOps ops;

    /**
     * Builds a pool over an assembled vdev tree whose devices are attached.
     * The directory is {@code null} for a new pool.
     */
    Spa(String name, long guid, HostIdentity host, Vdev root, PoolDirectory directory, BlockPointer directoryBp,
        long syncedTxg, boolean readOnly, long ioTimeoutMillis, Departure onGone) {
        this.name = name;
        this.guid = guid;
        this.host = host;
        this.root = root;
        this.readOnly = readOnly;
        this.onGone = onGone;
        this.props = Collections.synchronizedMap(new LinkedHashMap<>(EngineDefaults.properties()));
        this.io = new IoPipeline(name, root, ioTimeoutMillis, new BlockCache(EngineDefaults.BLOCK_CACHE_BYTES));
        BlockReader reader = new BlockReader() {
            @Override
            public ByteBuffer read(BlockPointer bp, boolean metadata) {
                return io.read(bp, metadata);
            }

            @Override
            public Pin pin() {
                return pins.pin(txgs.syncedTxg());
            }
        };
        this.datasets = new DatasetDirectory(name, reader, (txg, os, bytes) -> dirtied(txg, bytes));
        this.sync = new SpaSync(this, root, io, datasets, pins, directoryBp);
        this.txgs = new TxgManager(name, syncedTxg, sync, this, new Limits());
        this.io.onFault((leaf, why) -> event("vdev-faulted", leaf.path() + " " + why));
        this.history = new History(host.hostname());
        this.scan = new Scan(new ScanHost());
        this.ops = new VdevOps(this, root, scan, ioTimeoutMillis);
        sync.lifecycle(new LifecycleHooks());
        if (directory == null) {
            sync.initNew();
        } else {
            props.putAll(directory.properties());
            if (directory.localProperties() != null) {
                localProps.addAll(directory.localProperties());
            } else {
                // written before the directory kept the sources: a value other than the default was set
                directory.properties().forEach((k, v) -> {
                    if (!v.equals(EngineDefaults.defaultOf(k))) {
                        localProps.add(k);
                    }
                });
            }
            datasets.load(directory);
            sync.load(directory, readOnly);
            scan.load(directory.scan());
            if (!directory.historyBp().isHole()) {
                try {
                    history.load(io.read(directory.historyBp(), true));
                } catch (TarnException e) {
                    LOG.warn("pool '{}': its history block cannot be read ({}); starting a new history", name,
                            e.getMessage());
                    history.logInternal("history lost: its block could not be read (" + e.getMessage() + ")");
                }
            }
        }
    }

    /** What the sync records for the device lifecycle: tree changes, scan state, history. */
    private final class LifecycleHooks implements SpaSync.Lifecycle {
        @Override
        public boolean applyConfigChanges(long txg) {
            return ops.applyQueued(txg);
        }

        @Override
        public boolean hasChanges() {
            return ops.hasQueued() || scan.changed();
        }

        @Override
        public NvList scanState(long txg) {
            return scan.record();
        }

        @Override
        public ByteBuffer historyBlock() {
            return history.block();
        }

        @Override
        public void committed(long txg, boolean historyWritten) {
            scan.recorded();
            if (historyWritten) {
                history.written();
            }
        }
    }

    /** What the scan needs from this pool. */
    private final class ScanHost implements Scan.Host {
        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean readOnly() {
            return readOnly;
        }

        @Override
        public IoPipeline io() {
            return io;
        }

        @Override
        public Vdev root() {
            return root;
        }

        @Override
        public long syncedTxg() {
            return txgs.syncedTxg();
        }

        @Override
        public BlockPointer directoryBp() {
            return sync.directoryBp();
        }

        @Override
        public BlockReader.Pin pin() {
            return pins.pin(txgs.syncedTxg());
        }

        @Override
        public long allocatedBytes() {
            return Spa.this.allocatedBytes();
        }

        @Override
        public int sharePercent() {
            return Integer.parseInt(prop(PoolProperty.SCAN_SHARE_PERCENT));
        }

        @Override
        public void event(String type, String detail) {
            Spa.this.event(type, detail);
        }

        @Override
        public void logInternal(String what) {
            history.logInternal(what);
        }

        @Override
        public void resilverDone() {
            ops.resilverDone();
        }
    }

    /** How the pool opens devices an operator names (attach, replace, online, add). */
    void deviceOpener(VdevOps.Opener opener) {
        ops.opener(opener);
    }

    /** Records a command in the pool's history. */
    void logCommand(String command) {
        if (!readOnly) {
            history.log(command);
        }
    }

    void logInternal(String what) {
        if (!readOnly) {
            history.logInternal(what);
        }
    }

    /** Has the queued tree changes synced (fails at once on a suspension rather than waiting for a clear). */
    void syncForChange(long waitMillis) {
        txgs.syncNow(true);
    }

    /** A new pool with its first properties. */
    void initialProperties(Map<String, String> properties) {
        synchronized (props) {
            props.putAll(properties);
            localProps.addAll(properties.keySet());
        }
    }

    /** The names of the properties set on this pool, sorted (what the directory keeps). */
    List<String> localProperties() {
        synchronized (props) {
            return List.copyOf(localProps);
        }
    }

    /** Starts the sync thread and makes the pool usable; an imported pool says so in its events. */
    void activate(boolean imported) {
        synchronized (stateLock) {
            checkStillImporting();
        }
        txgs.start();
        if (!readOnly) {
            heartbeat = new MultihostWriter(name, io, sync::activeLeaves, sync::lastUberblock,
                    sync.mmpSequence(), () -> "on".equals(prop(PoolProperty.MULTIHOST)) && state != PoolState.EXPORTED,
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

    /** Resumes the scan an imported pool recorded, or starts a resilver its devices need (after the first sync). */
    void startScans() {
        scan.resumeAfterImport();
    }

    /** Throws the force export's reason if one came in while this pool was being imported. */
    private void checkStillImporting() {
        if (state != PoolState.IMPORTING) {
            TarnException dead = deadReason;
            throw new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + name + "' was force-exported while it was "
                    + "being imported" + (dead == null ? "" : ": " + detail(dead)));
        }
    }

    /** Refuses a pool whose config does not fit in a label, before anything is written. */
    void checkLabelFits() {
        sync.checkLabelFits(txgs.syncedTxg());
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
    public SyncTimes syncTimes() {
        return syncTimes.snapshot();
    }

    /** Where {@link SpaSync} records the duration of each completed sync. */
    SyncTimeHistogram syncTimeHistogram() {
        return syncTimes;
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

    /** Writers now waiting for earlier groups to sync before their changes fit. */
    public int spaceWaiters() {
        return txgs.spaceWaiters();
    }

    HostIdentity host() {
        return host;
    }

    /** The root of the runtime vdev tree. */
    Vdev rootVdev() {
        return root;
    }

    @Override
    public VdevStatus vdevTree() {
        return root.status(ops::note);
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
            while (events.size() > EngineDefaults.EVENT_HISTORY) {
                events.removeFirst();
            }
        }
        LOG.info("pool '{}': {} {}", name, type, detail);
        eventSink.accept(this, e);
    }

    /**
     * Puts the pool's earlier events (of other imports of it, and from before
     * a restart) before what this instance has recorded so far.
     */
    void seedEvents(List<PoolEvent> earlier) {
        synchronized (events) {
            List<PoolEvent> own = List.copyOf(events);
            events.clear();
            events.addAll(earlier);
            events.addAll(own);
            while (events.size() > EngineDefaults.EVENT_HISTORY) {
                events.removeFirst();
            }
        }
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
    public Map<String, PropertySource> propertySources() {
        synchronized (props) {
            Map<String, PropertySource> out = new LinkedHashMap<>();
            props.keySet().forEach(k -> out.put(k, localProps.contains(k) ? PropertySource.LOCAL
                    : PropertySource.DEFAULT));
            return out;
        }
    }

    @Override
    public void setProperty(String property, String value) {
        checkReadable();
        if (readOnly) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + name + "' is imported read-only");
        }
        String normalized = PoolProperties.validate(property, value);
        synchronized (props) {
            props.put(property, normalized);
            localProps.add(property);
        }
        logCommand("set " + property + "=" + normalized + " " + name);
        sync.markConfigDirty();
        datasets.markChanged(txgs.openTxg());
    }

    String prop(String key) {
        return props.getOrDefault(key, EngineDefaults.defaultOf(key));
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

        @Override
        public long closeEarlyDirtyBytes() {
            // the open group's worst case may take half of what is free: the other half is for the next group
            return Math.max(1, freeForDirty() / (2 * EngineDefaults.SYNC_SPACE_FACTOR));
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

    /**
     * Admits {@code bytes} more of changes into group {@code txg}, or
     * refuses with {@code NO_SPACE} when the pool is really full. Unsynced
     * (dirty) data is reserved at its worst case, {@code SYNC_SPACE_FACTOR}
     * times what its sync allocates (the metadata it drags along), next to
     * the space-map reserve, so a write the pool admits always fits when its
     * group syncs. A shortfall that unsynced <em>earlier</em> groups cause is
     * no reason to refuse: the writer waits for them to land (bounded by
     * {@link EngineDefaults#SPACE_WAIT_MILLIS}, woken by force export) and
     * checks again against what they really allocated. Only when the groups
     * up to its own do not fit is the write refused.
     */
    @Override
    public void checkWritable(long txg, long bytes) {
        checkReadable();
        if (readOnly) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + name + "' is imported read-only");
        }
        if (state == PoolState.SUSPENDED && !"wait".equals(prop(PoolProperty.FAILMODE))) {
            throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + name + "' is suspended: "
                    + (txgs.lastFailure() == null ? "" : txgs.lastFailure().getMessage())
                    + "; run clear when the devices work");
        }
        long charge = bytes <= 0 ? 0 : (bytes + SpaceMap.UNIT_BYTES - 1) / SpaceMap.UNIT_BYTES * SpaceMap.UNIT_BYTES;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EngineDefaults.SPACE_WAIT_MILLIS);
        while (true) {
            long room = freeForDirty();
            long pending = txgs.totalDirty();
            if ((pending + charge) * EngineDefaults.SYNC_SPACE_FACTOR <= room) {
                return;
            }
            if (txgs.awaitEarlierGroups(txg, deadline, outOfSpace(pending))) {
                checkReadable();
                continue;
            }
            // later groups' writers wait for this one; only the groups up to this one must fit now
            long mine = txgs.dirtyUpTo(txg);
            if ((mine + charge) * EngineDefaults.SYNC_SPACE_FACTOR <= room) {
                return;
            }
            throw new TarnException(ErrorCode.NO_SPACE, outOfSpace(mine));
        }
    }

    private String outOfSpace(long pending) {
        return "pool '" + name + "' is out of space: " + allocatedBytes() + " of " + usableBytes()
                + " usable bytes allocated, " + pending + " bytes of unsynced changes reserved; "
                + "free objects or add devices";
    }

    /** Capacity less the slop that syncs keep free. */
    private long usableBytes() {
        return (long) (sizeBytes() * (1 - EngineDefaults.SLOP_FRACTION));
    }

    /** What unsynced changes may reserve: usable space less what is allocated and the space-map reserve. */
    private long freeForDirty() {
        return usableBytes() - allocatedBytes() - sync.spaceMapReserveBytes();
    }

    @Override
    public int recordSizeBytes() {
        return Integer.parseInt(prop(PoolProperty.RECORD_SIZE_BYTES));
    }

    @Override
    public void closed(DatasetHandle handle) {
        datasets.closed(handle);
    }

    private void dirtied(long txg, long bytes) {
        txgs.addDirty(txg, bytes);
    }

    // ---- datasets ----------------------------------------------------------

    @Override
    public List<String> datasets() {
        checkReadable();
        return datasets.names();
    }

    @Override
    public void createDataset(String dataset) {
        DatasetDirectory.checkName(dataset);
        try (Transaction tx = begin()) {
            checkWritable(tx.txg(), 0);
            datasets.create(dataset, tx.txg());
        }
    }

    @Override
    public void destroyDataset(String dataset) {
        try (Transaction tx = begin()) {
            datasets.destroy(dataset, tx.txg());
        }
    }

    @Override
    public Dataset openDataset(String dataset) {
        checkReadable();
        checkNotExporting("handles");
        DatasetHandle h = datasets.open(dataset, this);
        if (state == PoolState.EXPORTING) {
            datasets.closed(h);
            checkNotExporting("handles");
        }
        checkReadable();
        return h;
    }

    private void checkNotExporting(String what) {
        if (state == PoolState.EXPORTING) {
            throw new TarnException(ErrorCode.BUSY, "pool '" + name + "' is being exported; no new " + what);
        }
    }

    /** Open handles, for "busy" messages. */
    public List<DatasetHandle> openHandles() {
        return datasets.openHandles();
    }

    // ---- transactions ------------------------------------------------------

    @Override
    public Transaction begin() {
        checkReadable();
        if (readOnly) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + name + "' is imported read-only");
        }
        checkNotExporting("transactions");
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

    /**
     * As {@link #sync}, but a suspension ends the wait with {@code
     * POOL_SUSPENDED} whatever the failmode: for a create's or an import's
     * first sync, which must not wait for an operator's clear.
     */
    void syncOrFail() {
        checkReadable();
        if (!readOnly) {
            try {
                txgs.syncNow(true);
            } catch (TarnException e) {
                // a force export fails the outstanding I/O before it aborts the groups: the sync it ended may
                // see the pool suspend first; what ended it is the export
                checkReadable();
                throw e;
            }
        }
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
        MultihostWriter hb = heartbeat;
        if (hb != null && hb.paused()) {
            // suspended because its heartbeat stopped landing: another host may have taken the pool since
            Uberblock mine = sync.lastUberblock();
            if (mine != null) {
                RemoteActivity.refuseIfTaken(name, guid, io, sync.activeLeaves(), host.hostId(), mine);
            }
        }
        root.clear();
        txgs.resume();
        if (hb != null) {
            hb.resume();
        }
        if (!readOnly) {
            // cleared leaves take writes again; what they missed meanwhile (their DTLs) is copied now
            scan.resilverIfNeeded("devices were cleared");
        }
    }

    /** The multihost timing new uberblocks carry: this host's heartbeat's, while multihost is on. */
    Uberblock.Mmp mmpTiming() {
        MultihostWriter hb = heartbeat;
        return hb != null && "on".equals(prop(PoolProperty.MULTIHOST)) ? hb.timing() : Uberblock.Mmp.NONE;
    }

    // ---- export ------------------------------------------------------------

    /**
     * Exports cleanly ({@code zpool export}): refuses (or, with {@code force},
     * closes) open handles, syncs, writes EXPORTED to every label and
     * releases the devices.
     */
    public void export(boolean force) {
        exportCommon(PoolLabelState.EXPORTED, force, false, "");
    }

    /** Destroys ({@code zpool destroy}): a clean export that writes DESTROYED to every label instead. */
    public void destroy(boolean force) {
        exportCommon(PoolLabelState.DESTROYED, force, false, "");
    }

    /**
     * Force-exports in bounded time whatever the devices do: discards
     * unsynced changes, fails every waiter and handle, writes nothing, and
     * closes the devices without waiting for them.
     */
    public void forceExport(String reason) {
        exportCommon(null, true, true, reason);
    }

    /**
     * Takes the pool out of this process. The strengths:
     * <ul>
     * <li>{@code export}/{@code destroy} ({@code hardForce} false): refuse a
     *     pool already exporting or importing ({@code IN_PROGRESS}), a
     *     suspended one (it cannot sync) and, unless {@code force}, open
     *     handles; then stop new transactions, sync every group begun before
     *     (commit callbacks included) with {@code newState} in the labels, and
     *     close the devices. A failed sync leaves the pool imported as it
     *     was.</li>
     * <li>{@code force} additionally closes the open handles instead of
     *     refusing them.</li>
     * <li>{@code hardForce} (force export) skips every check but "already
     *     exported", the sync and every label write: it discards the dirty
     *     data (callbacks report ABORTED), fails every waiter and handle, and
     *     closes the devices on a helper thread, so it never waits for a
     *     device. It overtakes a clean export in progress, which then fails
     *     with {@code POOL_EXPORTED}.</li>
     * </ul>
     * Every strength ends in the same teardown: heartbeat stopped, outstanding
     * I/O abandoned ({@link #stopIo}), devices closed ({@link #closeDevices}),
     * the event, and the namespace told.
     */
    private void exportCommon(PoolLabelState newState, boolean force, boolean hardForce, String reason) {
        TarnException dead = hardForce ? beginHardForce(reason) : beginExport(force);
        // a scan stops at its last recorded bookmark; the next import resumes it from there
        scan.shutdown(hardForce ? 0 : EngineDefaults.SCAN_STOP_WAIT_MILLIS);
        if (hardForce) {
            stopIo(dead);
            int aborted = txgs.abort(dead);
            datasets.discardAndInvalidate();
            closeDevices(false);
            event("force-exported", reason + "; last synced txg " + txgs.syncedTxg() + ", " + aborted
                    + " commit callbacks aborted");
        } else {
            int open = openHandles().size();
            event("exporting", open == 0 ? "no open datasets" : "closing " + open + " open dataset handle(s)");
            if (force) {
                openHandles().forEach(DatasetHandle::close);
            }
            // reaches the disk with the export's own final sync (nothing is written after it)
            logCommand((newState == PoolLabelState.DESTROYED ? "destroy " : "export ") + (force ? "-f " : "")
                    + name);
            dead = syncFinalTxgs(newState);
            stopIo(dead);
            closeDevices(true);
            event(newState == PoolLabelState.DESTROYED ? "destroyed" : "exported", "at txg " + txgs.syncedTxg());
        }
        onGone.departed(this, hardForce, reason);
    }

    /** Force export's only check: the pool must still be here. Marks it EXPORTED at once. */
    private TarnException beginHardForce(String reason) {
        synchronized (stateLock) {
            if (state == PoolState.EXPORTED) {
                throw new TarnException(ErrorCode.POOL_NOT_FOUND, "pool '" + name + "' is already exported");
            }
            state = PoolState.EXPORTED;
            deadReason = new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + name + "' was force-exported ("
                    + reason + "); import it again to use it");
            return deadReason;
        }
    }

    /** A clean export's checks; moves the pool to EXPORTING. */
    private TarnException beginExport(boolean force) {
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
            return null;
        }
    }

    /**
     * A clean export's sync: first every group that transactions begun before
     * the export hold, with the labels still ACTIVE; only then one last group
     * that writes {@code newState} into the labels — so no label says
     * EXPORTED while an earlier group is still to reach the disk (another
     * host may import an EXPORTED pool without force). A read-only pool
     * writes nothing. On failure the pool is imported as before (or, if a
     * force export overtook it, that is reported).
     */
    private TarnException syncFinalTxgs(PoolLabelState newState) {
        try {
            if (readOnly) {
                txgs.stopWithoutSync();
            } else {
                txgs.syncNow(true);
                sync.labelState(newState);
                datasets.markChanged(txgs.openTxg());
                txgs.stopClean();
            }
        } catch (TarnException e) {
            synchronized (stateLock) {
                if (state == PoolState.EXPORTING) {
                    sync.labelState(PoolLabelState.ACTIVE);
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
            return deadReason;
        }
    }

    /** Stops the heartbeat and fails every outstanding I/O with {@code dead}: nothing more reaches the devices. */
    private void stopIo(TarnException dead) {
        stopHeartbeat();
        io.abandon(dead);
    }

    /**
     * Closes the devices: here after a clean export (they answer), on a
     * helper thread after a force export (they may hang).
     */
    private void closeDevices(boolean devicesAnswer) {
        List<Vdev> leaves = root.leaves();
        if (devicesAnswer) {
            leaves.forEach(Vdev::detach);
        } else {
            Thread closer = new Thread(() -> leaves.forEach(Vdev::detach), "tarn-" + name + "-close");
            closer.setDaemon(true);
            closer.start();
        }
    }

    /** The error a clean export reports when a force export overtook it. */
    private TarnException forcedDuringExport() {
        TarnException dead = deadReason;
        return new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + name + "': the export was overtaken by a "
                + "force export" + (dead == null ? "" : " (" + detail(dead) + ")"));
    }

    /** An error's message without its code tag, to quote it inside another. */
    static String detail(TarnException e) {
        return e.getMessage().substring(e.code().tag().length() + 1);
    }

    private void stopHeartbeat() {
        if (heartbeat != null) {
            heartbeat.close();
        }
    }

    /** Force-exports unless an operator (or another failure) already exported the pool. */
    void forceExportIfImported(String reason) {
        try {
            forceExport(reason);
        } catch (TarnException alreadyGone) {
            LOG.debug("pool '{}': {}", name, alreadyGone.getMessage());
        }
    }

    public TarnException deadReason() {
        return deadReason;
    }

    @Override
    public String toString() {
        return "pool '" + name + "' (" + state + ")";
    }

    // ---- device lifecycle --------------------------------------------------

    @Override
    public void scrub() {
        checkReadable();
        scan.scrub();
        logCommand("scrub " + name);
    }

    @Override
    public void pauseScrub() {
        checkReadable();
        scan.pauseScrub();
        logCommand("scrub -p " + name);
    }

    @Override
    public void stopScrub() {
        checkReadable();
        scan.stopScrub();
        logCommand("scrub -s " + name);
    }

    @Override
    public void resilver() {
        checkReadable();
        scan.resilver();
        logCommand("resilver " + name);
    }

    @Override
    public ScanStatus scanStatus() {
        return scan.status();
    }

    @Override
    public List<DataError> dataErrors() {
        return scan.dataErrors();
    }

    @Override
    public void attach(String device, String newDevice, boolean force) {
        ops.attach(device, newDevice, force);
        logCommand("attach " + (force ? "-f " : "") + name + " " + device + " " + newDevice);
    }

    @Override
    public void detach(String device) {
        ops.detach(device);
        logCommand("detach " + name + " " + device);
    }

    @Override
    public void replace(String device, String newDevice, boolean force) {
        ops.replace(device, newDevice, force);
        logCommand("replace " + (force ? "-f " : "") + name + " " + device
                + (newDevice == null || newDevice.isBlank() ? "" : " " + newDevice));
    }

    @Override
    public void online(String device) {
        ops.online(device);
        logCommand("online " + name + " " + device);
    }

    @Override
    public void offline(String device, boolean temporary) {
        ops.offline(device, temporary);
        logCommand("offline " + (temporary ? "-t " : "") + name + " " + device);
    }

    @Override
    public void add(VdevLayout layout, boolean force) {
        ops.add(layout, force);
        logCommand("add " + (force ? "-f " : "") + name + " " + layout);
    }

    @Override
    public IoStats ioStats() {
        return IoStatsView.of(name, root, importedAt);
    }

    @Override
    public List<HistoryEntry> history() {
        return history.entries();
    }
}
