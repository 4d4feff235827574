package org.tarn.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.label.LabelLayout;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A test driver ({@code gated:/path}) over the file driver that lets a test
 * stop the next data write (outside the label areas) until it opens the gate,
 * and watch every write as it lands, in order. Deterministic where the fault
 * driver's rules would race with the engine's own timing.
 */
public final class GatedVdevDriver implements VdevDriver {
    public static final String PREFIX = "gated:";

    /** One completed write: where, and whether it fell in a label area. */
    public record Write(String path, long offset, int length, boolean label) {
    }

    private final FileVdevDriver file = new FileVdevDriver();
    private final AtomicBoolean closeNextData = new AtomicBoolean();
    private final AtomicBoolean closeNextDataRead = new AtomicBoolean();
    private final Semaphore gate = new Semaphore(0);
    private final AtomicInteger waiting = new AtomicInteger();
    private final List<Write> writes = new CopyOnWriteArrayList<>();
    private volatile Consumer<Write> afterWrite = w -> { };
    private volatile Write blocked;
    private final AtomicBoolean failFlushesAfterLabelWrite = new AtomicBoolean();
    private volatile boolean failingFlushes;

    @Override
    public String type() {
        return "gated";
    }

    @Override
    public boolean accepts(String path) {
        return path.startsWith(PREFIX);
    }

    /** The next data write (of any gated device) blocks until {@link #open}. */
    public void closeBeforeNextDataWrite() {
        closeNextData.set(true);
    }

    /** The next data read (of any gated device) blocks until {@link #open}. */
    public void closeBeforeNextDataRead() {
        closeNextDataRead.set(true);
    }

    /** Lets one blocked data write (or read) through. */
    public void open() {
        gate.release();
    }

    /** How many data writes are blocked at the gate now. */
    public int waiting() {
        return waiting.get();
    }

    /**
     * From the next label write on (an uberblock going out), every flush of
     * every gated device fails until {@link #healFlushes}: a sync then fails
     * after its uberblock may already be on a device.
     */
    public void failFlushesAfterNextLabelWrite() {
        failFlushesAfterLabelWrite.set(true);
    }

    public void healFlushes() {
        failingFlushes = false;
    }

    /** The data write stopped at the gate most recently, if one was. */
    public java.util.Optional<Write> blocked() {
        return java.util.Optional.ofNullable(blocked);
    }

    /** Every completed write, in completion order. */
    public List<Write> writes() {
        return List.copyOf(writes);
    }

    /** Runs after every completed write, on the writing thread. */
    public void afterWrite(Consumer<Write> action) {
        this.afterWrite = action;
    }

    @Override
    public BlockDevice open(String path, boolean readOnly) throws IOException {
        BlockDevice inner = file.open(path.substring(PREFIX.length()), readOnly);
        return new BlockDevice() {
            @Override
            public String path() {
                return path;
            }

            @Override
            public long sizeBytes() {
                return inner.sizeBytes();
            }

            @Override
            public boolean readOnly() {
                return inner.readOnly();
            }

            @Override
            public void read(long offset, ByteBuffer dst) throws IOException {
                boolean data = offset >= LabelLayout.dataStartBytes()
                        && offset < LabelLayout.dataEndBytes(inner.sizeBytes());
                if (data && closeNextDataRead.compareAndSet(true, false)) {
                    waiting.incrementAndGet();
                    try {
                        gate.acquireUninterruptibly();
                    } finally {
                        waiting.decrementAndGet();
                    }
                }
                inner.read(offset, dst);
            }

            @Override
            public void write(long offset, ByteBuffer src) throws IOException {
                int length = src.remaining();
                boolean label = offset < LabelLayout.dataStartBytes()
                        || offset >= LabelLayout.dataEndBytes(inner.sizeBytes());
                if (!label && closeNextData.compareAndSet(true, false)) {
                    blocked = new Write(path, offset, length, false);
                    waiting.incrementAndGet();
                    try {
                        gate.acquireUninterruptibly();
                    } finally {
                        waiting.decrementAndGet();
                    }
                }
                inner.write(offset, src);
                Write w = new Write(path, offset, length, label);
                if (label && failFlushesAfterLabelWrite.compareAndSet(true, false)) {
                    failingFlushes = true;
                }
                writes.add(w);
                afterWrite.accept(w);
            }

            @Override
            public void flush() throws IOException {
                if (failingFlushes) {
                    throw new IOException("injected flush failure on " + path);
                }
                inner.flush();
            }

            @Override
            public void close() throws IOException {
                inner.close();
            }
        };
    }
}
