package org.tarn.engine.txg;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.CommitCallback;
import org.tarn.api.CommitStatus;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.engine.EngineDefaults;

/**
 * Transaction groups of one pool.
 *
 * <h2>Theory of operation</h2>
 * Every change joins the <em>open</em> group by taking a hold on it
 * ({@link #begin}). The pool's one sync thread closes the open group when its
 * dirty data reaches the per-group limit, when it has been open for the
 * timeout, or when someone asks for a sync: it opens the next group at once
 * (so writers never wait for a sync to start), waits for the holds on the
 * closed group to drain (<em>quiescing</em>), then writes it out
 * (<em>syncing</em>) through the pool's {@link Syncer}. When the uberblock is
 * down the group is <em>synced</em>: commit callbacks run with COMMITTED and
 * {@link #syncedTxg()} advances. So at most three groups are alive: open,
 * quiescing/syncing, and the last synced one.
 *
 * <p>Dirty data is bounded by OpenZFS's write throttle ({@link WriteThrottle}):
 * the open group starts to sync once it holds {@code DIRTY_SYNC_PERCENT} of the
 * pool's maximum; above {@code DELAY_MIN_DIRTY_PERCENT} each new transaction
 * is delayed along the curve {@code scale * (dirty - min) / (max - dirty)}
 * (microseconds at first), and at the maximum it blocks until a sync frees
 * room. This bounds memory and the time of any one sync, hence of a clean
 * export.
 *
 * <p>A sync that fails leaves the pool <em>suspended</em>: the sync thread
 * parks the failed group (its changes stay in memory) until {@link #resume}
 * retries it or {@link #abort} discards it. Every wait here is woken by
 * {@link #abort}, which force export calls: it never waits for the sync
 * thread, fails every waiter with its reason, and runs the callbacks of all
 * unsynced groups with ABORTED.
 *
 * <p>Why one class of this size: every state here (open, quiescing, syncing,
 * synced txg, holds, dirty bytes per group, suspension, abort) is guarded by
 * one lock and woken through one condition, and each wait re-checks several
 * of them; split over classes, each invariant would span a lock it does not
 * own. The write throttle's curve and serialisation are in
 * {@link WriteThrottle}; its waits stay here, on the one condition.
 */
public final class TxgManager {
    private static final Logger LOG = LoggerFactory.getLogger(TxgManager.class);

    /** Writes one transaction group out; throws when it cannot. */
    public interface Syncer {
        /** Whether the group has anything to write. */
        boolean hasChanges(long txg);

        void syncTxg(long txg);
    }

    /** Told when a sync fails and the pool suspends, and when it resumes. */
    public interface SuspendListener {
        void suspended(long txg, TarnException cause);

        void resumed(long txg);
    }

    /** Limits read at every decision, so property changes apply at once. */
    public interface Limits {
        long txgDirtyLimitBytes();

        long txgTimeoutMillis();

        long dirtyMaxBytes();

        /** True when a suspended pool fails new work at once (failmode=continue). */
        boolean failFastWhenSuspended();

        /**
         * Dirty bytes at which the open group closes early because its
         * worst case approaches the pool's free space (a small pool syncs
         * sooner instead of refusing writes); unlimited by default.
         */
        default long closeEarlyDirtyBytes() {
            return Long.MAX_VALUE;
        }

        /** Percent of {@link #dirtyMaxBytes} above which writers are delayed. */
        default int delayMinDirtyPercent() {
            return EngineDefaults.DELAY_MIN_DIRTY_PERCENT;
        }

        /** Scale of the delay curve in nanoseconds ({@link WriteThrottle}). */
        default long delayScaleNanos() {
            return EngineDefaults.DELAY_SCALE_NANOS;
        }

        /** Percent of {@link #dirtyMaxBytes} in the open group at which it starts to sync. */
        default int dirtySyncPercent() {
            return EngineDefaults.DIRTY_SYNC_PERCENT;
        }
    }

    private final String poolName;
    private final Syncer syncer;
    private final SuspendListener listener;
    private final Limits limits;
    private final LongSupplier clockMillis;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    private long openTxg;
    private long openedAtMillis;
    private long syncingTxg;
    private long syncedTxg;
    private long syncRequestedTxg;
    private final Map<Long, Integer> holds = new HashMap<>();
    private final TreeMap<Long, Long> dirtyBytes = new TreeMap<>();
    private final Map<Long, List<CommitCallback>> callbacks = new HashMap<>();
    private boolean suspended;
    private boolean resumeRequested;
    /** Writers waiting in {@link #awaitEarlierGroups} for earlier groups to land. */
    private int spaceWaiters;
    /** A suspension from outside a sync (multihost); the next sync parks on it until resumed. */
    private TarnException heldOff;
    /** Set by a clean export: new transactions are refused, the thread exits once nothing is pending. */
    private boolean stopping;
    /** The sync thread has returned. */
    private boolean threadDone;
    private TarnException aborted;
    private TarnException lastFailure;
    private long lastSyncMillis;
    private Thread thread;
    private final WriteThrottle writeThrottle = new WriteThrottle();
    /** Transactions the throttle delayed, the sum of the delays it gave, and waits at the dirty maximum. */
    private long delayedTxs;
    private long delayedNanos;
    private long fullWaits;

    public TxgManager(String poolName, long lastSyncedTxg, Syncer syncer, SuspendListener listener,
                      Limits limits) {
        this.poolName = poolName;
        this.syncer = syncer;
        this.listener = listener;
        this.limits = limits;
        this.clockMillis = System::currentTimeMillis;
        this.syncedTxg = lastSyncedTxg;
        this.openTxg = lastSyncedTxg + 1;
        this.openedAtMillis = clockMillis.getAsLong();
    }

    public void start() {
        thread = new Thread(this::run, "tarn-" + poolName + "-sync");
        thread.setDaemon(true);
        thread.start();
    }

    // ---- writers -----------------------------------------------------------

    /** Takes a hold on the open group, after throttling. */
    public Transaction begin() {
        lock.lock();
        try {
            checkNotStopping();
            throttle();
            awaitRoomInOpenGroup();
            checkNotStopping();
            long txg = openTxg;
            holds.merge(txg, 1, Integer::sum);
            return new Tx(txg);
        } finally {
            lock.unlock();
        }
    }

    /**
     * OpenZFS's {@code dmu_tx_delay}: past the delay minimum the writer waits
     * out the curve's delay, serialised with the other writers
     * ({@link WriteThrottle}); at the maximum it waits, asking for a sync,
     * until a sync frees room (woken by {@link #abort}, or by a suspension
     * under failmode=continue).
     */
    private void throttle() {
        long start = System.nanoTime();
        while (true) {
            checkUsable();
            long max = limits.dirtyMaxBytes();
            long dirty = totalDirty();
            if (dirty >= max) {
                syncRequestedTxg = Math.max(syncRequestedTxg, openTxg);
                fullWaits++;
                changed.signalAll();
                awaitUninterruptibly(100);
                start = System.nanoTime();
                continue;
            }
            long delay = WriteThrottle.delayNanos(dirty, max, limits.delayMinDirtyPercent(), limits.delayScaleNanos());
            if (delay == 0) {
                return;
            }
            delayedTxs++;
            delayedNanos += delay;
            long wakeup = writeThrottle.wakeupNanos(start, delay);
            // the sync thread decides to close on dirty data too: let it see the writers are held back
            changed.signalAll();
            while (true) {
                long left = wakeup - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TarnException(ErrorCode.TIMED_OUT, "pool '" + poolName
                            + "': interrupted while throttled", e);
                }
                checkUsable();
            }
        }
    }

    /**
     * Keeps a new transaction out of an open group whose worst case already
     * takes its share of the pool's free space
     * ({@link Limits#closeEarlyDirtyBytes}) while it cannot close yet (an
     * earlier group is still syncing): it joins the next group instead, so
     * no group grows past what the pool can take next to the one before it.
     * Bounded by {@code SPACE_WAIT_MILLIS}, after which it joins anyway (and
     * its writes are checked as usual); woken by {@link #abort}.
     */
    private void awaitRoomInOpenGroup() {
        long seen = openTxg;
        if (dirtyBytes.getOrDefault(seen, 0L) < limits.closeEarlyDirtyBytes()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EngineDefaults.SPACE_WAIT_MILLIS);
        spaceWaiters++;
        try {
            changed.signalAll();
            while (openTxg == seen && dirtyBytes.getOrDefault(seen, 0L) >= limits.closeEarlyDirtyBytes()) {
                checkUsable();
                checkNotStopping();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                awaitUninterruptibly(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
            }
        } finally {
            spaceWaiters--;
        }
    }

    private void checkNotStopping() {
        if (stopping && aborted == null) {
            throw new TarnException(ErrorCode.BUSY, "pool '" + poolName
                    + "' is being exported; no new transactions");
        }
    }

    private void checkUsable() {
        if (aborted != null) {
            throw aborted;
        }
        if (suspended && limits.failFastWhenSuspended()) {
            throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + poolName
                    + "' is suspended (failmode=continue): " + describe(lastFailure)
                    + "; fix the devices and run clear");
        }
    }

    private void awaitUninterruptibly(long millis) {
        try {
            changed.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TarnException(ErrorCode.TIMED_OUT, "pool '" + poolName + "': interrupted while waiting", e);
        }
    }

    /** Accounts bytes of new dirty data in a group. */
    public void addDirty(long txg, long bytes) {
        // read before the lock: the pool computes it from its space maps
        long closeEarly = limits.closeEarlyDirtyBytes();
        lock.lock();
        try {
            long now = dirtyBytes.merge(txg, bytes, Long::sum);
            if (txg == openTxg && (now >= limits.txgDirtyLimitBytes() || now >= closeEarly
                    || now > WriteThrottle.percentOf(limits.dirtyMaxBytes(), limits.dirtySyncPercent()))) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private final class Tx implements Transaction {
        private final long txg;
        private boolean done;

        Tx(long txg) {
            this.txg = txg;
        }

        @Override
        public long txg() {
            return txg;
        }

        @Override
        public void onCommit(CommitCallback callback) {
            boolean dropped;
            lock.lock();
            try {
                if (done) {
                    throw new IllegalStateException("transaction already committed");
                }
                dropped = aborted != null;
                if (!dropped) {
                    callbacks.computeIfAbsent(txg, t -> new ArrayList<>()).add(callback);
                }
            } finally {
                lock.unlock();
            }
            if (dropped) {
                // the group was already discarded: say so now, nobody will later
                runCallbacks(List.of(callback), txg, CommitStatus.ABORTED);
            }
        }

        @Override
        public void commit() {
            lock.lock();
            try {
                if (done) {
                    return;
                }
                done = true;
                int left = holds.merge(txg, -1, Integer::sum);
                if (left == 0 && txg != openTxg) {
                    // only the sync thread, quiescing this group, waits for its holds to drain
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            commit();
        }

        TxgManager owner() {
            return TxgManager.this;
        }

        /** Throws unless this transaction may still make changes. */
        void checkOpen() {
            if (done) {
                throw new IllegalStateException("transaction on txg " + txg + " is already committed");
            }
        }
    }

    /** Throws unless {@code tx} is an open transaction of this pool. */
    public long txgOf(Transaction tx) {
        if (!(tx instanceof Tx t) || !isOurs(t)) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "transaction does not belong to pool '" + poolName + "'");
        }
        t.checkOpen();
        if (aborted != null) {
            throw aborted;
        }
        return t.txg;
    }

    private boolean isOurs(Tx t) {
        return t.owner() == this;
    }

    // ---- waiting for syncs -------------------------------------------------

    /** Asks for the open group to sync and waits until it has. */
    public void syncNow() {
        syncNow(false);
    }

    /**
     * As {@link #syncNow()}; with {@code failWhenSuspended} a suspension ends
     * the wait with {@link ErrorCode#POOL_SUSPENDED} whatever the failmode
     * (an export must not wait for an operator's clear).
     */
    public void syncNow(boolean failWhenSuspended) {
        long target;
        lock.lock();
        try {
            checkUsable();
            target = openTxg;
            syncRequestedTxg = Math.max(syncRequestedTxg, target);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        waitSynced(target, failWhenSuspended);
    }

    /** Waits until group {@code txg} has synced, or the pool fails. */
    public void waitSynced(long txg) {
        waitSynced(txg, false);
    }

    private void waitSynced(long txg, boolean failWhenSuspended) {
        lock.lock();
        try {
            while (syncedTxg < txg) {
                checkUsable();
                if (failWhenSuspended && suspended) {
                    throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + poolName + "' is suspended: "
                            + describe(lastFailure) + "; clear it or force-export it");
                }
                // a thread that ended without a clean stop ended on a force export's abandoned I/O: its abort()
                // follows at once and says why; wait for that rather than report a bare "stopped"
                if (threadDone && stopping) {
                    throw new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + poolName + "' is stopped");
                }
                awaitUninterruptibly(100);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- waiting for space -------------------------------------------------

    /**
     * For a writer holding group {@code txg} that the pool's free space
     * cannot take while the earlier groups are unsynced (their dirty data is
     * reserved at its worst case): waits until the oldest of them has synced,
     * so the caller can check again against what it really allocated
     * (OpenZFS {@code dmu_tx_assign} → {@code ERESTART} → {@code dmu_tx_wait}).
     * Earlier groups are closed already and never wait for {@code txg}'s
     * holders, so this cannot deadlock. Woken by {@link #abort} (throws its
     * reason) and, with failmode=continue, by a suspension; bounded by
     * {@code deadlineNanos} ({@link System#nanoTime}), past which it throws
     * {@code NO_SPACE} with {@code shortfall} and what it waited for.
     *
     * @return false at once when no group older than {@code txg} is unsynced:
     *     the shortfall is not caused by earlier groups
     */
    public boolean awaitEarlierGroups(long txg, long deadlineNanos, String shortfall) {
        lock.lock();
        try {
            checkUsable();
            long start = syncedTxg;
            if (start >= txg - 1) {
                return false;
            }
            spaceWaiters++;
            try {
                while (syncedTxg == start) {
                    checkUsable();
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        throw new TarnException(ErrorCode.NO_SPACE, shortfall + "; txg " + (start + 1)
                                + " did not sync in time to make room" + (suspended ? " (the pool is suspended: "
                                + describe(lastFailure) + ")" : ""));
                    }
                    awaitUninterruptibly(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
                }
                return true;
            } finally {
                spaceWaiters--;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Writers now waiting in {@link #awaitEarlierGroups}. */
    public int spaceWaiters() {
        lock.lock();
        try {
            return spaceWaiters;
        } finally {
            lock.unlock();
        }
    }

    /** Dirty bytes of the unsynced groups up to and including {@code txg}. */
    public long dirtyUpTo(long txg) {
        lock.lock();
        try {
            long sum = 0;
            for (long v : dirtyBytes.headMap(txg, true).values()) {
                sum += v;
            }
            return sum;
        } finally {
            lock.unlock();
        }
    }

    // ---- the sync thread ---------------------------------------------------

    private void run() {
        try {
            syncLoop();
        } finally {
            lock.lock();
            try {
                threadDone = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void syncLoop() {
        while (true) {
            long txg;
            lock.lock();
            try {
                while (!shouldClose()) {
                    if (aborted != null || (stopping && !hasPendingChanges())) {
                        return;
                    }
                    awaitUninterruptibly(Math.max(1, Math.min(100, limits.txgTimeoutMillis())));
                }
                txg = openTxg;
                openTxg = txg + 1;
                openedAtMillis = clockMillis.getAsLong();
                syncingTxg = txg;
                changed.signalAll();
                while (holds.getOrDefault(txg, 0) > 0 && aborted == null) {
                    awaitUninterruptibly(100);
                }
                holds.remove(txg);
                if (aborted != null) {
                    return;
                }
            } catch (TarnException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (!syncWithRetry(txg)) {
                return;
            }
        }
    }

    private boolean shouldClose() {
        if (aborted != null) {
            return false;
        }
        long dirty = dirtyBytes.getOrDefault(openTxg, 0L);
        if (syncRequestedTxg >= openTxg) {
            return true;
        }
        if (stopping) {
            return hasPendingChanges();
        }
        if (dirty >= limits.txgDirtyLimitBytes()) {
            return true;
        }
        if (dirty > 0 && dirty >= limits.closeEarlyDirtyBytes()) {
            return true;
        }
        long max = limits.dirtyMaxBytes();
        // OpenZFS dsl_pool_need_dirty_sync: the open group syncs once it holds the sync percentage
        if (dirty > 0 && dirty > WriteThrottle.percentOf(max, limits.dirtySyncPercent())) {
            return true;
        }
        if (totalDirty() > WriteThrottle.percentOf(max, limits.delayMinDirtyPercent())) {
            return true;
        }
        boolean hasWork = dirty > 0 || callbacks.containsKey(openTxg) || syncer.hasChanges(openTxg);
        return hasWork && clockMillis.getAsLong() - openedAtMillis >= limits.txgTimeoutMillis();
    }

    /** Whether the open group holds anything a clean stop must still sync: data, holds or callbacks. */
    private boolean hasPendingChanges() {
        return dirtyBytes.getOrDefault(openTxg, 0L) > 0 || syncer.hasChanges(openTxg)
                || holds.getOrDefault(openTxg, 0) > 0 || callbacks.containsKey(openTxg);
    }

    /**
     * Suspends the pool although no sync failed: the multihost heartbeat
     * cannot be written, so this host can no longer show that it owns the
     * pool. Nothing more is synced until {@link #resume}: a sync that starts
     * meanwhile parks as a failed one does. The listener hears of it at once.
     */
    public void suspend(TarnException cause) {
        long txg;
        lock.lock();
        try {
            if (aborted != null) {
                return;
            }
            heldOff = cause;
            suspended = true;
            lastFailure = cause;
            resumeRequested = false;
            txg = openTxg;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        listener.suspended(txg, cause);
    }

    /** Parks the sync thread while a suspension from outside holds; false when aborted. */
    private boolean awaitHeldOff() {
        lock.lock();
        try {
            if (heldOff == null) {
                return true;
            }
            while (!resumeRequested && aborted == null) {
                awaitUninterruptibly(100);
            }
            heldOff = null;
            return aborted == null;
        } finally {
            lock.unlock();
        }
    }

    /** Syncs a group, parking on failure until resumed; false when aborted. */
    private boolean syncWithRetry(long txg) {
        while (true) {
            if (!awaitHeldOff()) {
                return false;
            }
            long started = System.nanoTime();
            try {
                syncer.syncTxg(txg);
            } catch (RuntimeException e) {
                if (!(e instanceof TarnException)) {
                    LOG.error("pool '{}': txg {} sync failed unexpectedly", poolName, txg, e);
                }
                // never let the sync thread die: waiters would hang; suspend and report instead
                TarnException cause = e instanceof TarnException t ? t
                        : new TarnException(ErrorCode.IO_ERROR, e.getMessage(), e);
                if (isAborted() || cause.code() == ErrorCode.POOL_EXPORTED) {
                    // a force export abandoned this sync's I/O: that ends the pool, it does not suspend it
                    return false;
                }
                if (!suspended()) {
                    LOG.error("pool '{}': txg {} failed to sync, suspending: {}", poolName, txg, cause.getMessage());
                }
                // the pool learns first, so whoever sees the suspension sees the pool SUSPENDED
                listener.suspended(txg, cause);
                lock.lock();
                try {
                    suspended = true;
                    lastFailure = cause;
                    resumeRequested = false;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                lock.lock();
                try {
                    while (!resumeRequested && aborted == null) {
                        awaitUninterruptibly(100);
                    }
                    if (aborted != null) {
                        return false;
                    }
                    resumeRequested = false;
                } finally {
                    lock.unlock();
                }
                continue;
            }
            List<CommitCallback> done;
            lock.lock();
            try {
                if (aborted != null) {
                    return false;
                }
                done = callbacks.remove(txg);
            } finally {
                lock.unlock();
            }
            // callbacks run before waiters see the group synced, so sync() implies "callbacks done"
            runCallbacks(done, txg, CommitStatus.COMMITTED);
            if (suspended()) {
                listener.resumed(txg);
            }
            lock.lock();
            try {
                syncedTxg = txg;
                syncingTxg = 0;
                lastSyncMillis = (System.nanoTime() - started) / 1_000_000;
                dirtyBytes.remove(txg);
                suspended = false;
                lastFailure = null;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            return true;
        }
    }

    private void runCallbacks(List<CommitCallback> list, long txg, CommitStatus status) {
        if (list == null) {
            return;
        }
        for (CommitCallback cb : list) {
            try {
                cb.onCommit(txg, status);
            } catch (RuntimeException e) {
                LOG.warn("pool '{}': commit callback for txg {} failed", poolName, txg, e);
            }
        }
    }

    // ---- control -----------------------------------------------------------

    /** Retries a parked sync (after {@code clear}); lifts a suspension from outside a sync. */
    public void resume() {
        boolean lifted = false;
        long txg;
        lock.lock();
        try {
            resumeRequested = true;
            if (heldOff != null && syncingTxg == 0) {
                // no sync is parked on it: lift it here, the next sync runs normally
                heldOff = null;
                suspended = false;
                lastFailure = null;
                lifted = true;
            }
            txg = syncedTxg;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (lifted) {
            listener.resumed(txg);
        }
    }

    /**
     * Syncs whatever is dirty and stops the sync thread, waiting for it.
     * Used by a clean export. From here on {@link #begin} is refused; groups
     * that transactions begun earlier still hold (data or commit callbacks)
     * are synced before the thread exits, so nothing committed is dropped.
     * If a sync fails meanwhile the stop is called off (the pool stays
     * suspended, its thread parked) and this throws POOL_SUSPENDED.
     */
    public void stopClean() {
        syncNow(true);
        lock.lock();
        try {
            stopping = true;
            changed.signalAll();
            while (!threadDone) {
                if (aborted != null) {
                    throw aborted;
                }
                if (suspended) {
                    stopping = false;
                    changed.signalAll();
                    throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + poolName + "' suspended while "
                            + "exporting: " + describe(lastFailure) + "; clear it or force-export it");
                }
                awaitUninterruptibly(100);
            }
            if (aborted != null) {
                throw aborted;
            }
            if (syncedTxg < openTxg - 1 || hasPendingChanges()) {
                throw new TarnException(ErrorCode.IO_ERROR, "pool '" + poolName + "': sync thread stopped with txg "
                        + (syncedTxg + 1) + " unsynced");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the sync thread without syncing anything, waiting for it: for a
     * pool that writes nothing (imported read-only), so its synced txg stays
     * the one on disk.
     */
    public void stopWithoutSync() {
        lock.lock();
        try {
            stopping = true;
            changed.signalAll();
            while (!threadDone) {
                if (aborted != null) {
                    throw aborted;
                }
                awaitUninterruptibly(100);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Discards every unsynced group and fails every waiter with
     * {@code reason}. Never blocks on the sync thread or a device.
     *
     * @return the number of commit callbacks told ABORTED
     */
    public int abort(TarnException reason) {
        Map<Long, List<CommitCallback>> dropped;
        lock.lock();
        try {
            if (aborted != null) {
                return 0;
            }
            aborted = reason;
            dropped = new TreeMap<>(callbacks);
            callbacks.clear();
            dirtyBytes.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        int n = 0;
        for (Map.Entry<Long, List<CommitCallback>> e : dropped.entrySet()) {
            runCallbacks(e.getValue(), e.getKey(), CommitStatus.ABORTED);
            n += e.getValue().size();
        }
        return n;
    }

    public boolean isAborted() {
        lock.lock();
        try {
            return aborted != null;
        } finally {
            lock.unlock();
        }
    }

    // ---- state -------------------------------------------------------------

    public long openTxg() {
        lock.lock();
        try {
            return openTxg;
        } finally {
            lock.unlock();
        }
    }

    public long syncedTxg() {
        lock.lock();
        try {
            return syncedTxg;
        } finally {
            lock.unlock();
        }
    }

    /** The group being quiesced or synced, or 0. */
    public long syncingTxg() {
        lock.lock();
        try {
            return syncingTxg;
        } finally {
            lock.unlock();
        }
    }

    public boolean suspended() {
        lock.lock();
        try {
            return suspended;
        } finally {
            lock.unlock();
        }
    }

    public TarnException lastFailure() {
        lock.lock();
        try {
            return lastFailure;
        } finally {
            lock.unlock();
        }
    }

    public long lastSyncMillis() {
        lock.lock();
        try {
            return lastSyncMillis;
        } finally {
            lock.unlock();
        }
    }

    /**
     * What the write throttle did so far: transactions delayed, the sum of
     * their delays (ns, as the curve gave them) and waits at the dirty maximum.
     */
    public long[] throttleCounters() {
        lock.lock();
        try {
            return new long[] {delayedTxs, delayedNanos, fullWaits};
        } finally {
            lock.unlock();
        }
    }

    /** Dirty bytes over all unsynced groups. */
    public long totalDirty() {
        lock.lock();
        try {
            long sum = 0;
            for (long v : dirtyBytes.values()) {
                sum += v;
            }
            return sum;
        } finally {
            lock.unlock();
        }
    }

    private static String describe(TarnException e) {
        return e == null ? "no sync has failed yet" : e.getMessage();
    }
}
