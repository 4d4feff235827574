package org.tarn.target.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.CommitStatus;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.target.ConnectReply;
import org.tarn.target.RecoveryStatus;
import org.tarn.target.Reply;
import org.tarn.target.RequestContext;
import org.tarn.target.Target;
import org.tarn.target.TargetData;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetSettings;
import org.tarn.target.TargetState;
import org.tarn.target.TargetUpdate;

/**
 * One mount of a storage target: transaction numbers, {@code last_committed},
 * client records, exactly-once execution and the recovery window, in the
 * spirit of Lustre's target recovery ({@code tgt_*}, {@code last_rcvd},
 * {@code reply_data}).
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>Records.</b> A target is the dataset {@code target:<name>}; its first
 * three objects are the records described in {@link LastRcvd}: the header
 * and one slot per client, a ring of reply records per client, and the
 * objects' attributes. A request runs in one DMU transaction that holds the
 * change itself, the header's {@code lastTransno}, the client's
 * {@code lastTransno} and the request's reply record ({@code xid},
 * transaction number, reply). The DMU makes a whole transaction group
 * durable or none of it, so after any crash or force export the records say
 * exactly which requests are on disk.
 *
 * <p><b>Transaction numbers follow transaction groups.</b> A request first
 * begins its DMU transaction with no target lock held (beginning may be
 * throttled, or block under {@code failmode=wait} until a clear or a force
 * export), then takes {@link #lock} for the short part: it refuses a
 * transaction whose group is older than one already used by a numbered
 * request (it commits it empty and begins again; this only happens at a group
 * boundary), takes {@code lastTransno + 1}, applies the change and writes the
 * records. So numbers are given out in the order changes are applied and
 * never decrease from one group to the next: when group {@code g} syncs,
 * every number up to the highest in {@code g} is on disk, and after a
 * failover the durable requests are exactly those numbered up to the
 * header's {@code lastTransno} (no gaps). Each commit callback raises
 * {@code lastCommitted} to its own number. Reads take no lock and no number.
 * The lock is never held across {@code begin()} or a sync; it may be held
 * across the device reads of a change (a partial block write reads the old
 * block), bounded by the pool's I/O deadline.
 *
 * <p><b>Clients.</b> A new client's slot is made durable (the pool syncs)
 * before its connect returns, as Lustre writes a new client's
 * {@code last_rcvd} slot synchronously: a failover server then knows every
 * client that may hold answered requests, and lets it replay them.
 *
 * <p><b>Exactly once.</b> A numbered request ({@link RequestContext#xid()})
 * leaves a reply record; a resend of it (a client that lost the reply) is
 * answered from the record, here or on a failover server once committed,
 * and a resend of one still running waits for it. A client may run at most
 * {@link TargetSettings#REPLY_RECORDS_PER_CLIENT} xids beyond its oldest
 * unanswered one ({@link RequestContext#repliedXid()}), so its ring never
 * overwrites a record it may still ask for.
 *
 * <p><b>Recovery.</b> A mount after an unclean handover (a crash, a force
 * export: the header's clean flag is off) that finds clients on record opens
 * a recovery window of {@link TargetSettings#recoveryWindowMillis()}. During
 * it only known clients may connect (a new client, or a new request, gets
 * {@link ErrorCode#RECOVERING}); each reconnected client learns its last
 * executed transaction number and replays, one at a time and in order, the
 * requests it got replies for that were not yet committed:
 * <ul>
 * <li>a replay numbered at or below the mount's {@code lastTransno} is on
 * disk: it is answered from the records without executing it again;</li>
 * <li>one above it was lost with the unsynced groups: it waits for its turn
 * and is executed under its original number, once. Replays of all clients
 * run in global transaction-number order (dependent changes replay as they
 * first ran): the next number runs as soon as it arrives; a missing number
 * is skipped only when every client still expected has a replay waiting or
 * has finished, so it can no longer come.</li>
 * </ul>
 * Then the client calls {@code replayDone} and resends what never got a reply
 * (answered from the records if it had run). The window ends when every
 * known client is done; at its deadline the clients that never reconnected
 * are evicted, and those that reconnected get half a window more before they
 * are evicted too. Evicted clients' slots are cleared and their next request
 * fails with {@link ErrorCode#EVICTED}. A clean unmount (export) writes the
 * clean flag after the target's last change and syncs, so the next mount
 * needs no window: every request it ever answered is on disk. An unmount
 * during the window leaves the flag off and the records as they are.
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
    /** Signalled when the replay queue or a client's recovery state changes. */
    private final Condition replayTurn = lock.newCondition();
    // ---- guarded by lock
    private Dataset dataset;
    private long lastRcvdId;
    private long replyId;
    private TargetDataView.Ids ids;
    private final TargetDataView.Fids fids = new TargetDataView.Fids();
    private TargetRole role;
    private long lastTransno;
    /** The newest transaction group a numbered request used. */
    private long newestTxg;
    private long nextGeneration;
    /** The header's lastTransno at mount: everything up to it is on disk. */
    private long mountTransno;
    private final Map<String, ClientRecord> clients = new TreeMap<>();
    private final LinkedHashSet<String> evicted = new LinkedHashSet<>();
    private final TreeSet<Integer> freeSlots = new TreeSet<>();
    private int nextSlot = 1;
    private final PriorityQueue<QueuedReplay> replays = new PriorityQueue<>(
            Comparator.comparingLong(QueuedReplay::transno));
    /** The next transaction number recovery expects; replays below it were run or skipped. */
    private long nextReplay;
    /** A replay is executing now (they run one at a time). */
    private boolean replaying;
    private ScheduledFuture<?> recoveryTimer;
    private boolean hardDeadline;
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

    /** A replay waiting for its turn. */
    private record QueuedReplay(long transno, ClientRecord client) {
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
                long replies = ds.createObject(tx);
                long attrs = ds.createObject(tx);
                long oi = ds.createObject(tx);
                LastRcvd.writeHeader(ds, tx, obj, new LastRcvd.Header(name, role, 0, true, 1,
                        System.currentTimeMillis(), replies, attrs, oi, 0));
            }
        }
        pool.sync();
    }

    /**
     * Mounts a target: reads its records and opens the recovery window when
     * it was not unmounted cleanly and has clients. A target that cannot be
     * read is returned FAILED. Call {@link #announceMount()} once the handle
     * is published.
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
        events.fire(this, "mounted", recovery.phase() == RecoveryStatus.Phase.RECOVERING
                ? "recovering " + knownAtMount + " client(s) for up to " + settings.recoveryWindowMillis() + " ms"
                : knownAtMount > 0 ? "unmounted cleanly: " + knownAtMount + " client(s) need no recovery"
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
        replyId = h.replyObject();
        ids = new TargetDataView.Ids(lastRcvdId, h.attrObject(), h.oiObject());
        fids.last = h.lastFid();
        lastTransno = h.lastTransno();
        nextGeneration = Math.max(1, h.nextGeneration());
        int slots = LastRcvd.slots(dataset, lastRcvdId);
        for (int s = 1; s < slots; s++) {
            ClientRecord c = LastRcvd.readClient(dataset, lastRcvdId, s);
            if (c == null) {
                freeSlots.add(s);
            } else {
                for (LastRcvd.Kept k : LastRcvd.readRecords(dataset, replyId, c)) {
                    c.kept.put(k.xid(), k);
                }
                clients.put(c.id, c);
                lastTransno = Math.max(lastTransno, c.lastTransno);
                nextGeneration = Math.max(nextGeneration, c.generation + 1);
            }
        }
        nextSlot = Math.max(1, slots);
        mountTransno = lastTransno;
        nextReplay = lastTransno + 1;
        // everything on disk is committed
        lastCommitted.set(lastTransno);
        lastTransnoSeen = lastTransno;
        knownAtMount = clients.size();
        if (!clients.isEmpty() && !h.clean() && !pool.readOnly()) {
            state = TargetState.RECOVERING;
            recoveryDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.recoveryWindowMillis());
            recoveryTimer = timer.schedule(() -> workers.execute(this::recoveryTimedOut),
                    settings.recoveryWindowMillis(), TimeUnit.MILLISECONDS);
        } else {
            clients.values().forEach(c -> c.done = true);
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

    // ---- connect ----------------------------------------------------------

    @Override
    public ConnectReply connect(String clientId) {
        checkClientId(clientId);
        boolean[] created = new boolean[1];
        ConnectReply r = connectOnce(clientId, created);
        if (created[0]) {
            // as Lustre does for a new client's last_rcvd slot: on disk before the client may send anything, so
            // that a failover server knows the client and lets it replay whatever it is answered from now on
            sync(settings.unmountWaitMillis());
        }
        return r;
    }

    private ConnectReply connectOnce(String clientId, boolean[] created) {
        Transaction tx = null;
        try {
            while (true) {
                lock.lock();
                try {
                    checkMounted();
                    ClientRecord c = clients.get(clientId);
                    if (state == TargetState.RECOVERING) {
                        if (c == null && evicted.contains(clientId)) {
                            throw new TarnException(ErrorCode.EVICTED, "client '" + clientId + "' was evicted from "
                                    + where + "; connect again as a new client when recovery ends");
                        }
                        if (c == null) {
                            throw recovering("client '" + clientId + "' is not one of its " + knownAtMount
                                    + " known clients and may connect when recovery ends");
                        }
                        c.connected = true;
                        snapshot(RecoveryStatus.Phase.RECOVERING, "");
                        replayTurn.signalAll();
                        return new ConnectReply(name, lastCommitted.get(), c.lastTransno, true,
                                recovery().remainingMillis());
                    }
                    if (c == null && tx != null) {
                        c = newClient(clientId, tx);
                        created[0] = true;
                    }
                    if (c != null) {
                        c.connected = true;
                        c.done = true;
                        return new ConnectReply(name, lastCommitted.get(), c.lastTransno, false, 0);
                    }
                } finally {
                    lock.unlock();
                }
                // a new client needs a transaction for its slot: begin it without the lock, then look again
                tx = begin();
            }
        } catch (RuntimeException e) {
            throw failIfGone(e);
        } finally {
            if (tx != null) {
                tx.commit();
            }
        }
    }

    /** Gives a new client a slot in {@code tx}. Under the lock. */
    private ClientRecord newClient(String clientId, Transaction tx) {
        Integer free = freeSlots.pollFirst();
        int slot = free != null ? free : nextSlot++;
        ClientRecord c = new ClientRecord(clientId, slot, nextGeneration++);
        try {
            LastRcvd.writeClient(dataset, tx, lastRcvdId, c);
            LastRcvd.writeNextGeneration(dataset, tx, lastRcvdId, nextGeneration);
            // a client that may hold answers the disk does not have yet: a crash from now on needs recovery
            LastRcvd.writeClean(dataset, tx, lastRcvdId, false);
        } catch (RuntimeException e) {
            if (free != null) {
                freeSlots.add(slot);
            }
            throw e;
        }
        clients.put(clientId, c);
        evicted.remove(clientId);
        clientIds = List.copyOf(clients.keySet());
        return c;
    }

    // ---- requests ---------------------------------------------------------

    @Override
    public Reply execute(String clientId, RequestContext request, TargetUpdate update) {
        if (update.readOnly()) {
            return read(clientId, request, update);
        }
        long xid = request.xid();
        ClientRecord c;
        CompletableFuture<Reply> mine = null;
        CompletableFuture<Reply> running = null;
        lock.lock();
        try {
            checkMounted();
            c = client(clientId);
            if (xid > 0) {
                Reply answered = recorded(c, request);
                if (answered != null) {
                    return answered;
                }
                running = c.running.get(xid);
                if (running == null) {
                    if (state == TargetState.RECOVERING) {
                        throw recovering("new requests wait until it ends");
                    }
                    mine = new CompletableFuture<>();
                    c.running.put(xid, mine);
                }
            } else if (state == TargetState.RECOVERING) {
                throw recovering("new requests wait until it ends");
            }
        } finally {
            lock.unlock();
        }
        if (running != null) {
            return awaitRunning(running, clientId, xid);
        }
        try {
            Reply r = runNew(clientId, request, update);
            if (mine != null) {
                mine.complete(r);
            }
            return r;
        } catch (RuntimeException e) {
            if (mine != null) {
                mine.completeExceptionally(e);
            }
            throw e;
        } finally {
            if (mine != null) {
                lock.lock();
                try {
                    c.running.remove(xid, mine);
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /**
     * The answer to a numbered request that already ran: from its record, or
     * null. Also checks the client's window and forgets the records it has
     * seen the replies of. Under the lock.
     */
    private Reply recorded(ClientRecord c, RequestContext request) {
        long xid = request.xid();
        if (request.repliedXid() > c.repliedXid) {
            c.repliedXid = request.repliedXid();
            c.kept.headMap(c.repliedXid, true).clear();
        }
        if (xid - c.repliedXid > TargetSettings.REPLY_RECORDS_PER_CLIENT) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + c.id + "' sent xid " + xid + " while "
                    + "xid " + (c.repliedXid + 1) + " is unanswered: at most " + TargetSettings.REPLY_RECORDS_PER_CLIENT
                    + " requests may be outstanding beyond the oldest unanswered one (" + where + ")");
        }
        LastRcvd.Kept k = c.kept.get(xid);
        if (k == null) {
            return null;
        }
        reconstructed++;
        return new Reply(k.transno(), lastCommitted.get(), k.replyKept() ? k.reply() : new byte[0],
                k.replyKept() ? Reply.Kind.RECONSTRUCTED : Reply.Kind.REPLY_NOT_KEPT);
    }

    private Reply awaitRunning(CompletableFuture<Reply> running, String clientId, long xid) {
        try {
            Reply r = running.join();
            return new Reply(r.transno(), lastCommitted.get(), r.data(), Reply.Kind.RECONSTRUCTED);
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof TarnException t) {
                throw new TarnException(t.code(), t.getMessage().substring(t.code().tag().length() + 1)
                        + " (xid " + xid + " of client '" + clientId + "', resent while it ran)", t);
            }
            throw e;
        }
    }

    /** Runs a new change: begins outside the lock, numbers and applies it under the lock. */
    private Reply runNew(String clientId, RequestContext request, TargetUpdate update) {
        while (true) {
            Transaction tx;
            try {
                tx = begin();
            } catch (RuntimeException e) {
                throw failIfGone(e);
            }
            try {
                lock.lock();
                try {
                    checkMounted();
                    if (state == TargetState.RECOVERING) {
                        throw recovering("new requests wait until it ends");
                    }
                    ClientRecord c = client(clientId);
                    if (request.expired()) {
                        throw new TarnException(ErrorCode.TIMED_OUT, "request" + (request.xid() > 0 ? " xid "
                                + request.xid() : "") + " of client '" + clientId + "' reached its deadline before "
                                + where + " could start it; it was not executed");
                    }
                    if (tx.txg() < newestTxg) {
                        // a later request already used a newer group: numbering this one would break the order
                        continue;
                    }
                    long transno = lastTransno + 1;
                    byte[] out = update.apply(view(tx));
                    return record(tx, c, request.xid(), transno, out, Reply.Kind.EXECUTED);
                } finally {
                    lock.unlock();
                }
            } catch (RuntimeException e) {
                throw failIfGone(e);
            } finally {
                tx.commit();
            }
        }
    }

    /**
     * Writes the records of an executed change under {@code transno} into
     * its transaction and registers the commit callback. Under the lock.
     */
    private Reply record(Transaction tx, ClientRecord c, long xid, long transno, byte[] out, Reply.Kind kind) {
        byte[] reply = out == null ? new byte[0] : out.clone();
        boolean keep = reply.length <= TargetSettings.MAX_REPLY_BYTES;
        long newLast = Math.max(lastTransno, transno);
        LastRcvd.writeLastTransno(dataset, tx, lastRcvdId, newLast);
        c.lastTransno = Math.max(c.lastTransno, transno);
        LastRcvd.writeClientLastTransno(dataset, tx, lastRcvdId, c);
        if (xid > 0) {
            LastRcvd.writeRecord(dataset, tx, replyId, c, xid, transno, keep, reply);
            c.kept.put(xid, new LastRcvd.Kept(xid, transno, keep, keep ? reply : new byte[0]));
            while (c.kept.size() > TargetSettings.REPLY_RECORDS_PER_CLIENT) {
                c.kept.pollFirstEntry();
            }
        }
        lastTransno = newLast;
        lastTransnoSeen = newLast;
        newestTxg = Math.max(newestTxg, tx.txg());
        tx.onCommit((txg, status) -> committed(transno, status));
        return new Reply(transno, lastCommitted.get(), reply, kind);
    }

    private void committed(long transno, CommitStatus status) {
        if (status == CommitStatus.COMMITTED) {
            lastCommitted.accumulateAndGet(transno, Math::max);
        }
    }

    /** A read-only update: no transaction, no number, no lock while it runs. */
    private Reply read(String clientId, RequestContext request, TargetUpdate update) {
        lock.lock();
        try {
            checkMounted();
            client(clientId);
            if (state == TargetState.RECOVERING) {
                throw recovering("new requests wait until it ends");
            }
        } finally {
            lock.unlock();
        }
        if (request.expired()) {
            throw new TarnException(ErrorCode.TIMED_OUT, "read of client '" + clientId + "' reached its deadline "
                    + "before " + where + " could start it");
        }
        try {
            byte[] out = update.apply(new TargetDataView(dataset, null, ids, null, where));
            return new Reply(0, lastCommitted.get(), out == null ? new byte[0] : out, Reply.Kind.EXECUTED);
        } catch (RuntimeException e) {
            throw failIfGone(e);
        }
    }

    private TargetData view(Transaction tx) {
        return new TargetDataView(dataset, tx, ids, fids, where);
    }

    // ---- replay -----------------------------------------------------------

    @Override
    public Reply replay(String clientId, long transno, RequestContext request, TargetUpdate update) {
        if (transno <= 0) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "a replay needs the transaction number its request "
                    + "got, not " + transno);
        }
        ClientRecord c;
        QueuedReplay mine;
        lock.lock();
        try {
            checkMounted();
            c = client(clientId);
            Reply answered = answeredReplay(c, transno, request);
            if (answered != null) {
                return answered;
            }
            // a lost request: executed once, under its number, in global transno order
            mine = new QueuedReplay(transno, c);
            replays.add(mine);
            c.queued++;
            replayTurn.signalAll();
            try {
                while (true) {
                    checkMounted();
                    if (!clients.containsKey(clientId) || clients.get(clientId) != c) {
                        throw evictedError(clientId);
                    }
                    if (state != TargetState.RECOVERING) {
                        throw new TarnException(ErrorCode.EVICTED, "recovery of " + where + " ended before transno "
                                + transno + " of client '" + clientId + "' could be replayed");
                    }
                    if (!replaying && replays.peek() == mine && (transno == nextReplay || gapCannotFill())) {
                        break;
                    }
                    replayTurn.awaitUninterruptibly();
                }
                replays.remove(mine);
                replaying = true;
            } finally {
                if (replays.remove(mine)) {
                    replayTurn.signalAll();
                }
                c.queued--;
            }
        } finally {
            lock.unlock();
        }
        try {
            return runReplay(c, transno, request, update);
        } finally {
            lock.lock();
            try {
                replaying = false;
                nextReplay = Math.max(nextReplay, transno + 1);
                replayTurn.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * A replay of a request that ran already (on disk, or earlier in this
     * mount): its answer; null for a lost one that must run. Refuses replays
     * that fit nothing. Under the lock.
     */
    private Reply answeredReplay(ClientRecord c, long transno, RequestContext request) {
        boolean durable = transno <= mountTransno;
        if (durable && transno > c.lastTransno) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + c.id + "' replays transno " + transno
                    + ", which is on disk, but its record ends at " + c.lastTransno + ": " + where
                    + " never executed it for this client");
        }
        boolean ranHere = !durable && transno <= lastTransno && transno <= c.lastTransno;
        if (durable || ranHere || (state != TargetState.RECOVERING && transno <= lastTransno)) {
            reconstructed++;
            if (state == TargetState.RECOVERING) {
                snapshot(RecoveryStatus.Phase.RECOVERING, "");
            }
            LastRcvd.Kept k = request.xid() > 0 ? c.kept.get(request.xid()) : null;
            boolean kept = k != null && k.transno() == transno && k.replyKept();
            return new Reply(transno, lastCommitted.get(), kept ? k.reply() : new byte[0],
                    kept ? Reply.Kind.RECONSTRUCTED : Reply.Kind.REPLY_NOT_KEPT);
        }
        if (state != TargetState.RECOVERING) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, where + " is not recovering and never executed "
                    + "transno " + transno + " of client '" + c.id + "' (its last is " + c.lastTransno
                    + "); send it as a new request");
        }
        if (c.done) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + c.id + "' of " + where
                    + " already finished its replay");
        }
        if (transno < nextReplay) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + c.id + "' replays transno " + transno
                    + " after " + where + " moved past it (replays must come in transno order, one at a time)");
        }
        return null;
    }

    /**
     * Whether the next number can never arrive: every known client still
     * expected has a replay waiting or has finished. Under the lock.
     */
    private boolean gapCannotFill() {
        for (ClientRecord c : clients.values()) {
            if (!c.done && c.queued == 0) {
                return false;
            }
        }
        return true;
    }

    private Reply runReplay(ClientRecord c, long transno, RequestContext request, TargetUpdate update) {
        Transaction tx;
        try {
            tx = begin();
        } catch (RuntimeException e) {
            throw failIfGone(e);
        }
        try {
            lock.lock();
            try {
                checkMounted();
                if (clients.get(c.id) != c) {
                    throw evictedError(c.id);
                }
                byte[] out;
                fids.replaying = true;
                try {
                    out = update.apply(view(tx));
                } finally {
                    fids.replaying = false;
                }
                Reply r = record(tx, c, request.xid(), transno, out, Reply.Kind.EXECUTED);
                replayed++;
                snapshot(RecoveryStatus.Phase.RECOVERING, "");
                return r;
            } finally {
                lock.unlock();
            }
        } catch (RuntimeException e) {
            throw failIfGone(e);
        } finally {
            tx.commit();
        }
    }

    @Override
    public void replayDone(String clientId) {
        String ended = null;
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
            replayTurn.signalAll();
            if (allDone()) {
                ended = "all " + knownAtMount + " known client(s) finished replay or left";
            }
        } finally {
            lock.unlock();
        }
        if (ended != null) {
            endRecovery(ended);
        }
    }

    private boolean allDone() {
        return clients.values().stream().allMatch(c -> c.done);
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
        ClientRecord c;
        lock.lock();
        try {
            checkMounted();
            c = client(clientId);
        } finally {
            lock.unlock();
        }
        removeClients(List.of(c), evict);
        String ended = null;
        lock.lock();
        try {
            if (evict) {
                evictedCount++;
            }
            if (state == TargetState.RECOVERING) {
                snapshot(RecoveryStatus.Phase.RECOVERING, "");
                if (allDone()) {
                    ended = "all " + knownAtMount + " known client(s) finished replay or left";
                }
            }
        } finally {
            lock.unlock();
        }
        if (evict) {
            events.fire(this, "evicted", "client '" + clientId + "': " + why);
        }
        if (ended != null) {
            endRecovery(ended);
        }
    }

    /** Clears the slots of these clients in one transaction; takes the lock after beginning it. */
    private void removeClients(List<ClientRecord> gone, boolean evict) {
        if (gone.isEmpty()) {
            return;
        }
        Transaction tx;
        try {
            tx = begin();
        } catch (RuntimeException e) {
            throw failIfGone(e);
        }
        try {
            lock.lock();
            try {
                for (ClientRecord c : gone) {
                    if (clients.get(c.id) != c) {
                        continue;
                    }
                    LastRcvd.clearClient(dataset, tx, lastRcvdId, c.slot);
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
                replayTurn.signalAll();
            } finally {
                lock.unlock();
            }
        } catch (RuntimeException e) {
            throw failIfGone(e);
        } finally {
            tx.commit();
        }
    }

    @Override
    public String abortRecovery() {
        lock.lock();
        try {
            checkMounted();
            if (state != TargetState.RECOVERING) {
                return where + " is not recovering (" + state + ")";
            }
        } finally {
            lock.unlock();
        }
        return endRecovery("aborted by an operator");
    }

    @Override
    public <T> T read(Function<TargetData, T> reader) {
        checkMounted();
        try {
            return reader.apply(new TargetDataView(dataset, null, ids, null, where));
        } catch (RuntimeException e) {
            throw failIfGone(e);
        }
    }

    @Override
    public long sync(long timeoutMillis) {
        checkMounted();
        CompletableFuture<Void> sync = CompletableFuture.runAsync(pool::sync, workers);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                sync.get(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)), TimeUnit.MILLISECONDS);
                return lastCommitted.get();
            } catch (TimeoutException e) {
                if (pool.state() == PoolState.SUSPENDED) {
                    throw new TarnException(ErrorCode.POOL_SUSPENDED, "pool '" + pool.name() + "' is suspended: "
                            + where + " cannot commit; clear the pool or fail it over");
                }
                if (left <= 0) {
                    throw new TarnException(ErrorCode.TIMED_OUT, where + " did not commit within " + timeoutMillis
                            + " ms (the sync goes on)");
                }
            } catch (ExecutionException e) {
                RuntimeException r = e.getCause() instanceof RuntimeException x ? x
                        : new IllegalStateException(e.getCause());
                throw failIfGone(r);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TarnException(ErrorCode.TIMED_OUT, "interrupted while syncing " + where);
            }
        }
    }

    // ---- recovery ---------------------------------------------------------

    private void recoveryTimedOut() {
        List<ClientRecord> absent = new ArrayList<>();
        boolean hard;
        lock.lock();
        try {
            if (state != TargetState.RECOVERING) {
                return;
            }
            hard = hardDeadline;
            for (ClientRecord c : clients.values()) {
                if (!c.done && (hard || !c.connected)) {
                    absent.add(c);
                }
            }
            if (!hard && absent.size() < clients.values().stream().filter(c -> !c.done).count()) {
                // clients that reconnected get half a window more to finish
                hardDeadline = true;
                long more = Math.max(1, settings.recoveryWindowMillis() / 2);
                recoveryDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(more);
                recoveryTimer = timer.schedule(() -> workers.execute(this::recoveryTimedOut), more,
                        TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
        try {
            if (hardDeadline && !hard) {
                evictLate(absent);
            } else {
                endRecovery("timed out after " + settings.recoveryWindowMillis() + " ms");
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: ending recovery failed: {}", where, e.getMessage());
        }
    }

    /** Evicts the clients that never reconnected; the window goes on for the others. */
    private void evictLate(List<ClientRecord> absent) {
        removeClients(absent, true);
        String ended = null;
        lock.lock();
        try {
            evictedCount += absent.size();
            snapshot(RecoveryStatus.Phase.RECOVERING, "");
            if (state == TargetState.RECOVERING && allDone()) {
                ended = "timed out after " + settings.recoveryWindowMillis() + " ms";
            }
        } finally {
            lock.unlock();
        }
        for (ClientRecord c : absent) {
            events.fire(this, "evicted", "client '" + c.id + "': did not reconnect within the recovery window");
        }
        LOG.info("{}: recovery window passed; evicted {} client(s) that did not reconnect: {}", where, absent.size(),
                absent.stream().map(c -> c.id).toList());
        if (ended != null) {
            endRecovery(ended + "; evicted " + absent.stream().map(c -> c.id).toList());
        }
    }

    /** Ends the window: evicts the known clients that did not finish, and serves everyone. */
    private String endRecovery(String reason) {
        List<ClientRecord> gone;
        lock.lock();
        try {
            if (state != TargetState.RECOVERING) {
                return where + " is not recovering (" + state + ")";
            }
            if (recoveryTimer != null) {
                recoveryTimer.cancel(false);
            }
            gone = new ArrayList<>();
            for (ClientRecord c : clients.values()) {
                if (!c.done) {
                    gone.add(c);
                }
            }
        } finally {
            lock.unlock();
        }
        removeClients(gone, true);
        List<String> lateIds = gone.stream().map(c -> c.id).toList();
        String detail = reason + (lateIds.isEmpty() || reason.contains("evicted") ? "" : "; evicted " + lateIds);
        lock.lock();
        try {
            evictedCount += gone.size();
            synchronized (this) {
                if (state == TargetState.RECOVERING) {
                    state = TargetState.ACTIVE;
                }
            }
            replayTurn.signalAll();
            snapshot(RecoveryStatus.Phase.COMPLETE, detail);
        } finally {
            lock.unlock();
        }
        for (ClientRecord c : gone) {
            events.fire(this, "evicted", "client '" + c.id + "': did not finish replaying before recovery ended");
        }
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
     * Unmounts cleanly: refuses new requests, waits for the change being
     * applied, writes the clean flag (when not recovering), syncs so that
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
        TargetState was;
        try {
            synchronized (this) {
                was = state;
                if (was != TargetState.ACTIVE && was != TargetState.RECOVERING) {
                    return false;
                }
                state = TargetState.UNMOUNTING;
            }
            replayTurn.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            if (was == TargetState.ACTIVE && !pool.readOnly()) {
                // no request applies from now on: once this group syncs, everything answered is on disk
                try (Transaction tx = begin()) {
                    lock.lock();
                    try {
                        LastRcvd.writeClean(dataset, tx, lastRcvdId, true);
                    } finally {
                        lock.unlock();
                    }
                }
            }
            sync.run();
        } catch (RuntimeException e) {
            synchronized (this) {
                if (state == TargetState.UNMOUNTING) {
                    state = was;
                }
            }
            throw failIfGone(e);
        }
        ScheduledFuture<?> t = recoveryTimer;
        if (t != null) {
            t.cancel(false);
        }
        synchronized (this) {
            if (state != TargetState.UNMOUNTING) {
                return false;
            }
            state = TargetState.UNMOUNTED;
        }
        wakeWaiters();
        closeQuietly();
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
        wakeWaiters();
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
        wakeWaiters();
        events.fire(this, "unmounted", reason);
    }

    /** Wakes replays waiting for their turn, off this thread (the lock may be held by a stuck request). */
    private void wakeWaiters() {
        workers.execute(() -> {
            lock.lock();
            try {
                replayTurn.signalAll();
            } finally {
                lock.unlock();
            }
        });
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
        if (e instanceof TarnException t && t.code() == ErrorCode.POOL_EXPORTED && !t.getMessage().contains(where)) {
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
            throw evictedError(clientId);
        }
        if (state == TargetState.RECOVERING) {
            throw recovering("client '" + clientId + "' is not one of its known clients");
        }
        throw new TarnException(ErrorCode.NOT_FOUND, "client '" + clientId + "' is not connected to " + where
                + "; connect first");
    }

    private TarnException evictedError(String clientId) {
        return new TarnException(ErrorCode.EVICTED, "client '" + clientId + "' was evicted from " + where
                + "; its unreplayed requests are lost: connect again as a new client"
                + (state == TargetState.RECOVERING ? " when recovery ends" : ""));
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
