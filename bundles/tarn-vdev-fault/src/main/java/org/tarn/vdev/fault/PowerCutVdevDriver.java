package org.tarn.vdev.fault;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.UncachedMode;
import org.tarn.api.vdev.VdevDriver;

/**
 * The {@code powercut} driver: devices with a volatile write cache that a
 * test can cut the power of. It opens {@code powercut:<inner path>} with an
 * inner driver.
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>The volatile cache.</b> A disk's write cache belongs to the disk, not
 * to a descriptor, so the state is kept per inner path and shared by every
 * handle on it. A write (buffered or uncached: {@code O_DIRECT} bypasses the
 * host's page cache, not the disk's) does not reach the inner device: it
 * becomes a new version of each {@value #UNIT_BYTES}-byte unit it touches,
 * kept in memory. Reads through any handle see the newest version of each
 * unit, else the inner device. {@link BlockDevice#flush()} writes the newest
 * version of every unit to the inner device, flushes it and empties the cache:
 * from then on those bytes survive any cut.
 *
 * <p><b>A cut.</b> {@link #cut(Random, double)} decides, for every unit in
 * every device's cache independently, whether it reached the medium before
 * the power went, and if so which of its versions (a disk may have written an
 * earlier one back and lost a later one): so a write that spans several units
 * can be torn at unit boundaries, and writes since the last flush land in any
 * subset, in any order. The chosen versions are written to the inner devices
 * and flushed, the caches emptied, and every handle opened before the cut
 * fails every later call with an {@link IOException}: the host that had them
 * is gone. All handles die at one instant, before any device's cache is
 * decided: a call already inside a device then finishes first (it happened
 * before the cut), and no call on any device succeeds after it, so the cut is
 * simultaneous across devices as a real one is. Devices opened afterwards work
 * again (the power came back).
 *
 * <p>One lock per device serializes its calls; nothing blocks on anything but
 * the inner device. Thread-safe.
 */
public final class PowerCutVdevDriver implements VdevDriver {

    /** The driver's type. */
    public static final String TYPE = "powercut";

    /** The prefix of the paths this driver accepts. */
    public static final String PREFIX = "powercut:";

    /** The unit a cut keeps or loses whole: a 4 KiB sector. */
    public static final int UNIT_BYTES = 4096;

    private final VdevDriver inner;
    private final ConcurrentMap<String, Disk> disks = new ConcurrentHashMap<>();
    /** Counts cuts; a handle lives while it equals the value it was opened under. */
    private volatile int power;

    /**
     * What one cut did.
     *
     * @param devices     devices that had unflushed writes
     * @param unitsCached units with at least one unflushed version
     * @param unitsKept   of those, units that reached the medium (in one of their versions)
     */
    public record Cut(int devices, long unitsCached, long unitsKept) {
    }

    /** A driver whose devices are opened by {@code inner}. */
    public PowerCutVdevDriver(VdevDriver inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public String type() {
        return TYPE;
    }

    /** Whether the path is {@code powercut:} followed by a path the inner driver accepts. */
    @Override
    public boolean accepts(String path) {
        return path != null && path.startsWith(PREFIX) && inner.accepts(path.substring(PREFIX.length()));
    }

    /**
     * Opens the inner device under the current power; failures of the inner open pass through.
     *
     * @throws IllegalArgumentException when this driver does not {@linkplain #accepts accept} the path
     */
    @Override
    public BlockDevice open(String path, boolean readOnly) throws IOException {
        if (!accepts(path)) {
            throw new IllegalArgumentException("not a powercut device path: " + path);
        }
        String innerPath = path.substring(PREFIX.length());
        Disk disk = disks.computeIfAbsent(innerPath, Disk::new);
        int opened = power;
        return new CutDevice(path, inner.open(innerPath, readOnly), disk, opened);
    }

    /** Bytes of unflushed unit versions over all devices (the newest version of each unit counts once). */
    public long volatileBytes() {
        long total = 0;
        for (Disk disk : disks.values()) {
            synchronized (disk) {
                total += (long) disk.units.size() * UNIT_BYTES;
            }
        }
        return total;
    }

    /**
     * Cuts the power: each cached unit of each device reaches the medium with
     * probability {@code keepProbability}, in a version chosen uniformly among
     * its unflushed ones; every handle opened so far is dead.
     *
     * @throws IOException when the inner device fails to take the kept units (the test cannot go on)
     */
    public Cut cut(Random random, double keepProbability) throws IOException {
        if (!(keepProbability >= 0 && keepProbability <= 1)) {
            throw new IllegalArgumentException("keep probability " + keepProbability + " is not between 0 and 1");
        }
        int devices = 0;
        long cached = 0;
        long kept = 0;
        synchronized (this) {
            power++; // every handle dies at this instant; calls already inside a device finish before it
        }
        for (Disk disk : new TreeMap<>(disks).values()) {
            synchronized (disk) {
                if (!disk.units.isEmpty()) {
                    devices++;
                }
                for (Map.Entry<Long, List<byte[]>> e : disk.units.entrySet()) {
                    cached++;
                    if (random.nextDouble() < keepProbability) {
                        List<byte[]> versions = e.getValue();
                        disk.writeThrough(e.getKey(), versions.get(random.nextInt(versions.size())));
                        kept++;
                    }
                }
                if (disk.writer != null) {
                    disk.writer.flush();
                    disk.writer.close();
                    disk.writer = null;
                }
                disk.units.clear();
            }
        }
        return new Cut(devices, cached, kept);
    }

    /** Cuts the power keeping each cached unit with probability one half. */
    public Cut cut(Random random) throws IOException {
        return cut(random, 0.5);
    }

    /** The cache of one device; its monitor is the device's lock. */
    private final class Disk {
        final String innerPath;
        /** Unit index to its unflushed versions, oldest first. */
        final NavigableMap<Long, List<byte[]>> units = new TreeMap<>();
        /** A read-write inner handle that flushes and cuts write through; opened when first needed. */
        BlockDevice writer;

        Disk(String innerPath) {
            this.innerPath = innerPath;
        }

        void writeThrough(long unit, byte[] bytes) throws IOException {
            if (writer == null) {
                writer = inner.open(innerPath, false);
            }
            long offset = unit * UNIT_BYTES;
            int length = (int) Math.min(UNIT_BYTES, writer.sizeBytes() - offset);
            writer.write(offset, ByteBuffer.wrap(bytes, 0, length));
        }

        void flush() throws IOException {
            for (Map.Entry<Long, List<byte[]>> e : units.entrySet()) {
                List<byte[]> versions = e.getValue();
                writeThrough(e.getKey(), versions.get(versions.size() - 1));
            }
            if (writer != null) {
                writer.flush();
            }
            units.clear();
        }
    }

    /** A handle on a device, valid while the power it was opened under lasts. */
    private final class CutDevice implements BlockDevice {
        private final String path;
        private final BlockDevice inner;
        private final Disk disk;
        private final int epoch;

        CutDevice(String path, BlockDevice inner, Disk disk, int epoch) {
            this.path = path;
            this.inner = inner;
            this.disk = disk;
            this.epoch = epoch;
        }

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
        public UncachedMode uncachedMode() {
            return inner.uncachedMode();
        }

        @Override
        public int uncachedUnitBytes() {
            return inner.uncachedUnitBytes();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            synchronized (disk) {
                checkPower();
                int start = dst.position();
                int length = dst.remaining();
                inner.read(offset, dst.duplicate());
                long first = offset / UNIT_BYTES;
                long last = (offset + Math.max(length, 1) - 1) / UNIT_BYTES;
                for (Map.Entry<Long, List<byte[]>> e : disk.units.subMap(first, true, last, true).entrySet()) {
                    List<byte[]> versions = e.getValue();
                    byte[] newest = versions.get(versions.size() - 1);
                    long unitStart = e.getKey() * UNIT_BYTES;
                    long from = Math.max(unitStart, offset);
                    long to = Math.min(unitStart + UNIT_BYTES, offset + length);
                    dst.put(start + (int) (from - offset), newest, (int) (from - unitStart), (int) (to - from));
                }
                dst.position(start + length);
            }
        }

        @Override
        public void readUncached(long offset, ByteBuffer dst) throws IOException {
            read(offset, dst); // O_DIRECT bypasses the host's cache, not the disk's
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            synchronized (disk) {
                checkPower();
                if (inner.readOnly()) {
                    throw new AccessDeniedException(path, null, "device is open read-only");
                }
                int length = src.remaining();
                if (offset < 0) {
                    throw new IllegalArgumentException("write at negative offset " + offset + " on " + path);
                }
                if (offset > inner.sizeBytes() - length) {
                    throw new EOFException("write of " + length + " bytes at offset " + offset
                            + " runs past the end of " + path + " (" + inner.sizeBytes() + " bytes)");
                }
                long pos = offset;
                while (src.hasRemaining()) {
                    long unit = pos / UNIT_BYTES;
                    int at = (int) (pos % UNIT_BYTES);
                    int n = Math.min(UNIT_BYTES - at, src.remaining());
                    byte[] version = base(unit);
                    src.get(version, at, n);
                    disk.units.computeIfAbsent(unit, u -> new ArrayList<>()).add(version);
                    pos += n;
                }
            }
        }

        @Override
        public void writeUncached(long offset, ByteBuffer src) throws IOException {
            write(offset, src); // reaches the disk's volatile cache, like any write before a flush
        }

        /** A copy of what the unit holds now: its newest version, else the inner device's bytes. */
        private byte[] base(long unit) throws IOException {
            List<byte[]> versions = disk.units.get(unit);
            if (versions != null) {
                return versions.get(versions.size() - 1).clone();
            }
            byte[] bytes = new byte[UNIT_BYTES];
            long offset = unit * UNIT_BYTES;
            int length = (int) Math.min(UNIT_BYTES, inner.sizeBytes() - offset);
            inner.read(offset, ByteBuffer.wrap(bytes, 0, length));
            return bytes;
        }

        @Override
        public void flush() throws IOException {
            synchronized (disk) {
                checkPower();
                disk.flush();
            }
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }

        private void checkPower() throws IOException {
            if (power != epoch) {
                throw new IOException("power cut: " + path + " lost its power (and its host) since it was opened");
            }
        }

        @Override
        public String toString() {
            return "PowerCutDevice[" + path + "]";
        }
    }
}
