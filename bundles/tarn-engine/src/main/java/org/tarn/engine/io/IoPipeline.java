package org.tarn.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.VdevState;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.DeviceFullException;
import org.tarn.engine.vdev.LeafQueue;
import org.tarn.engine.vdev.LeafQueue.IoClass;
import org.tarn.engine.vdev.Vdev;
import org.tarn.engine.vdev.VdevStats;

/**
 * The I/O pipeline of one pool: every device access goes through here.
 *
 * <h2>Theory of operation</h2>
 * A block write fans out to every writable child of its top-level vdev and
 * succeeds when at least one copy landed; children that fail or exceed the
 * I/O deadline get a write error and are FAULTED, leaving a mirror DEGRADED.
 * A block read tries the children in turn and verifies the checksum of what
 * it got; a copy that fails to read or to verify is counted and, once a good
 * copy is found, rewritten from it (self-heal). Bad data is never returned.
 *
 * <p>Each leaf I/O is queued on the leaf's own scheduler ({@link LeafQueue}:
 * sync reads first, then sync writes such as labels, uberblocks, heartbeats
 * and repairs, then a txg's async writes in offset order with adjacent ones
 * aggregated, then scrub and resilver I/O) and is tracked until it
 * completes. Waiting is always bounded: by the I/O deadline, or by
 * {@link #abandon}, which force export calls to fail every tracked I/O at once
 * with the given reason, so no engine thread stays blocked on a device that
 * never answers. Threads of a hung device stay pinned; nothing waits for them.
 */
public final class IoPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(IoPipeline.class);

    private final String poolName;
    private final Vdev root;
    private final long ioTimeoutMillis;
    private final BlockCache cache;
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
    /**
     * Writes a device is executing right now, including those whose caller
     * already gave up (timed out, abandoned): they may still land, so what
     * they target must not be reused until they return ({@link #stillWriting}).
     */
    private final Set<RunningWrite> running = ConcurrentHashMap.newKeySet();

    /**
     * A device write being executed: top-level vdev index, byte range. Identity, not value, equality: the
     * copies of one block on two children of a mirror are two running writes, and the first to return must
     * not take the other's entry with it.
     */
    private static final class RunningWrite {
        private final int vdev;
        private final long offset;
        private final long length;

        RunningWrite(int vdev, long offset, long length) {
            this.vdev = vdev;
            this.offset = offset;
            this.length = length;
        }

        boolean overlaps(int v, long off, long len) {
            return v == vdev && off < offset + length && offset < off + len;
        }
    }
    private volatile TarnException abandoned;
    private volatile long lastForegroundNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
    private volatile java.util.function.BiConsumer<Vdev, String> faultListener = (v, why) -> { };

    /** Told when a leaf goes from ONLINE to FAULTED, with the reason. */
    public void onFault(java.util.function.BiConsumer<Vdev, String> listener) {
        this.faultListener = listener;
    }

    public IoPipeline(String poolName, Vdev root, long ioTimeoutMillis, BlockCache cache) {
        this.poolName = poolName;
        this.root = root;
        this.ioTimeoutMillis = ioTimeoutMillis;
        this.cache = cache;
    }

    public BlockCache cache() {
        return cache;
    }

    /** The root of the vdev tree this pipeline reads and writes. */
    public Vdev root() {
        return root;
    }

    /** How long one device I/O may take before it counts as failed. */
    public long ioTimeoutMillis() {
        return ioTimeoutMillis;
    }

    // ---- leaf operations ---------------------------------------------------

    /** A device call that may throw. */
    @FunctionalInterface
    private interface DeviceOp<T> {
        T run(BlockDevice dev) throws IOException;
    }

    private <T> CompletableFuture<T> submit(Vdev leaf, DeviceOp<T> op, IoClass ioClass, VdevStats.Kind kind,
                                            long bytes) {
        return submit(leaf, op, null, null, ioClass, kind, bytes);
    }

    /**
     * Queues one device call on the leaf's {@link LeafQueue} and returns its
     * future, failed by the I/O deadline or {@link #abandon} at the latest.
     *
     * @param write for a write, the range it targets (tracked in {@link #running} while on the device)
     * @param data for an async write, its bytes: the queue may aggregate it with adjacent ones
     */
    private <T> CompletableFuture<T> submit(Vdev leaf, DeviceOp<T> op, RunningWrite write, ByteBuffer data,
                                            IoClass ioClass, VdevStats.Kind kind, long bytes) {
        boolean scan = ioClass == IoClass.SCAN_READ || ioClass == IoClass.SCAN_WRITE;
        if (!scan) {
            lastForegroundNanos = System.nanoTime();
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        TarnException gone = abandoned;
        BlockDevice dev = leaf.device();
        LeafQueue queue = leaf.queue();
        if (gone != null) {
            f.completeExceptionally(gone);
            return f;
        }
        if (dev == null || queue == null) {
            f.completeExceptionally(new IOException("device " + leaf.path() + " is not open"));
            return f;
        }
        inFlight.add(f);
        f.whenComplete((v, e) -> inFlight.remove(f));
        VdevStats stats = leaf.stats();
        long queuedAt = System.nanoTime();
        stats.queued();
        LeafQueue.Request request = new LeafQueue.Request(ioClass, write == null ? 0 : write.offset, data) {
            @Override
            protected boolean begin() {
                // registered before the check: whoever gave up on f before it started sees f done here
                // (the write never runs), whoever gives up later sees it running
                if (write != null) {
                    running.add(write);
                }
                if (f.isDone()) {
                    if (write != null) {
                        running.remove(write);
                    }
                    stats.droppedQueued();
                    return false;
                }
                stats.started();
                return true;
            }

            @Override
            protected void run(BlockDevice device) {
                try {
                    f.complete(op.run(device));
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                } finally {
                    finished();
                }
            }

            @Override
            protected void completeAggregated(Throwable error) {
                if (error == null) {
                    f.complete(null);
                } else {
                    f.completeExceptionally(error);
                }
                finished();
            }

            private void finished() {
                if (write != null) {
                    running.remove(write);
                }
                stats.completed(kind, bytes, System.nanoTime() - queuedAt, scan);
            }

            @Override
            protected void dropped(Throwable why) {
                stats.droppedQueued();
                TarnException a = abandoned;
                f.completeExceptionally(a != null ? a : why);
            }
        };
        // a caller that gives up on a call still on the device frees its slot: a hung write pins its thread,
        // not the writes queued after it
        f.whenComplete((v, e) -> {
            if (e != null) {
                request.gaveUp();
            }
        });
        try {
            queue.submit(request);
        } catch (IOException e) {
            stats.droppedQueued();
            f.completeExceptionally(abandoned != null ? abandoned : e);
        }
        f.orTimeout(ioTimeoutMillis, TimeUnit.MILLISECONDS);
        if (abandoned != null) {
            f.completeExceptionally(abandoned);
        }
        return f;
    }

    public CompletableFuture<Void> writeLeaf(Vdev leaf, long offset, ByteBuffer data) {
        return writeLeaf(leaf, offset, data, false);
    }

    /** As {@link #writeLeaf(Vdev, long, ByteBuffer)}; {@code scan} marks a scrub's or resilver's write. */
    public CompletableFuture<Void> writeLeaf(Vdev leaf, long offset, ByteBuffer data, boolean scan) {
        return writeLeaf(leaf, offset, data, scan ? IoClass.SCAN_WRITE : IoClass.ASYNC_WRITE);
    }

    /**
     * A write of the given class: {@link IoClass#ASYNC_WRITE} for a txg's blocks (issued in offset order,
     * adjacent ones aggregated), {@link IoClass#SYNC_WRITE} for one a caller waits on (a repair).
     */
    private CompletableFuture<Void> writeLeaf(Vdev leaf, long offset, ByteBuffer data, IoClass ioClass) {
        ByteBuffer src = data.duplicate();
        return submit(leaf, dev -> {
            dev.write(offset, src.duplicate());
            return null;
        }, new RunningWrite(topLevelIndex(leaf), offset, src.remaining()),
                ioClass == IoClass.ASYNC_WRITE ? src : null, ioClass, VdevStats.Kind.WRITE, src.remaining());
    }

    /**
     * When a caller other than a scrub or resilver last submitted I/O
     * ({@link System#nanoTime}): the scan throttles itself while this is recent.
     */
    public long lastForegroundNanos() {
        return lastForegroundNanos;
    }

    private static int topLevelIndex(Vdev leaf) {
        Vdev v = leaf;
        while (v.parent() != null && v.parent().kind() != Vdev.Kind.ROOT) {
            v = v.parent();
        }
        return v.id();
    }

    /**
     * Whether a device is still executing a write into {@code length} bytes
     * at {@code offset} of top-level vdev {@code vdev}, even one this
     * pipeline stopped waiting for. Its space must not be handed out again:
     * the write may still land.
     */
    public boolean stillWriting(int vdev, long offset, long length) {
        for (RunningWrite w : running) {
            if (w.overlaps(vdev, offset, length)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A write that bypasses this host's caches ({@link BlockDevice#writeUncached}): for labels, uberblocks
     * and heartbeats, which other hosts read from the device.
     */
    public CompletableFuture<Void> writeLeafUncached(Vdev leaf, long offset, ByteBuffer data) {
        ByteBuffer src = data.duplicate();
        return submit(leaf, dev -> {
            dev.writeUncached(offset, src.duplicate());
            return null;
        }, IoClass.SYNC_WRITE, VdevStats.Kind.WRITE, src.remaining());
    }

    /** A read from the device itself ({@link BlockDevice#readUncached}), whatever this host cached. */
    public CompletableFuture<ByteBuffer> readLeafUncached(Vdev leaf, long offset, int length) {
        return submit(leaf, dev -> {
            ByteBuffer b = ByteBuffer.allocate(length);
            dev.readUncached(offset, b);
            return b.flip();
        }, IoClass.SYNC_READ, VdevStats.Kind.READ, length);
    }

    public CompletableFuture<ByteBuffer> readLeaf(Vdev leaf, long offset, int length) {
        return readLeaf(leaf, offset, length, false);
    }

    /** As {@link #readLeaf(Vdev, long, int)}; {@code scan} marks a scrub's or resilver's read. */
    public CompletableFuture<ByteBuffer> readLeaf(Vdev leaf, long offset, int length, boolean scan) {
        return submit(leaf, dev -> {
            ByteBuffer b = ByteBuffer.allocate(length);
            dev.read(offset, b);
            return b.flip();
        }, scan ? IoClass.SCAN_READ : IoClass.SYNC_READ, VdevStats.Kind.READ, length);
    }

    public CompletableFuture<Void> flushLeaf(Vdev leaf) {
        return submit(leaf, dev -> {
            dev.flush();
            return null;
        }, IoClass.SYNC_WRITE, VdevStats.Kind.FLUSH, 0);
    }

    // ---- block operations --------------------------------------------------

    /**
     * Writes a block to every writable child of its top-level vdev. Completes
     * normally when at least one copy was written, exceptionally with an
     * {@link IOException} (or {@link DeviceFullException}) when none was.
     */
    public CompletableFuture<Void> write(BlockPointer bp, ByteBuffer data) {
        return writeExtent(bp.vdev(), bp.offset(), data);
    }

    /**
     * Writes a run of bytes (one block or several adjacent ones) at the same
     * offset on every writable child of top-level vdev {@code vdev}; same
     * success rule as {@link #write}.
     */
    public CompletableFuture<Void> writeExtent(int vdev, long offset, ByteBuffer data) {
        Vdev top = root.topLevel().get(vdev);
        List<Vdev> targets = new ArrayList<>();
        for (Vdev leaf : top.leaves()) {
            if (leaf.state() == VdevState.ONLINE) {
                targets.add(leaf);
            }
        }
        if (targets.isEmpty()) {
            return CompletableFuture.failedFuture(new IOException("no writable device in " + top));
        }
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (Vdev leaf : targets) {
            parts.add(writeLeaf(leaf, offset, data).handle((v, e) -> {
                if (e != null) {
                    noteWriteError(leaf, unwrap(e));
                    throw new CompletionException(unwrap(e));
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(parts.stream().map(p -> p.handle((v, e) -> e))
                        .toArray(CompletableFuture[]::new))
                .thenCompose(ignored -> {
                    Throwable last = null;
                    for (CompletableFuture<Void> p : parts) {
                        if (!p.isCompletedExceptionally()) {
                            return CompletableFuture.completedFuture(null);
                        }
                        last = unwrap(p.handle((v, e) -> e).join());
                    }
                    return CompletableFuture.failedFuture(last);
                });
    }

    private void noteWriteError(Vdev leaf, Throwable e) {
        if (e instanceof TarnException t && t.code() == ErrorCode.POOL_EXPORTED) {
            return;
        }
        leaf.writeErrors().incrementAndGet();
        if (!(e instanceof DeviceFullException)) {
            boolean wasOnline = leaf.state() == VdevState.ONLINE;
            leaf.fault();
            if (wasOnline) {
                LOG.warn("pool '{}': device {} faulted after write error: {}", poolName, leaf.path(), describe(e));
                faultListener.accept(leaf, "write error: " + describe(e));
            }
        }
    }

    /**
     * Reads and verifies a block, trying each copy in turn and repairing bad
     * copies from the first good one. Blocks until done, the I/O deadline, or
     * {@link #abandon}. With {@code cacheable} the engine's block cache
     * answers if it holds the block, and keeps what was read once it
     * verified (a copy that fails verification is never cached); without,
     * the devices are read and the cache is neither asked nor filled (scrub,
     * resilver, import probes).
     *
     * @throws TarnException {@link ErrorCode#CHECKSUM_MISMATCH} when no copy
     *     verifies, {@link ErrorCode#IO_ERROR} when none can be read
     */
    public ByteBuffer read(BlockPointer bp, boolean cacheable) {
        if (cacheable) {
            ByteBuffer hit = cache.get(bp);
            if (hit != null) {
                return hit;
            }
        }
        Vdev top = root.topLevel().get(bp.vdev());
        // never a leaf that missed the txg which wrote the block (its DTL says so): it holds something else there
        List<Vdev> order = new ArrayList<>();
        for (Vdev leaf : top.leaves()) {
            if (leaf.state() == VdevState.ONLINE && leaf.holds(bp.birthTxg())) {
                order.add(leaf);
            }
        }
        for (Vdev leaf : top.leaves()) {
            if (leaf.state() == VdevState.FAULTED && leaf.device() != null && leaf.holds(bp.birthTxg())) {
                order.add(leaf);
            }
        }
        if (order.isEmpty()) {
            throw new TarnException(ErrorCode.IO_ERROR, "pool '" + poolName + "': no device of " + top
                    + " holds block " + bp + " (every copy is on a device that is missing, offline or missed "
                    + "txg " + bp.birthTxg() + ")");
        }
        List<Vdev> bad = new ArrayList<>();
        boolean sawChecksumError = false;
        Throwable lastError = null;
        for (Vdev leaf : order) {
            ByteBuffer data;
            try {
                data = await(readLeaf(leaf, bp.offset(), bp.size()));
            } catch (TarnException e) {
                if (e.code() == ErrorCode.POOL_EXPORTED) {
                    throw e;
                }
                leaf.readErrors().incrementAndGet();
                lastError = e.getCause() != null ? e.getCause() : e;
                bad.add(leaf);
                continue;
            }
            if (!bp.verifies(data)) {
                leaf.checksumErrors().incrementAndGet();
                sawChecksumError = true;
                bad.add(leaf);
                LOG.warn("pool '{}': checksum error on {} reading {}", poolName, leaf.path(), bp);
                continue;
            }
            // repairs finish before the read returns: the caller's pin keeps the block where it is only until
            // then, so a repair can never land after the space was reused for a newer block
            List<CompletableFuture<Void>> repairs = new ArrayList<>();
            for (Vdev b : bad) {
                if (b.device() != null && b.state() == VdevState.ONLINE) {
                    repairs.add(repair(b, bp, data));
                }
            }
            for (CompletableFuture<Void> r : repairs) {
                try {
                    await(r);
                } catch (TarnException e) {
                    if (e.code() == ErrorCode.POOL_EXPORTED) {
                        throw e;
                    }
                    // noted on the leaf by the repair itself; the good copy is still returned
                }
            }
            if (cacheable) {
                // the buffer is this read's own and leaves here read-only: the cache keeps it without a copy
                cache.putWritten(bp, data);
            }
            return data.asReadOnlyBuffer();
        }
        if (sawChecksumError) {
            throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "pool '" + poolName
                    + "': no copy of block " + bp + " matches its checksum");
        }
        throw new TarnException(ErrorCode.IO_ERROR, "pool '" + poolName + "': cannot read block " + bp
                + " from any device of " + top + (lastError == null ? "" : ": " + describe(lastError)),
                lastError);
    }

    /**
     * Writes good data over a leaf's copy for a scrub or resilver: a failed
     * write counts against the leaf and faults it, as any write does.
     */
    public CompletableFuture<Void> scanWrite(Vdev leaf, long offset, ByteBuffer data) {
        return writeLeaf(leaf, offset, data, true).whenComplete((v, e) -> {
            if (e != null) {
                noteWriteError(leaf, unwrap(e));
            }
        });
    }

    private CompletableFuture<Void> repair(Vdev leaf, BlockPointer bp, ByteBuffer good) {
        return writeLeaf(leaf, bp.offset(), good.duplicate(), IoClass.SYNC_WRITE).whenComplete((v, e) -> {
            if (e == null) {
                LOG.info("pool '{}': repaired block at offset 0x{} on {}", poolName,
                        Long.toHexString(bp.offset()), leaf.path());
            } else {
                noteWriteError(leaf, unwrap(e));
            }
        });
    }

    /** Flushes the given leaves in parallel; returns the leaves that failed. */
    public List<Vdev> flush(Collection<Vdev> leaves) {
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        List<Vdev> targets = new ArrayList<>();
        for (Vdev leaf : leaves) {
            if (leaf.state() == VdevState.ONLINE) {
                targets.add(leaf);
                parts.add(flushLeaf(leaf));
            }
        }
        List<Vdev> failed = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            try {
                await(parts.get(i));
            } catch (TarnException e) {
                if (e.code() == ErrorCode.POOL_EXPORTED) {
                    throw e;
                }
                noteWriteError(targets.get(i), e.getCause() != null ? e.getCause() : e);
                failed.add(targets.get(i));
            }
        }
        return failed;
    }

    /**
     * Waits for an I/O. Device failures become {@link ErrorCode#IO_ERROR}
     * (or {@link ErrorCode#NO_SPACE}) with the device's exception as cause.
     */
    public <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TarnException(ErrorCode.TIMED_OUT, "pool '" + poolName + "': interrupted waiting for I/O", e);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof TarnException t) {
                throw t;
            }
            if (cause instanceof DeviceFullException) {
                throw new TarnException(ErrorCode.NO_SPACE, "pool '" + poolName + "': " + describe(cause), cause);
            }
            throw new TarnException(ErrorCode.IO_ERROR, "pool '" + poolName + "': " + describe(cause), cause);
        }
    }

    /**
     * Fails every tracked I/O with {@code reason} and refuses new ones. Never
     * blocks: used by force export.
     */
    public void abandon(TarnException reason) {
        abandoned = reason;
        for (CompletableFuture<?> f : inFlight) {
            f.completeExceptionally(reason);
        }
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    static String describe(Throwable e) {
        if (e instanceof TimeoutException) {
            return "I/O did not complete within its deadline";
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
