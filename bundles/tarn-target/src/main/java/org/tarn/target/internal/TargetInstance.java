package org.tarn.target.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.CommitStatus;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.target.ConnectReply;
import org.tarn.target.RecoveryStatus;
import org.tarn.target.Reply;
import org.tarn.target.Target;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetSettings;
import org.tarn.target.TargetState;
import org.tarn.target.TargetUpdate;

/**
 * One mount of a storage target: transaction numbers, {@code last_committed},
 * client records and the recovery window, in the spirit of Lustre's target
 * recovery (ldiskfs/ZFS OSD + {@code tgt_*} + {@code last_rcvd}).
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>Records.</b> A target is the dataset {@code target:<name>}. Its first
 * object is {@link LastRcvd}: a header (role, name, the highest transaction
 * number {@code lastTransno}, the committed mark) and one slot per client
 * (its id, the transaction number of its last executed request, that
 * request's reply). A request runs in one DMU transaction that holds the
 * update itself, the client's slot and the header counters; the DMU makes the
 * whole transaction group durable or none of it, so after any crash or force
 * export a client's slot says exactly which of its requests are on disk.
 *
 * <p><b>Transaction numbers.</b> Requests run one at a time per target, under
 * {@link #lock}; each takes {@code lastTransno + 1}. Because each request
 * begins its DMU transaction after the previous one committed its hold,
 * transaction numbers grow with transaction groups: when group {@code g}
 * syncs, every request numbered up to the highest one in {@code g} is on
 * disk. The commit callback of each request therefore simply raises
 * {@code lastCommitted} to that request's <i>mark</i>. For a new request the
 * mark is its own number; the header's committed mark is written with it, so
 * after a failover {@code lastCommitted} starts at exactly the last request
 * that was synced. An aborted group (force export) raises nothing.
 *
 * <p><b>Recovery.</b> A mount that finds clients on record opens a recovery
 * window of {@link TargetSettings#recoveryWindowMillis()}. During it only
 * known clients may connect (a new client, or a new request, gets
 * {@link ErrorCode#RECOVERING}); each reconnected client learns its last
 * executed transaction number and replays the requests it kept:
 * <ul>
 * <li>a replay numbered at or below the client's record was executed before
 * (and, if at or below {@code lastCommitted}, is on disk): it is answered
 * from the record without executing it again (the reply itself is kept for
 * the last request only);</li>
 * <li>a replay above the record was lost with the unsynced groups: it is
 * executed under its original number, once.</li>
 * </ul>
 * Replays of different clients run in arrival order, not in global
 * transaction-number order as Lustre does; this is safe because a client's
 * requests only depend on its own earlier ones (each client replays in its
 * own order), which is how OST object updates behave but is a
 * simplification for an MDT. Because replays may then commit out of number
 * order, they carry the mark of the mount ({@code lastCommitted} does not
 * move during the window), and ending the window writes a barrier header
 * whose mark is {@code lastTransno}, committed after every replay.
 *
 * <p>The window ends when every known client has called
 * {@code replayDone}, when it times out, or when an operator aborts it;
 * known clients that have not finished are then evicted: their slots are
 * cleared and their next request fails with {@link ErrorCode#EVICTED}. An
 * unmount during the window ends nothing: the records stay for the next
 * mount.
 *
 * <p><b>Failures.</b> A force export of the pool invalidates the dataset
 * handle: the target is {@link TargetState#FAILED} as soon as it sees the
 * event or a request fails with {@link ErrorCode#POOL_EXPORTED}; marking it
 * failed never takes the lock, so it cannot wait behind a request that is
 * stuck on the pool. The DMU has no rollback: an update that throws leaves
 * what it changed without a transaction number (updates check before they
 * change).
 */
final class TargetInstance implements Target {
    private static final Logger LOG = LoggerFactory.getLogger(TargetInstance.class);
    /** Evicted client ids remembered for a clear error, at most this many. */
    private static final int EVICTED_MEMORY = 1024;

    private final Pool pool;
    private final String name;
    private final TargetSettings settings;
    private final Events events;
    private final ScheduledExecutorService timer;
    private final Executor workers;
    private final String where;

    private final ReentrantLock lock = new ReentrantLock();
    // ---- guarded by lock
    private Dataset dataset;
    private long lastRcvdId;
    private TargetRole role;
    private long lastTransno;
    /** The committed mark last written to the header. */
    private long committedMark;
    private final Map<String, ClientRecord> clients = new TreeMap<>();
    private final LinkedHashSet<String> evicted = new LinkedHashSet<>();
    private final TreeSet<Integer> freeSlots = new TreeSet<>();
    private int nextSlot = 1;
    private ScheduledFuture<?> recoveryTimer;
    private long replayed;
    private long reconstructed;
    private int knownAtMount;
    private int evictedCount;
    // ---- readable without the lock
    private volatile TargetState state = TargetState.UNMOUNTED;
    private volatile String failure;
    private final AtomicLong lastCommitted = new AtomicLong();
    private volatile long lastTransnoSeen;
    private volatile RecoveryStatus recovery;
    private volatile long recoveryDeadlineNanos;
    private volatile List<String> clientIds = List.of();

    /** Where a target reports its events. */
    interface Events {
        void fire(TargetInstance target, String type, String detail);
    }

    private TargetInstance(Pool pool, String name, TargetSettings settings, Events events,
                           ScheduledExecutorService timer, Executor workers) {
        this.pool = pool;
        this.name = name;
        this.settings = settings;
        this.events = events;
        this.timer = timer;
        this.workers = workers;
        this.where = "target '" + name + "' of pool '" + pool.name() + "'";
        this.recovery = new RecoveryStatus(RecoveryStatus.Phase.NONE, 0, 0, 0, 0, 0, 0, 0,
                settings.recoveryWindowMillis(), "");
    }

    /** The dataset that holds a target. */
    static String datasetName(String target) {
        return TargetSettings.DATASET_PREFIX + target;
    }

    /**
     * Writes a new target's records into its (new, empty) dataset and makes
     * them durable.
     */
    static void format(Pool pool, String name, TargetRole role) {
        try (Dataset ds = pool.openDataset(datasetName(name))) {
            try (Transaction tx = pool.begin()) {
                long obj = ds.createObject(tx);
                LastRcvd.writeHeader(ds, tx, obj, new LastRcvd.Header(name, role, 0, 0, System.currentTimeMillis()));
            }
        }
        pool.sync();
    }

    /**
     * Mounts a target: reads its records and opens the recovery window when
     * it has clients. A target that cannot be read is returned FAILED. Call
     * {@link #announceMount()} once the handle is published.
     */
    static TargetInstance mount(Pool pool, String name, TargetSettings settings, Events events,
                                ScheduledExecutorService timer, Executor workers) {
        TargetInstance t = new TargetInstance(pool, name, settings, events, timer, workers);
        t.lock.lock();
        try {
            t.load();
        } catch (RuntimeException e) {
            t.closeQuietly();
            t.failure = e.getMessage();
            t.state = TargetState.FAILED;
            LOG.warn("{} cannot be mounted: {}", t.where, e.getMessage());
            return t;
        } finally {
            t.lock.unlock();
        }
        return t;
    }

    /** Tells the listeners of a successful mount; the caller publishes the handle first. */
    void announceMount() {
        if (state == TargetState.FAILED) {
            events.fire(this, "failed", failure);
            return;
        }
        events.fire(this, "mounted", knownAtMount > 0 && recovery.phase() == RecoveryStatus.Phase.RECOVERING
                ? "recovering " + knownAtMount + " client(s) for up to " + settings.recoveryWindowMillis() + " ms"
                : "no clients to recover");
    }

    private void load() {
        dataset = pool.openDataset(datasetName(name));
        List<Long> objects = dataset.objects();
        if (objects.isEmpty()) {
            throw new TarnException(ErrorCode.NO_VALID_LABEL, where + ": its dataset holds no target records");
        }
        lastRcvdId = objects.get(0);
        LastRcvd.Header h = LastRcvd.readHeader(dataset, lastRcvdId, where);
        role = h.role();
        lastTransno = h.lastTransno();
        committedMark = h.committedMark();
        int slots = LastRcvd.slots(dataset, lastRcvdId);
        for (int s = 1; s < slots; s++) {
            ClientRecord c = LastRcvd.readClient(dataset, lastRcvdId, s);
            if (c == null) {
                freeSlots.add(s);
            } else {
                clients.put(c.id, c);
                lastTransno = Math.max(lastTransno, c.lastTransno);
            }
        }
        nextSlot = Math.max(1, slots);
        lastCommitted.set(committedMark);
        lastTransnoSeen = lastTransno;
        knownAtMount = clients.size();
        if (!clients.isEmpty() && !pool.readOnly()) {
            state = TargetState.RECOVERING;
            recoveryDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.recoveryWindowMillis());
            recoveryTimer = timer.schedule(() -> workers.execute(this::recoveryTimedOut),
                    settings.recoveryWindowMillis(), TimeUnit.MILLISECONDS);
        } else {
            clients.values().forEach(c -> {
                c.connected = true;
                c.done = true;
            });
            state = TargetState.ACTIVE;
        }
        snapshot(state == TargetState.RECOVERING ? RecoveryStatus.Phase.RECOVERING : RecoveryStatus.Phase.NONE, "");
    }

    // ---- getters (never take the lock) ------------------------------------

    @Override
    public String pool() {
        return pool.name();
    }

    long poolGuid() {
        return pool.guid();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TargetRole role() {
        return role;
    }

    @Override
    public TargetState state() {
        return state;
    }

    @Override
    public long lastTransno() {
        return lastTransnoSeen;
    }

    @Override
    public long lastCommitted() {
        return lastCommitted.get();
    }

    @Override
    public RecoveryStatus recovery() {
        RecoveryStatus r = recovery;
        if (r.phase() != RecoveryStatus.Phase.RECOVERING) {
            return r;
        }
        long left = Math.max(0, TimeUnit.NANOSECONDS.toMillis(recoveryDeadlineNanos - System.nanoTime()));
        return new RecoveryStatus(r.phase(), r.knownClients(), r.connectedClients(), r.completedClients(),
                r.evictedClients(), r.replayedRequests(), r.reconstructedReplies(), left, r.windowMillis(),
                r.endReason());
    }

    @Override
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public List<String> clients() {
        return clientIds;
    }

    @Override
    public String toString() {
        return where + " (" + state + ")";
    }

    // ---- client requests --------------------------------------------------

    @Override
    public ConnectReply connect(String clientId) {
        checkClientId(clientId);
        lock.lock();
        try {
            checkMounted();
            ClientRecord c = clients.get(clientId);
            if (state == TargetState.RECOVERING) {
                if (c == null && evicted.contains(clientId)) {
                    throw new TarnException(ErrorCode.EVICTED, "client '" + clientId + "' was evicted from " + where
                            + "; connect again as a new client when recovery ends");
                }
                if (c == null) {
                    throw recovering("client '" + clientId + "' is not one of its " + knownAtMount
                            + " known clients and may connect when recovery ends");
                }
                c.connected = true;
                snapshot(RecoveryStatus.Phase.RECOVERING, "");
                return new ConnectReply(name, lastCommitted.get(), c.lastTransno, true, recovery().remainingMillis());
            }
            if (c == null) {
                c = newClient(clientId);
            }
            c.connected = true;
            c.done = true;
            return new ConnectReply(name, lastCommitted.get(), c.lastTransno, false, 0);
        } finally {
            lock.unlock();
        }
    }

    private ClientRecord newClient(String clientId) {
        Integer free = freeSlots.pollFirst();
        int slot = free != null ? free : nextSlot++;
        ClientRecord c = new ClientRecord(clientId, slot);
        try (Transaction tx = begin()) {
            LastRcvd.writeClient(dataset, tx, lastRcvdId, c);
        } catch (RuntimeException e) {
            if (free != null) {
                freeSlots.add(slot);
            }
            throw failIfGone(e);
        }
        clients.put(clientId, c);
        evicted.remove(clientId);
        clientIds = List.copyOf(clients.keySet());
        return c;
    }

    @Override
    public Reply execute(String clientId, TargetUpdate update) {
        lock.lock();
        try {
            checkMounted();
            if (state == TargetState.RECOVERING) {
                throw recovering("new requests wait until it ends");
            }
            ClientRecord c = client(clientId);
            long transno = lastTransno + 1;
            return run(c, transno, transno, update);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Reply replay(String clientId, long transno, TargetUpdate update) {
        lock.lock();
        try {
            checkMounted();
            ClientRecord c = client(clientId);
            if (transno <= c.lastTransno) {
                reconstructed++;
                if (state == TargetState.RECOVERING) {
                    snapshot(RecoveryStatus.Phase.RECOVERING, "");
                }
                boolean kept = transno == c.lastTransno && c.replyKept;
                return new Reply(transno, lastCommitted.get(), kept ? c.reply : new byte[0],
                        kept ? Reply.Kind.RECONSTRUCTED : Reply.Kind.REPLY_NOT_KEPT);
            }
            if (state != TargetState.RECOVERING) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, where + " is not recovering and never executed "
                        + "transno " + transno + " of client '" + clientId + "' (its last is " + c.lastTransno
                        + "); send it as a new request");
            }
            if (c.done) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + clientId + "' of " + where
                        + " already finished its replay");
            }
            if (transno <= committedMark) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + clientId + "' replays transno "
                        + transno + ", at or below last_committed " + committedMark + ", but its record ends at "
                        + c.lastTransno + ": " + where + " never executed it for this client");
            }
            Reply r = run(c, transno, committedMark, update);
            replayed++;
            snapshot(RecoveryStatus.Phase.RECOVERING, "");
            return r;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Executes an update under {@code transno} in one transaction with the
     * client's record and the header counters; {@code mark} is what the
     * commit callback raises {@code lastCommitted} to.
     */
    private Reply run(ClientRecord c, long transno, long mark, TargetUpdate update) {
        byte[] reply;
        try (Transaction tx = begin()) {
            byte[] out = update.apply(new TargetDataView(dataset, tx, lastRcvdId, where));
            reply = out == null ? new byte[0] : out.clone();
            long newLast = Math.max(lastTransno, transno);
            LastRcvd.writeCounters(dataset, tx, lastRcvdId, newLast, mark);
            c.lastTransno = transno;
            c.replyKept = reply.length <= TargetSettings.MAX_REPLY_BYTES;
            c.reply = c.replyKept ? reply : new byte[0];
            LastRcvd.writeClient(dataset, tx, lastRcvdId, c);
            lastTransno = newLast;
            lastTransnoSeen = newLast;
            committedMark = mark;
            tx.onCommit((txg, status) -> committed(mark, status));
        } catch (RuntimeException e) {
            throw failIfGone(e);
        }
        return new Reply(transno, lastCommitted.get(), reply, Reply.Kind.EXECUTED);
    }

    private void committed(long mark, CommitStatus status) {
        if (status == CommitStatus.COMMITTED) {
            lastCommitted.accumulateAndGet(mark, Math::max);
        }
    }

    @Override
    public void replayDone(String clientId) {
        lock.lock();
        try {
            checkMounted();
            ClientRecord c = client(clientId);
            if (state != TargetState.RECOVERING || c.done) {
                return;
            }
            if (!c.connected) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + clientId + "' has not reconnected "
                        + "to " + where);
            }
            c.done = true;
            snapshot(RecoveryStatus.Phase.RECOVERING, "");
            maybeEndRecovery();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void disconnect(String clientId) {
        drop(clientId, false, "disconnected");
    }

    @Override
    public void evict(String clientId) {
        drop(clientId, true, "evicted by an operator");
    }

    private void drop(String clientId, boolean evict, String why) {
        lock.lock();
        try {
            checkMounted();
            ClientRecord c = client(clientId);
            removeClients(List.of(c), evict);
            if (evict) {
                evictedCount++;
            }
            if (state == TargetState.RECOVERING) {
                snapshot(RecoveryStatus.Phase.RECOVERING, "");
                maybeEndRecovery();
            }
        } finally {
            lock.unlock();
        }
        if (evict) {
            events.fire(this, "evicted", "client '" + clientId + "': " + why);
        }
    }

    /** Clears the slots of these clients in one transaction. Under the lock. */
    private void removeClients(List<ClientRecord> gone, boolean evict) {
        if (gone.isEmpty()) {
            return;
        }
        try (Transaction tx = begin()) {
            for (ClientRecord c : gone) {
                LastRcvd.clearClient(dataset, tx, lastRcvdId, c.slot);
            }
        } catch (RuntimeException e) {
            throw failIfGone(e);
        }
        for (ClientRecord c : gone) {
            clients.remove(c.id);
            freeSlots.add(c.slot);
            if (evict) {
                evicted.add(c.id);
                if (evicted.size() > EVICTED_MEMORY) {
                    evicted.remove(evicted.iterator().next());
                }
            }
        }
        clientIds = List.copyOf(clients.keySet());
    }

    @Override
    public String abortRecovery() {
        lock.lock();
        try {
            checkMounted();
            if (state != TargetState.RECOVERING) {
                return where + " is not recovering (" + state + ")";
            }
            return endRecovery("aborted by an operator");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public <T> T read(Function<org.tarn.target.TargetData, T> reader) {
        checkMounted();
        try {
            return reader.apply(new TargetDataView(dataset, null, lastRcvdId, where));
        } catch (RuntimeException e) {
            throw failIfGone(e);
        }
    }

    // ---- recovery ---------------------------------------------------------

    private void maybeEndRecovery() {
        if (state == TargetState.RECOVERING && clients.values().stream().allMatch(c -> c.done)) {
            endRecovery("all " + knownAtMount + " known client(s) finished replay or left");
        }
    }

    private void recoveryTimedOut() {
        lock.lock();
        try {
            if (state == TargetState.RECOVERING) {
                endRecovery("timed out after " + settings.recoveryWindowMillis() + " ms");
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: ending recovery failed: {}", where, e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the window: evicts the known clients that did not finish, writes
     * the barrier header, and serves everyone. Under the lock.
     */
    private String endRecovery(String reason) {
        if (recoveryTimer != null) {
            recoveryTimer.cancel(false);
        }
        List<ClientRecord> late = new ArrayList<>();
        for (ClientRecord c : clients.values()) {
            if (!c.done) {
                late.add(c);
            }
        }
        removeClients(late, true);
        evictedCount += late.size();
        long barrier = lastTransno;
        try (Transaction tx = begin()) {
            LastRcvd.writeCounters(dataset, tx, lastRcvdId, lastTransno, barrier);
            committedMark = barrier;
            tx.onCommit((txg, status) -> committed(barrier, status));
        } catch (RuntimeException e) {
            throw failIfGone(e);
        }
        List<String> lateIds = late.stream().map(c -> c.id).toList();
        String detail = reason + (lateIds.isEmpty() ? "" : "; evicted " + lateIds);
        synchronized (this) {
            if (state == TargetState.RECOVERING) {
                state = TargetState.ACTIVE;
            }
        }
        snapshot(RecoveryStatus.Phase.COMPLETE, detail);
        LOG.info("{}: recovery finished: {}", where, detail);
        events.fire(this, "recovery-finished", detail);
        return "recovery of " + where + " ended: " + detail;
    }

    /** Publishes the recovery counters for readers. Under the lock. */
    private void snapshot(RecoveryStatus.Phase phase, String endReason) {
        int connected = 0;
        int done = 0;
        for (ClientRecord c : clients.values()) {
            connected += c.connected ? 1 : 0;
            done += c.done ? 1 : 0;
        }
        if (phase != RecoveryStatus.Phase.RECOVERING && recovery.phase() == RecoveryStatus.Phase.RECOVERING) {
            // keep the counts of the window as it ended
            connected = recovery.connectedClients();
            done = recovery.completedClients();
        }
        recovery = new RecoveryStatus(phase, knownAtMount, connected, done, evictedCount, replayed, reconstructed,
                0, settings.recoveryWindowMillis(), endReason);
        clientIds = List.copyOf(clients.keySet());
    }

    // ---- unmount and failure ---------------------------------------------

    /**
     * Unmounts cleanly: waits for the request in progress, syncs so that
     * {@code lastCommitted} reaches {@code lastTransno}, closes the dataset.
     *
     * @param sync syncs the pool, failing rather than waiting when the pool suspends
     * @return false when the target was not mounted
     */
    boolean unmount(Runnable sync) {
        boolean locked;
        try {
            locked = lock.tryLock(settings.unmountWaitMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TarnException(ErrorCode.BUSY, "interrupted while unmounting " + where);
        }
        if (!locked) {
            throw new TarnException(ErrorCode.BUSY, where + ": a request did not finish within "
                    + settings.unmountWaitMillis() + " ms; retry, or force-export the pool");
        }
        try {
            TargetState was;
            synchronized (this) {
                was = state;
                if (was != TargetState.ACTIVE && was != TargetState.RECOVERING) {
                    return false;
                }
                state = TargetState.UNMOUNTING;
            }
            try {
                sync.run();
            } catch (RuntimeException e) {
                synchronized (this) {
                    if (state == TargetState.UNMOUNTING) {
                        state = was;
                    }
                }
                throw failIfGone(e);
            }
            if (recoveryTimer != null) {
                recoveryTimer.cancel(false);
            }
            synchronized (this) {
                if (state != TargetState.UNMOUNTING) {
                    return false;
                }
                state = TargetState.UNMOUNTED;
            }
            closeQuietly();
        } finally {
            lock.unlock();
        }
        events.fire(this, "unmounted", "last_committed " + lastCommitted.get() + ", last transno " + lastTransnoSeen);
        return true;
    }

    /**
     * Marks the target failed without taking the lock (a request may be stuck
     * on the pool); its handle is already dead or about to be.
     *
     * @return false when it was already unmounted or failed
     */
    boolean fail(String reason) {
        synchronized (this) {
            if (state == TargetState.FAILED || state == TargetState.UNMOUNTED) {
                return false;
            }
            failure = reason;
            state = TargetState.FAILED;
        }
        ScheduledFuture<?> t = recoveryTimer;
        if (t != null) {
            t.cancel(false);
        }
        closeQuietly();
        LOG.warn("{} failed: {}", where, reason);
        events.fire(this, "failed", reason);
        return true;
    }

    /** Marks the target unmounted when its pool was exported underneath it (a forced clean export). */
    void gone(String reason) {
        synchronized (this) {
            if (state == TargetState.FAILED || state == TargetState.UNMOUNTED) {
                return;
            }
            state = TargetState.UNMOUNTED;
            failure = reason;
        }
        closeQuietly();
        events.fire(this, "unmounted", reason);
    }

    private void closeQuietly() {
        Dataset ds = dataset;
        if (ds != null) {
            try {
                ds.close();
            } catch (RuntimeException e) {
                LOG.debug("{}: closing its dataset: {}", where, e.toString());
            }
        }
    }

    // ---- helpers ----------------------------------------------------------

    private Transaction begin() {
        return pool.begin();
    }

    /** Fails the target when the pool went away under a request; returns the exception to throw. */
    private RuntimeException failIfGone(RuntimeException e) {
        if (e instanceof TarnException t && t.code() == ErrorCode.POOL_EXPORTED) {
            fail(t.getMessage());
            return new TarnException(ErrorCode.POOL_EXPORTED, where + " failed: " + t.getMessage(), t);
        }
        return e;
    }

    private void checkMounted() {
        TargetState s = state;
        if (s == TargetState.FAILED) {
            throw new TarnException(ErrorCode.POOL_EXPORTED, where + " failed: " + failure);
        }
        if (s == TargetState.UNMOUNTED || s == TargetState.UNMOUNTING) {
            throw new TarnException(ErrorCode.POOL_EXPORTED, where + " is unmounted"
                    + (failure == null ? "" : " (" + failure + ")") + "; its pool was exported");
        }
    }

    private ClientRecord client(String clientId) {
        ClientRecord c = clients.get(clientId);
        if (c != null) {
            if (state == TargetState.ACTIVE && !c.connected) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + clientId + "' must connect to "
                        + where + " first");
            }
            return c;
        }
        if (evicted.contains(clientId)) {
            throw new TarnException(ErrorCode.EVICTED, "client '" + clientId + "' was evicted from " + where
                    + "; its unreplayed requests are lost: connect again as a new client"
                    + (state == TargetState.RECOVERING ? " when recovery ends" : ""));
        }
        if (state == TargetState.RECOVERING) {
            throw recovering("client '" + clientId + "' is not one of its known clients");
        }
        throw new TarnException(ErrorCode.NOT_FOUND, "client '" + clientId + "' is not connected to " + where
                + "; connect first");
    }

    private TarnException recovering(String what) {
        RecoveryStatus r = recovery();
        return new TarnException(ErrorCode.RECOVERING, where + " is recovering (" + r.completedClients() + " of "
                + r.knownClients() + " clients done, " + r.remainingMillis() + " ms left): " + what);
    }

    private static void checkClientId(String clientId) {
        if (clientId == null || clientId.isBlank()
                || clientId.getBytes(StandardCharsets.UTF_8).length > TargetSettings.MAX_CLIENT_ID_BYTES
                || clientId.chars().anyMatch(Character::isISOControl)) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "invalid client id '" + clientId + "': 1 to "
                    + TargetSettings.MAX_CLIENT_ID_BYTES + " UTF-8 bytes, no control characters");
        }
    }
}
