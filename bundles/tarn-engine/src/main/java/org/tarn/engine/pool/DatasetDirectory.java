package org.tarn.engine.pool;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.dmu.BlockReader;
import org.tarn.engine.dmu.DatasetHandle;
import org.tarn.engine.dmu.DatasetRecord;
import org.tarn.engine.dmu.DmuHost;
import org.tarn.engine.dmu.ObjectSet;
import org.tarn.engine.dmu.PoolDirectory;
import org.tarn.engine.dmu.SyncContext;
import org.tarn.engine.io.BlockPointer;

/**
 * The datasets of one pool and the handles open on them (the DSL's dataset
 * directory, in ZFS terms).
 *
 * <p>Each dataset is an {@link ObjectSet}, opened on first use from the block
 * the pool directory records for it. Creating and destroying a dataset are
 * changes of the transaction group they run in: a created dataset reaches
 * the disk when its group syncs, a destroyed one is freed by the sync of its
 * group ({@link #syncObjectSets}). The namespace and the handle set are
 * guarded by one monitor that is never held across device I/O: opening a
 * dataset reads its object set block outside it.
 */
final class DatasetDirectory {
    private static final Pattern DATASET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}");

    private final String poolName;
    private final BlockReader reader;
    private final ObjectSet.DirtyListener dirtyListener;

    private final Object lock = new Object();
    private final TreeMap<String, Entry> datasets = new TreeMap<>();
    /** Datasets destroyed in each unsynced group, freed when it syncs. */
    private final Map<Long, List<Entry>> destroyed = new HashMap<>();
    /** Groups that changed the directory itself (datasets, properties). */
    private final Set<Long> changedTxgs = ConcurrentHashMap.newKeySet();
    private final Set<DatasetHandle> handles = ConcurrentHashMap.newKeySet();
    private long nextDatasetId = 1;

    /** A dataset of the namespace; its object set is opened on first use. */
    static final class Entry {
        final String name;
        final long id;
        final long createTxg;
        volatile BlockPointer bp;
        volatile ObjectSet os;

        Entry(String name, long id, long createTxg, BlockPointer bp, ObjectSet os) {
            this.name = name;
            this.id = id;
            this.createTxg = createTxg;
            this.bp = bp;
            this.os = os;
        }
    }

    DatasetDirectory(String poolName, BlockReader reader, ObjectSet.DirtyListener dirtyListener) {
        this.poolName = poolName;
        this.reader = reader;
        this.dirtyListener = dirtyListener;
    }

    /** Takes the datasets of an imported pool's directory. */
    void load(PoolDirectory dir) {
        synchronized (lock) {
            nextDatasetId = dir.nextDatasetId();
            for (DatasetRecord r : dir.datasets()) {
                datasets.put(r.name(), new Entry(r.name(), r.id(), r.createTxg(), r.objsetBp(), null));
            }
        }
    }

    // ---- the namespace -------------------------------------------------------

    List<String> names() {
        synchronized (lock) {
            return List.copyOf(datasets.keySet());
        }
    }

    static void checkName(String dataset) {
        if (dataset == null || !DATASET_NAME.matcher(dataset).matches()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "invalid dataset name '" + dataset
                    + "': use letters, digits and _.:- (up to 255 characters)");
        }
    }

    /** Creates a dataset in group {@code txg}. */
    void create(String dataset, long txg) {
        synchronized (lock) {
            if (datasets.containsKey(dataset)) {
                throw new TarnException(ErrorCode.EXISTS, "dataset '" + dataset + "' already exists in pool '"
                        + poolName + "'");
            }
            long id = nextDatasetId++;
            ObjectSet os = ObjectSet.create(id, reader, dirtyListener);
            datasets.put(dataset, new Entry(dataset, id, txg, BlockPointer.HOLE, os));
            changedTxgs.add(txg);
        }
    }

    /** Destroys a dataset without open handles in group {@code txg}; its blocks are freed when that group syncs. */
    void destroy(String dataset, long txg) {
        synchronized (lock) {
            Entry e = datasets.get(dataset);
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
                throw new TarnException(ErrorCode.BUSY, "dataset '" + dataset + "' of pool '" + poolName
                        + "' is open (by " + String.join(", ", holders) + "); close it first");
            }
            datasets.remove(dataset);
            destroyed.computeIfAbsent(txg, t -> new ArrayList<>()).add(e);
            changedTxgs.add(txg);
        }
    }

    private TarnException notFound(String dataset) {
        return new TarnException(ErrorCode.NOT_FOUND, "pool '" + poolName + "' has no dataset '" + dataset + "'");
    }

    /** Opens a handle; the object set block is read outside the lock. */
    DatasetHandle open(String dataset, DmuHost host) {
        Entry e;
        synchronized (lock) {
            e = datasets.get(dataset);
        }
        if (e == null) {
            throw notFound(dataset);
        }
        ObjectSet os = e.os;
        if (os == null) {
            ObjectSet loaded;
            try (BlockReader.Pin pin = reader.pin()) {
                loaded = ObjectSet.open(e.bp, reader, dirtyListener);
            }
            synchronized (lock) {
                if (e.os == null) {
                    e.os = loaded;
                }
                os = e.os;
            }
        }
        DatasetHandle h = new DatasetHandle(dataset, os, host);
        handles.add(h);
        return h;
    }

    void closed(DatasetHandle handle) {
        handles.remove(handle);
    }

    /** Open handles, for "busy" messages. */
    List<DatasetHandle> openHandles() {
        return List.copyOf(handles);
    }

    /** Marks group {@code txg} as changing the directory (a property was set, say). */
    void markChanged(long txg) {
        changedTxgs.add(txg);
    }

    /** Force export: drops every unsynced change and kills every handle, without any I/O. */
    void discardAndInvalidate() {
        synchronized (lock) {
            for (Entry e : datasets.values()) {
                if (e.os != null) {
                    e.os.discardAll();
                }
            }
        }
        handles.forEach(DatasetHandle::invalidate);
        handles.clear();
    }

    // ---- syncing ---------------------------------------------------------------

    /** Whether group {@code txg} changed a dataset or the directory. */
    boolean hasChanges(long txg) {
        if (changedTxgs.contains(txg) || destroyedIn(txg)) {
            return true;
        }
        synchronized (lock) {
            for (Entry e : datasets.values()) {
                ObjectSet os = e.os;
                if (os != null && os.isDirty(txg)) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean destroyedIn(long txg) {
        synchronized (lock) {
            return destroyed.containsKey(txg);
        }
    }

    /**
     * Step 1 of a sync: writes every object set dirtied in the group and
     * frees the datasets destroyed in it. The new object set blocks go into
     * {@code newBps}; the object sets written, into {@code synced}.
     */
    void syncObjectSets(SyncContext ctx, Map<Entry, BlockPointer> newBps, List<ObjectSet> synced) {
        long txg = ctx.txg();
        List<Entry> live;
        List<Entry> gone;
        synchronized (lock) {
            live = new ArrayList<>(datasets.values());
            gone = new ArrayList<>(destroyed.getOrDefault(txg, List.of()));
        }
        for (Entry e : live) {
            ObjectSet os = e.os;
            if (os != null && os.isDirty(txg)) {
                newBps.put(e, os.sync(ctx));
                synced.add(os);
            }
        }
        for (Entry e : gone) {
            ObjectSet os = e.os;
            if (os == null && !e.bp.isHole()) {
                os = ObjectSet.open(e.bp, reader, dirtyListener);
            }
            if (os != null) {
                os.discardAll();
                if (!os.committedBp().isHole()) {
                    os.freeAll(ctx);
                }
            }
        }
    }

    /** The records the directory written by this sync holds: every dataset at its newest block. */
    List<DatasetRecord> records(Map<Entry, BlockPointer> newBps) {
        List<DatasetRecord> records = new ArrayList<>();
        synchronized (lock) {
            for (Entry e : datasets.values()) {
                BlockPointer bp = newBps.getOrDefault(e, e.bp);
                if (!bp.isHole()) {
                    records.add(new DatasetRecord(e.name, e.id, bp, e.createTxg));
                }
            }
        }
        return records;
    }

    long nextDatasetId() {
        synchronized (lock) {
            return nextDatasetId;
        }
    }

    /** Group {@code txg} is on disk: the datasets move to their new blocks. */
    void committed(long txg, Map<Entry, BlockPointer> newBps) {
        for (Map.Entry<Entry, BlockPointer> e : newBps.entrySet()) {
            e.getKey().bp = e.getValue();
        }
        synchronized (lock) {
            destroyed.remove(txg);
        }
        changedTxgs.removeIf(t -> t <= txg);
    }
}
