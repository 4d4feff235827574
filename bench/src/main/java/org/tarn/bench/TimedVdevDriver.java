package org.tarn.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;

/**
 * Wraps a driver (the file driver) and counts what the engine asks of its
 * devices: calls, bytes and time in each of read, write and flush. Costs two
 * {@code nanoTime} calls per device call, nothing else; it is how the report
 * tells device time from engine time and shows write amplification.
 */
final class TimedVdevDriver implements VdevDriver {
    private final VdevDriver inner;
    private final Counters counters = new Counters();

    TimedVdevDriver(VdevDriver inner) {
        this.inner = inner;
    }

    Counters counters() {
        return counters;
    }

    @Override
    public String type() {
        return inner.type();
    }

    @Override
    public boolean accepts(String path) {
        return inner.accepts(path);
    }

    @Override
    public BlockDevice open(String path, boolean readOnly) throws IOException {
        return new Timed(inner.open(path, readOnly), counters);
    }

    /** Running totals over every device of the driver. */
    static final class Counters {
        final LongAdder reads = new LongAdder();
        final LongAdder readBytes = new LongAdder();
        final LongAdder readNanos = new LongAdder();
        final LongAdder writes = new LongAdder();
        final LongAdder writeBytes = new LongAdder();
        final LongAdder writeNanos = new LongAdder();
        final LongAdder flushes = new LongAdder();
        final LongAdder flushNanos = new LongAdder();

        Snapshot snapshot() {
            return new Snapshot(reads.sum(), readBytes.sum(), readNanos.sum(), writes.sum(), writeBytes.sum(),
                    writeNanos.sum(), flushes.sum(), flushNanos.sum());
        }
    }

    /** Totals at one instant; {@link #minus} gives the activity between two. */
    record Snapshot(long reads, long readBytes, long readNanos, long writes, long writeBytes, long writeNanos,
                    long flushes, long flushNanos) {
        Snapshot minus(Snapshot o) {
            return new Snapshot(reads - o.reads, readBytes - o.readBytes, readNanos - o.readNanos, writes - o.writes,
                    writeBytes - o.writeBytes, writeNanos - o.writeNanos, flushes - o.flushes,
                    flushNanos - o.flushNanos);
        }
    }

    private static final class Timed implements BlockDevice {
        private final BlockDevice dev;
        private final Counters c;

        Timed(BlockDevice dev, Counters c) {
            this.dev = dev;
            this.c = c;
        }

        @Override
        public String path() {
            return dev.path();
        }

        @Override
        public long sizeBytes() {
            return dev.sizeBytes();
        }

        @Override
        public boolean readOnly() {
            return dev.readOnly();
        }

        @Override
        public org.tarn.api.vdev.UncachedMode uncachedMode() {
            return dev.uncachedMode();
        }

        @Override
        public int uncachedUnitBytes() {
            return dev.uncachedUnitBytes();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            timedRead(offset, dst, false);
        }

        @Override
        public void readUncached(long offset, ByteBuffer dst) throws IOException {
            timedRead(offset, dst, true);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            timedWrite(offset, src, false);
        }

        @Override
        public void writeUncached(long offset, ByteBuffer src) throws IOException {
            timedWrite(offset, src, true);
        }

        private void timedRead(long offset, ByteBuffer dst, boolean uncached) throws IOException {
            int n = dst.remaining();
            long t0 = System.nanoTime();
            try {
                if (uncached) {
                    dev.readUncached(offset, dst);
                } else {
                    dev.read(offset, dst);
                }
            } finally {
                c.readNanos.add(System.nanoTime() - t0);
                c.reads.increment();
                c.readBytes.add(n);
            }
        }

        private void timedWrite(long offset, ByteBuffer src, boolean uncached) throws IOException {
            int n = src.remaining();
            long t0 = System.nanoTime();
            try {
                if (uncached) {
                    dev.writeUncached(offset, src);
                } else {
                    dev.write(offset, src);
                }
            } finally {
                c.writeNanos.add(System.nanoTime() - t0);
                c.writes.increment();
                c.writeBytes.add(n);
            }
        }

        @Override
        public void flush() throws IOException {
            long t0 = System.nanoTime();
            try {
                dev.flush();
            } finally {
                c.flushNanos.add(System.nanoTime() - t0);
                c.flushes.increment();
            }
        }

        @Override
        public void close() throws IOException {
            dev.close();
        }
    }
}
