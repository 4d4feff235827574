package org.tarn.engine.io;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The engine's block cache: one fixed byte budget shared by every pool of
 * the engine, for data and metadata blocks alike.
 *
 * <h2>Theory of operation</h2>
 * An adaptive replacement cache (Megiddo and Modha's ARC, as OpenZFS
 * {@code module/zfs/arc.c} keeps it, without compression or L2): resident
 * blocks are on one of two LRU lists, <em>MRU</em> (seen once since it
 * entered) and <em>MFU</em> (seen at least twice); a block read again moves
 * to MFU. Evicted blocks leave a <em>ghost</em> (key and size, no data) on
 * the matching ghost list. A miss that finds its ghost on the MRU ghost list
 * means MRU was too small and raises the MRU target {@code p}; one on the
 * MFU ghost list lowers it. Eviction takes from MRU while MRU is above its
 * target, otherwise from MFU. A one-pass scan of any size only ever enters
 * MRU and, with no ghost hits of its own, only pushes out other MRU blocks:
 * the frequently used set in MFU survives it (scan resistance).
 *
 * <p>Budget: resident bytes never exceed {@link #budgetBytes} after a call
 * returns (a block larger than the budget is not cached); ghosts are bounded
 * to another budget's worth of <em>keys</em> (MRU + its ghosts &le; budget,
 * all four lists &le; twice the budget, in bytes of the blocks they name),
 * so the memory is fixed by the setting, never by pool size.
 *
 * <p>Correctness: an entry's key is the pool instance (a number unique per
 * import in this process), the block's address, size, birth txg and
 * checksum, and its bytes are ones that verified against that checksum (or
 * that the sync checksummed itself). Copy-on-write makes such bytes the only
 * contents the key can name within one imported pool; a rewind import is
 * another instance and so never meets the entries of the one before.
 *
 * <p>One monitor guards the lists; no I/O and no copying happens under it.
 * Cached arrays are never written after insertion: readers get read-only
 * views.
 */
public final class ArcCache {

    /** What identifies a block's contents within one pool instance. */
    record Key(long pool, int vdev, long offset, int size, long birthTxg, long c0, long c1, long c2, long c3) {
        static Key of(long pool, BlockPointer bp) {
            byte[] s = bp.checksum();
            return new Key(pool, bp.vdev(), bp.offset(), bp.size(), bp.birthTxg(),
                    word(s, 0), word(s, 8), word(s, 16), word(s, 24));
        }

        private static long word(byte[] s, int at) {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (s[at + i] & 0xff);
            }
            return v;
        }
    }

    /** A resident block: its bytes (the first {@code length} of {@code data}) and whose stats it counts in. */
    record Entry(byte[] data, int length, Counters owner) {
    }

    /** Counters of one pool instance; guarded by the cache's monitor. */
    static final class Counters {
        long hits;
        long misses;
        long evictions;
        long sizeBytes;
        long inserts;
    }

    private final long budgetBytes;
    /** Resident lists, least recently used first. */
    private final LinkedHashMap<Key, Entry> mru = new LinkedHashMap<>();
    private final LinkedHashMap<Key, Entry> mfu = new LinkedHashMap<>();
    /** Ghost lists: keys of evicted blocks and the bytes they held, least recently evicted first. */
    private final LinkedHashMap<Key, Integer> mruGhost = new LinkedHashMap<>();
    private final LinkedHashMap<Key, Integer> mfuGhost = new LinkedHashMap<>();
    private long mruBytes;
    private long mfuBytes;
    private long mruGhostBytes;
    private long mfuGhostBytes;
    /** Target bytes of MRU (ARC's p), adapted by ghost hits. */
    private long mruTargetBytes;
    private final Counters total = new Counters();

    public ArcCache(long budgetBytes) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("negative cache budget " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
    }

    /** The fixed budget of resident bytes. */
    public long budgetBytes() {
        return budgetBytes;
    }

    /** The cached bytes of {@code key}, or null; a hit moves the block to (the front of) MFU. */
    synchronized Entry get(Key key, Counters who) {
        Entry e = mru.remove(key);
        if (e != null) {
            mruBytes -= e.length();
            mfu.put(key, e);
            mfuBytes += e.length();
        } else {
            e = mfu.remove(key);
            if (e != null) {
                mfu.put(key, e);
            }
        }
        if (e == null) {
            who.misses++;
            total.misses++;
        } else {
            who.hits++;
            total.hits++;
        }
        return e;
    }

    /**
     * Caches {@code length} bytes of {@code data}, which the caller hands
     * over (it never writes them again). A key already resident keeps its
     * bytes (they are the same by the key's definition).
     */
    synchronized void put(Key key, byte[] data, int length, Counters who) {
        if (length > budgetBytes || mru.containsKey(key) || mfu.containsKey(key)) {
            return;
        }
        Integer ghost = mruGhost.remove(key);
        boolean toMfu = false;
        boolean wasMfuGhost = false;
        if (ghost != null) {
            mruGhostBytes -= ghost;
            long delta = Math.max(1, mfuGhostBytes / Math.max(1, mruGhostBytes + ghost)) * ghost;
            mruTargetBytes = Math.min(budgetBytes, mruTargetBytes + delta);
            toMfu = true;
        } else {
            ghost = mfuGhost.remove(key);
            if (ghost != null) {
                mfuGhostBytes -= ghost;
                long delta = Math.max(1, mruGhostBytes / Math.max(1, mfuGhostBytes + ghost)) * ghost;
                mruTargetBytes = Math.max(0, mruTargetBytes - delta);
                toMfu = true;
                wasMfuGhost = true;
            }
        }
        Entry e = new Entry(data, length, who);
        if (toMfu) {
            mfu.put(key, e);
            mfuBytes += length;
        } else {
            mru.put(key, e);
            mruBytes += length;
        }
        who.sizeBytes += length;
        who.inserts++;
        total.sizeBytes += length;
        total.inserts++;
        while (mruBytes + mfuBytes > budgetBytes) {
            evictOne(wasMfuGhost, key);
        }
        trimGhosts();
    }

    /** Evicts the LRU block of MRU or MFU (ARC's REPLACE), never {@code keep} (the block just added). */
    private void evictOne(boolean wasMfuGhost, Key keep) {
        boolean fromMru = !mru.isEmpty()
                && (mruBytes > mruTargetBytes || (wasMfuGhost && mruBytes == mruTargetBytes) || mfu.isEmpty());
        if (fromMru && mru.size() == 1 && mru.containsKey(keep) && !mfu.isEmpty()) {
            fromMru = false;
        } else if (!fromMru && mfu.size() == 1 && mfu.containsKey(keep) && !mru.isEmpty()) {
            fromMru = true;
        }
        LinkedHashMap<Key, Entry> list = fromMru ? mru : mfu;
        Iterator<Map.Entry<Key, Entry>> it = list.entrySet().iterator();
        Map.Entry<Key, Entry> victim = it.next();
        if (victim.getKey().equals(keep) && it.hasNext()) {
            victim = it.next();
        }
        Key k = victim.getKey();
        Entry e = victim.getValue();
        list.remove(k);
        if (fromMru) {
            mruBytes -= e.length();
            mruGhost.put(k, e.length());
            mruGhostBytes += e.length();
        } else {
            mfuBytes -= e.length();
            mfuGhost.put(k, e.length());
            mfuGhostBytes += e.length();
        }
        e.owner().sizeBytes -= e.length();
        e.owner().evictions++;
        total.sizeBytes -= e.length();
        total.evictions++;
    }

    /** Keeps MRU + its ghosts within the budget and all four lists within twice it. */
    private void trimGhosts() {
        Iterator<Map.Entry<Key, Integer>> it = mruGhost.entrySet().iterator();
        while (mruBytes + mruGhostBytes > budgetBytes && it.hasNext()) {
            mruGhostBytes -= it.next().getValue();
            it.remove();
        }
        it = mfuGhost.entrySet().iterator();
        while (mruBytes + mfuBytes + mruGhostBytes + mfuGhostBytes > 2 * budgetBytes && it.hasNext()) {
            mfuGhostBytes -= it.next().getValue();
            it.remove();
        }
    }

    /** Drops a block (resident or ghost). */
    synchronized void remove(Key key) {
        Entry e = mru.remove(key);
        if (e != null) {
            mruBytes -= e.length();
        } else {
            e = mfu.remove(key);
            if (e != null) {
                mfuBytes -= e.length();
            }
        }
        if (e != null) {
            e.owner().sizeBytes -= e.length();
            total.sizeBytes -= e.length();
        }
        Integer g = mruGhost.remove(key);
        if (g != null) {
            mruGhostBytes -= g;
        }
        g = mfuGhost.remove(key);
        if (g != null) {
            mfuGhostBytes -= g;
        }
    }

    /** Drops every block and ghost of pool instance {@code pool}: its export, force export or destroy. */
    synchronized void dropPool(long pool) {
        Predicate<Key> mine = k -> k.pool() == pool;
        mruBytes -= dropResident(mru, mine);
        mfuBytes -= dropResident(mfu, mine);
        mruGhostBytes -= dropGhosts(mruGhost, mine);
        mfuGhostBytes -= dropGhosts(mfuGhost, mine);
        mruTargetBytes = Math.min(mruTargetBytes, budgetBytes);
    }

    private long dropResident(LinkedHashMap<Key, Entry> list, Predicate<Key> mine) {
        long dropped = 0;
        for (Iterator<Map.Entry<Key, Entry>> it = list.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Key, Entry> e = it.next();
            if (mine.test(e.getKey())) {
                int n = e.getValue().length();
                e.getValue().owner().sizeBytes -= n;
                total.sizeBytes -= n;
                dropped += n;
                it.remove();
            }
        }
        return dropped;
    }

    private static long dropGhosts(LinkedHashMap<Key, Integer> list, Predicate<Key> mine) {
        long dropped = 0;
        for (Iterator<Map.Entry<Key, Integer>> it = list.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Key, Integer> e = it.next();
            if (mine.test(e.getKey())) {
                dropped += e.getValue();
                it.remove();
            }
        }
        return dropped;
    }

    /** Resident bytes now, over every pool. */
    public synchronized long sizeBytes() {
        return mruBytes + mfuBytes;
    }

    /** Resident bytes on the MRU and MFU lists and bytes named by their ghosts: {mru, mfu, mruGhost, mfuGhost}. */
    public synchronized long[] listBytes() {
        return new long[] {mruBytes, mfuBytes, mruGhostBytes, mfuGhostBytes};
    }

    /** The engine-wide counters. */
    public synchronized org.tarn.api.BlockCacheStats stats() {
        return snapshot(total);
    }

    synchronized org.tarn.api.BlockCacheStats stats(Counters c) {
        return snapshot(c);
    }

    private org.tarn.api.BlockCacheStats snapshot(Counters c) {
        return new org.tarn.api.BlockCacheStats(budgetBytes, c.sizeBytes, c.hits, c.misses, c.evictions);
    }
}
