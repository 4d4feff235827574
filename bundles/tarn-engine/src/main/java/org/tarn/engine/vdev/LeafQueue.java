package org.tarn.engine.vdev;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.tarn.api.vdev.BlockDevice;

/**
 * The I/O scheduler of one leaf, after OpenZFS's {@code vdev_queue}.
 *
 * <h2>Theory of operation</h2>
 * Every device call of a leaf is a {@link Request} of an {@link IoClass}.
 * Requests wait in one queue per class and are issued by the leaf's own
 * threads in priority order (sync read, sync write, async write, scan read,
 * scan write), each class within its minimum and maximum number of active
 * calls: a class below its minimum is served first, then the first class in
 * priority order below its maximum, as {@code vdev_queue_class_to_issue}.
 *
 * <p><b>One ordered writer.</b> At most one write (or flush) runs on the
 * device at a time; reads have {@link #MAX_READERS} slots of their own, so a
 * read never waits behind a burst of async writes, only behind other reads.
 * Async writes are issued in offset order, an elevator from the last offset
 * written, and adjacent queued async writes are <em>aggregated</em> into one
 * device call of at most {@link #AGGREGATION_LIMIT} bytes (one buffer per
 * aggregate, as {@code vdev_queue_aggregate}); every member completes with the
 * aggregate's outcome. Syncs write labels, uberblocks and heartbeats as sync
 * writes: they overtake queued async writes. Scan writes may wait while
 * foreground writes keep the writer busy (scans throttle themselves anyway).
 *
 * <p><b>Threads on demand.</b> A leaf has no thread while idle. A thread is
 * started when a request arrives that could run now and no idle thread
 * waits; threads take the next request as they finish one and retire after
 * {@link #IDLE_MILLIS} without work. A leaf never has more than
 * {@code 1 + MAX_READERS} threads, so a device that hangs pins at most those,
 * and only its own: callers wait with their deadline
 * ({@code CompletableFuture.orTimeout}) or until force export fails them.
 * A call whose caller gave up while it is on the device
 * ({@link Request#gaveUp}) frees its slot: its thread stays pinned until the
 * device returns, and the next write may start beside it (the pool has
 * already failed the one that hangs), so a single stuck write does not stop
 * a cleared pool from writing elsewhere.
 * Threads are named {@code tarn-POOL-io-LEAF-N} so {@code jstack} shows pool
 * and device.
 *
 * <p>The queue does not complete callers itself: a {@link Request} decides on
 * the I/O thread whether it still runs ({@link Request#begin}), and is told
 * its outcome. {@link #close} drops everything queued and refuses new
 * requests; calls already on the device run to their end.
 */
public final class LeafQueue {
    /** Priority classes, highest first. */
    public enum IoClass {
        /** A read someone waits for. */
        SYNC_READ(false, 1, MAX_READERS),
        /** Labels, uberblocks, heartbeats, repairs and flushes: small writes someone waits for. */
        SYNC_WRITE(true, 1, 1),
        /** The blocks of a txg: issued in offset order, adjacent ones aggregated. */
        ASYNC_WRITE(true, 1, 1),
        /** A scrub's or resilver's read. */
        SCAN_READ(false, 1, 2),
        /** A scrub's or resilver's write. */
        SCAN_WRITE(true, 1, 1);

        private final boolean write;
        private final int minActive;
        private final int maxActive;

        IoClass(boolean write, int minActive, int maxActive) {
            this.write = write;
            this.minActive = minActive;
            this.maxActive = maxActive;
        }

        /** Whether this class takes the leaf's writer slot. */
        public boolean isWrite() {
            return write;
        }
    }

    /** Reads that may run on a leaf at once. */
    public static final int MAX_READERS = 3;
    /** Threads a leaf has at most (one writer and the readers): what a hung device can pin. */
    public static final int MAX_THREADS = 1 + MAX_READERS;
    /** The largest aggregate of adjacent async writes (OpenZFS's {@code zfs_vdev_aggregation_limit}). */
    public static final int AGGREGATION_LIMIT = 1 << 20;
    /** How long an idle I/O thread waits for work before it retires. */
    public static final long IDLE_MILLIS = 3_000;

    /**
     * One device call. Implementations track their caller's future; the
     * queue calls {@link #begin} on an I/O thread, then either {@link #run}
     * (alone) or {@link #completeAggregated} (as a member of an aggregate),
     * or {@link #dropped} if it never starts.
     */
    public abstract static class Request {
        private final IoClass ioClass;
        private final long offset;
        private final ByteBuffer data;
        private final long seq;
        /** The writer or reader slot this request holds while on the device (guarded by the queue's lock). */
        private Slot slot;
        private volatile LeafQueue owner;

        /**
         * @param data for an {@link IoClass#ASYNC_WRITE}, the bytes to write at {@code offset} (it may then be
         *     aggregated with adjacent ones); null for a call that must run alone
         */
        protected Request(IoClass ioClass, long offset, ByteBuffer data) {
            this.ioClass = ioClass;
            this.offset = offset;
            this.data = data == null ? null : data.duplicate();
            this.seq = SEQ.incrementAndGet();
        }

        /** A search key: sorts before every request at {@code offset}. */
        private Request(long offset) {
            this.ioClass = IoClass.ASYNC_WRITE;
            this.offset = offset;
            this.data = null;
            this.seq = Long.MIN_VALUE;
        }

        public final IoClass ioClass() {
            return ioClass;
        }

        /**
         * The caller gave up on this request (deadline, abandon). If it is on
         * the device, its slot is freed for the next request: the thread stays
         * pinned until the device returns (counted in {@link #MAX_THREADS}),
         * but a hung write no longer holds back the writes after it.
         */
        public final void gaveUp() {
            LeafQueue q = owner;
            if (q != null) {
                q.release(this);
            }
        }

        final long end() {
            return offset + data.remaining();
        }

        /** On the I/O thread, just before the call: false if it must not run (its caller gave up). */
        protected abstract boolean begin();

        /** Runs the call alone and completes its caller (never throws). */
        protected abstract void run(BlockDevice dev);

        /** The aggregate this request was part of returned: {@code error} null on success. */
        protected abstract void completeAggregated(Throwable error);

        /** The request was never started: the queue was closed. */
        protected abstract void dropped(Throwable why);
    }

    private static final AtomicLong SEQ = new AtomicLong();

    private final String threadName;
    private final BlockDevice device;
    private final long idleNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Map<IoClass, ArrayDeque<Request>> fifo = new EnumMap<>(IoClass.class);
    /** Async writes by offset (then arrival), for the elevator and aggregation. */
    private final NavigableSet<Request> asyncWrites = new TreeSet<>((a, b) -> a.offset != b.offset
            ? Long.compare(a.offset, b.offset) : Long.compare(a.seq, b.seq));
    private final int[] active = new int[IoClass.values().length];

    /** A writer or reader slot taken by one batch; freed once, by its thread or by a caller giving up. */
    private static final class Slot {
        final IoClass cls;
        boolean released;

        Slot(IoClass cls) {
            this.cls = cls;
        }
    }
    private final AtomicLong deviceWrites = new AtomicLong();
    private final AtomicLong aggregated = new AtomicLong();
    private boolean writerBusy;
    private int readers;
    private int threads;
    private int waiting;
    private int threadSeq;
    private long lastWriteEnd;
    private IOException closed;

    public LeafQueue(String threadName, BlockDevice device) {
        this(threadName, device, IDLE_MILLIS);
    }

    /** A queue whose threads retire after {@code idleMillis} (tests). */
    public LeafQueue(String threadName, BlockDevice device, long idleMillis) {
        this.threadName = threadName;
        this.device = device;
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        for (IoClass c : IoClass.values()) {
            if (c != IoClass.ASYNC_WRITE) {
                fifo.put(c, new ArrayDeque<>());
            }
        }
    }

    /**
     * Queues a request.
     *
     * @throws IOException the queue is closed (the leaf was detached)
     */
    public void submit(Request r) throws IOException {
        lock.lock();
        try {
            if (closed != null) {
                throw closed;
            }
            if (r.ioClass == IoClass.ASYNC_WRITE && r.data != null) {
                asyncWrites.add(r);
            } else {
                fifo.computeIfAbsent(r.ioClass, c -> new ArrayDeque<>()).add(r);
            }
            if (waiting > 0) {
                work.signalAll();
            } else if (threads < MAX_THREADS && (r.ioClass.write ? !writerBusy : readers < MAX_READERS)) {
                startThread();
            }
        } finally {
            lock.unlock();
        }
    }

    private void startThread() {
        threads++;
        Thread t = new Thread(this::work, threadName + "-" + (++threadSeq));
        t.setDaemon(true);
        t.start();
    }

    /** Drops every queued request with the reason and refuses new ones; running calls go on. */
    public void close(IOException why) {
        List<Request> drop = new ArrayList<>();
        lock.lock();
        try {
            if (closed != null) {
                return;
            }
            closed = why;
            fifo.values().forEach(drop::addAll);
            fifo.values().forEach(ArrayDeque::clear);
            drop.addAll(asyncWrites);
            asyncWrites.clear();
            work.signalAll();
        } finally {
            lock.unlock();
        }
        drop.forEach(r -> r.dropped(why));
    }

    /** I/O threads alive now. */
    public int threads() {
        lock.lock();
        try {
            return threads;
        } finally {
            lock.unlock();
        }
    }

    /** Requests waiting now. */
    public int queued() {
        lock.lock();
        try {
            int n = asyncWrites.size();
            for (ArrayDeque<Request> q : fifo.values()) {
                n += q.size();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Device write calls made for async writes (an aggregate counts once). */
    public long asyncDeviceWrites() {
        return deviceWrites.get();
    }

    /** Async writes that went to the device inside an aggregate of two or more. */
    public long aggregatedWrites() {
        return aggregated.get();
    }

    private void free(Slot slot) {
        if (slot.released) {
            return;
        }
        slot.released = true;
        active[slot.cls.ordinal()]--;
        if (slot.cls.write) {
            writerBusy = false;
        } else {
            readers--;
        }
    }

    private void release(Request r) {
        lock.lock();
        try {
            Slot slot = r.slot;
            if (slot == null || slot.released) {
                return;
            }
            free(slot);
            if (next() != null) {
                if (waiting > 0) {
                    work.signalAll();
                } else if (threads < MAX_THREADS) {
                    startThread();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void work() {
        List<Request> batch = null;
        Slot slot = null;
        IoClass cls = null;
        while (true) {
            lock.lock();
            try {
                if (slot != null) {
                    free(slot);
                    for (Request r : batch) {
                        r.slot = null;
                        r.owner = null;
                    }
                }
                batch = null;
                slot = null;
                cls = null;
                long idleLeft = idleNanos;
                while (true) {
                    cls = next();
                    if (cls != null) {
                        break;
                    }
                    if (closed != null || idleLeft <= 0) {
                        threads--;
                        return;
                    }
                    waiting++;
                    try {
                        idleLeft = work.awaitNanos(idleLeft);
                    } catch (InterruptedException e) {
                        idleLeft = 0;
                    } finally {
                        waiting--;
                    }
                }
                active[cls.ordinal()]++;
                if (cls.write) {
                    writerBusy = true;
                } else {
                    readers++;
                }
                batch = take(cls);
                slot = new Slot(cls);
                for (Request r : batch) {
                    r.slot = slot;
                    r.owner = this;
                }
            } finally {
                lock.unlock();
            }
            try {
                execute(batch);
            } catch (RuntimeException | Error e) {
                // a Request's own bug: its caller's deadline still fails it; the thread keeps serving the leaf
                org.slf4j.LoggerFactory.getLogger(LeafQueue.class).error("{}: I/O request failed", threadName, e);
            }
        }
    }

    /** The class to issue from now, or null (nothing queued that may start). Under the lock. */
    private IoClass next() {
        for (int pass = 0; pass < 2; pass++) {
            for (IoClass c : IoClass.values()) {
                int limit = pass == 0 ? c.minActive : c.maxActive;
                if (active[c.ordinal()] >= limit || isEmpty(c)) {
                    continue;
                }
                if (c.write ? writerBusy : readers >= MAX_READERS) {
                    continue;
                }
                return c;
            }
        }
        return null;
    }

    private boolean isEmpty(IoClass c) {
        return c == IoClass.ASYNC_WRITE ? asyncWrites.isEmpty() : fifo.get(c).isEmpty();
    }

    /** Takes one request, or an aggregate of adjacent async writes. Under the lock. */
    private List<Request> take(IoClass c) {
        if (c != IoClass.ASYNC_WRITE) {
            return List.of(fifo.get(c).poll());
        }
        // the elevator: the first write at or after the last one written, else from the lowest offset
        Request first = asyncWrites.ceiling(probe(lastWriteEnd));
        if (first == null) {
            first = asyncWrites.first();
        }
        asyncWrites.remove(first);
        List<Request> out = new ArrayList<>();
        out.add(first);
        long end = first.end();
        long bytes = first.data.remaining();
        while (true) {
            Request n = asyncWrites.ceiling(probe(end));
            if (n == null || n.offset != end || bytes + n.data.remaining() > AGGREGATION_LIMIT) {
                break;
            }
            asyncWrites.remove(n);
            out.add(n);
            end = n.end();
            bytes += n.data.remaining();
        }
        lastWriteEnd = end;
        return out;
    }

    private static Request probe(long offset) {
        return new Request(offset) {
            @Override
            protected boolean begin() {
                return false;
            }

            @Override
            protected void run(BlockDevice dev) {
            }

            @Override
            protected void completeAggregated(Throwable error) {
            }

            @Override
            protected void dropped(Throwable why) {
            }
        };
    }

    private void execute(List<Request> batch) {
        if (batch.size() == 1 && batch.get(0).ioClass != IoClass.ASYNC_WRITE) {
            Request r = batch.get(0);
            if (r.begin()) {
                r.run(device);
            }
            return;
        }
        // members whose caller gave up before they started are left out; the rest go in runs of adjacent ones
        List<Request> live = new ArrayList<>();
        for (Request r : batch) {
            if (r.begin()) {
                live.add(r);
            }
        }
        int i = 0;
        while (i < live.size()) {
            int j = i + 1;
            while (j < live.size() && live.get(j).offset == live.get(j - 1).end()) {
                j++;
            }
            writeRun(live.subList(i, j));
            i = j;
        }
    }

    private void writeRun(List<Request> run) {
        if (run.size() == 1) {
            deviceWrites.incrementAndGet();
            run.get(0).run(device);
            return;
        }
        Request first = run.get(0);
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(run.get(run.size() - 1).end() - first.offset));
        for (Request r : run) {
            all.put(r.data.duplicate());
        }
        all.flip();
        Throwable error = null;
        try {
            deviceWrites.incrementAndGet();
            aggregated.addAndGet(run.size());
            device.write(first.offset, all);
        } catch (Throwable e) {
            error = e;
        }
        for (Request r : run) {
            r.completeAggregated(error);
        }
    }
}
