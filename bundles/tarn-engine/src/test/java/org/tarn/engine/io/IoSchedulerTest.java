package org.tarn.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.engine.TestPools;
import org.tarn.engine.vdev.LeafQueue;
import org.tarn.engine.vdev.Vdev;
import org.tarn.vdev.fault.FaultBlockDevice;
import org.tarn.vdev.fault.FaultRule;

/** The per-leaf scheduler under IoPipeline: priority, aggregation, deadlines, abandon, threads on demand. */
class IoSchedulerTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();
    private FaultBlockDevice fault;
    private Counting counting;
    private Vdev leaf;
    private IoPipeline io;

    /** Counts the device write calls that reach the device (below the fault driver's latency). */
    private static final class Counting implements BlockDevice {
        final BlockDevice inner;
        final AtomicInteger writes = new AtomicInteger();

        Counting(BlockDevice inner) {
            this.inner = inner;
        }

        @Override public String path() { return inner.path(); }
        @Override public long sizeBytes() { return inner.sizeBytes(); }
        @Override public boolean readOnly() { return inner.readOnly(); }
        @Override public void read(long offset, ByteBuffer dst) throws IOException { inner.read(offset, dst); }
        @Override public void write(long offset, ByteBuffer src) throws IOException {
            writes.incrementAndGet();
            inner.write(offset, src);
        }
        @Override public void flush() throws IOException { inner.flush(); }
        @Override public void writeUncached(long offset, ByteBuffer src) throws IOException {
            inner.writeUncached(offset, src);
        }
        @Override public void close() throws IOException { inner.close(); }
    }

    private void open(long timeoutMillis) throws IOException {
        String path = TestPools.devices(dir, 1).get(0);
        fault = drivers.fault.open("fault:" + path, false);
        counting = new Counting(fault);
        leaf = Vdev.leaf(11, 0, "file", path);
        Vdev root = Vdev.root(10, List.of(leaf));
        leaf.attach(counting, "sched");
        io = new IoPipeline("sched", root, timeoutMillis, new BlockCache(1 << 20));
    }

    @AfterEach
    void close() {
        if (fault != null) {
            fault.injector().clear();
        }
        if (leaf != null) {
            leaf.detach();
        }
    }

    private static ByteBuffer block(int fill) {
        ByteBuffer b = ByteBuffer.allocate(BLOCK);
        while (b.hasRemaining()) {
            b.put((byte) fill);
        }
        return b.flip();
    }

    private static long done(List<? extends CompletableFuture<?>> fs) {
        return fs.stream().filter(CompletableFuture::isDone).count();
    }

    @Test
    void syncReadOvertakesQueuedAsyncWrites_pos() throws Exception {
        open(10_000);
        fault.injector().add(FaultRule.latency(100).on(FaultRule.Op.WRITE));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            writes.add(io.writeLeaf(leaf, (2L * i + 4) * BLOCK, block(i))); // gaps: nothing to aggregate
        }
        ByteBuffer read = io.readLeaf(leaf, 0, BLOCK).get();
        assertThat(read.remaining()).isEqualTo(BLOCK);
        assertThat(done(writes)).as("async writes done when the read returned").isLessThanOrEqualTo(10);
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
        assertThat(counting.writes.get()).isEqualTo(20);
    }

    @Test
    void syncWriteOvertakesQueuedAsyncWrites_pos() throws Exception {
        open(10_000);
        fault.injector().add(FaultRule.latency(100).on(FaultRule.Op.WRITE));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            writes.add(io.writeLeaf(leaf, (2L * i + 4) * BLOCK, block(i)));
        }
        io.writeLeafUncached(leaf, 0, block(99)).get();
        assertThat(done(writes)).as("async writes done when the label write returned").isLessThanOrEqualTo(10);
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
    }

    @Test
    void adjacentQueuedWritesAggregate_pos() throws Exception {
        open(10_000);
        fault.injector().add(FaultRule.latency(300).on(FaultRule.Op.WRITE).times(1));
        CompletableFuture<Void> first = io.writeLeaf(leaf, 0, block(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> leaf.stats().activeNow() == 1);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            writes.add(io.writeLeaf(leaf, (i + 16L) * BLOCK, block(i + 16))); // one adjacent run, queued
        }
        first.get();
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
        assertThat(counting.writes.get()).as("device write calls").isEqualTo(2);
        assertThat(leaf.queue().aggregatedWrites()).isEqualTo(16);
        for (int i = 0; i < 16; i++) {
            ByteBuffer b = io.readLeaf(leaf, (i + 16L) * BLOCK, BLOCK).get();
            assertThat(b).isEqualTo(block(i + 16));
        }
    }

    @Test
    void writesWithGapsAreNotAggregated_neg() throws Exception {
        open(10_000);
        fault.injector().add(FaultRule.latency(300).on(FaultRule.Op.WRITE).times(1));
        CompletableFuture<Void> first = io.writeLeaf(leaf, 0, block(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> leaf.stats().activeNow() == 1);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            writes.add(io.writeLeaf(leaf, (2L * i + 16) * BLOCK, block(i)));
        }
        first.get();
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
        assertThat(counting.writes.get()).isEqualTo(17);
        assertThat(leaf.queue().aggregatedWrites()).isZero();
    }

    @Test
    void deadlineFailsQueuedAndRunningWrites_neg() throws Exception {
        open(2_000);
        fault.injector().add(FaultRule.hang().on(FaultRule.Op.WRITE));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            writes.add(io.writeLeaf(leaf, (2L * i) * BLOCK, block(i)));
        }
        // reads have threads of their own while the writer is pinned (well within the 2 s deadline)
        assertThat(io.readLeaf(leaf, 64L * BLOCK, BLOCK).get().remaining()).isEqualTo(BLOCK);
        assertThat(done(writes)).isZero();
        for (CompletableFuture<Void> w : writes) {
            try {
                w.get();
                throw new AssertionError("a write to a hung device completed");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(TimeoutException.class);
            }
        }
        assertThat(io.stillWriting(0, 0, BLOCK)).as("the hung write may still land").isTrue();
        assertThat(leaf.queue().threads()).isLessThanOrEqualTo(LeafQueue.MAX_THREADS);
        fault.injector().releaseHangs();
        await().atMost(Duration.ofSeconds(10)).until(() -> !io.stillWriting(0, 0, 10L * BLOCK));
    }

    @Test
    void abandonFailsQueuedAndRunningIoAtOnce_neg() throws Exception {
        open(60_000);
        fault.injector().add(FaultRule.hang());
        List<CompletableFuture<?>> ios = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ios.add(io.writeLeaf(leaf, (2L * i) * BLOCK, block(i)));
            ios.add(io.readLeaf(leaf, (2L * i + 1) * BLOCK, BLOCK));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> leaf.stats().activeNow() >= 2);
        TarnException reason = new TarnException(ErrorCode.POOL_EXPORTED, "force export");
        io.abandon(reason);
        for (CompletableFuture<?> f : ios) {
            assertThat(f).isCompletedExceptionally();
            try {
                f.get();
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isSameAs(reason);
            }
        }
        assertThat(io.writeLeaf(leaf, 0, block(0))).isCompletedExceptionally();
        assertThat(io.stillWriting(0, 0, BLOCK)).isTrue();
        assertThat(leaf.queue().threads()).isLessThanOrEqualTo(LeafQueue.MAX_THREADS);
        fault.injector().releaseHangs();
        await().atMost(Duration.ofSeconds(10)).until(() -> !io.stillWriting(0, 0, 10L * BLOCK));
    }

    @Test
    void threadsStartOnDemandAndRetireWhenIdle_pos() throws Exception {
        open(10_000);
        assertThat(leaf.queue().threads()).isZero();
        io.writeLeaf(leaf, 0, block(3)).get();
        assertThat(io.readLeaf(leaf, 0, BLOCK).get()).isEqualTo(block(3));
        assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().startsWith("tarn-sched-io-d0-"));
        await().atMost(Duration.ofSeconds(LeafQueue.IDLE_MILLIS / 1000 + 10))
                .until(() -> leaf.queue().threads() == 0);
        // and start again on the next I/O
        assertThat(io.readLeaf(leaf, 0, BLOCK).get()).isEqualTo(block(3));
    }
}
