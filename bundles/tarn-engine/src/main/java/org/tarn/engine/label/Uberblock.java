package org.tarn.engine.label;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;

import org.tarn.engine.io.BlockPointer;

/**
 * The root of a pool at one synced transaction group: where its meta-objset
 * is and what it took to get there. A pool is opened from the valid uberblock
 * that sorts last by {@link #ORDER} (txg, then timestamp, then multihost
 * sequence): a timestamp breaks the tie when a txg was synced twice (once on a
 * replica that then went missing), the sequence when the multihost heartbeat
 * rewrote the same txg's uberblock.
 *
 * <p>Encoded in one {@link LabelLayout#UBERBLOCK_SLOT_BYTES} slot, big-endian:
 * <pre>
 *    0   8  magic "TARNUBER"
 *    8   4  format version
 *   12   4  reserved (zero)
 *   16   8  txg
 *   24   8  timestamp, epoch millis
 *   32   8  sum of all vdev GUIDs
 *   40   8  multihost sequence
 *   48  64  root block pointer ({@link BlockPointer#BYTES})
 *  112   8  multihost interval of the writer, millis (0: none recorded)
 *  120   4  multihost fail intervals of the writer
 *  124   4  reserved (zero)
 *  128   8  multihost delay the writer observed between landed heartbeats, millis
 *  136   .  zero
 * 1020   4  CRC32C of bytes 0..1019
 * </pre>
 * An all-zero slot is empty, never an error.
 *
 * @param txg             the synced transaction group
 * @param timestampMillis when it was synced (or the heartbeat rewrote it)
 * @param guidSum         {@link VdevConfig#guidSum()} of the pool's tree: a different sum means devices are missing
 * @param rootBp          the meta-objset's root block
 * @param mmpSequence     multihost heartbeat count within this txg
 * @param formatVersion   the on-disk format
 * @param mmp             the writer's multihost timing, from which an importer derives its wait
 */
public record Uberblock(long txg, long timestampMillis, long guidSum, BlockPointer rootBp, long mmpSequence,
                        int formatVersion, Mmp mmp) {

    /**
     * The multihost timing of the host that wrote an uberblock ({@code
     * ub_mmp_config} and {@code ub_mmp_delay} in OpenZFS): how often it beats,
     * after how many intervals without a landed heartbeat it suspends itself,
     * and the delay it saw between heartbeats landing.
     *
     * @param intervalMillis time between two heartbeats to the same leaf; 0 when not recorded
     * @param failIntervals  intervals without a landed heartbeat after which the writer suspends
     * @param delayMillis    observed time between landed heartbeats to any leaf (a moving average); an
     *                       importer multiplies it by the leaf count for the time between two to one leaf
     */
    public record Mmp(long intervalMillis, int failIntervals, long delayMillis) {
        /** Nothing recorded: an uberblock of a sync with multihost off, or of an older writer. */
        public static final Mmp NONE = new Mmp(0, 0, 0);

        public Mmp {
            if (intervalMillis < 0 || failIntervals < 0 || delayMillis < 0) {
                throw new IllegalArgumentException("negative multihost timing " + intervalMillis + "/"
                        + failIntervals + "/" + delayMillis);
            }
        }

        /** Whether the writer recorded when it would suspend itself. */
        public boolean valid() {
            return intervalMillis > 0 && failIntervals > 0;
        }
    }

    /** An uberblock without multihost timing. */
    public Uberblock(long txg, long timestampMillis, long guidSum, BlockPointer rootBp, long mmpSequence,
                     int formatVersion) {
        this(txg, timestampMillis, guidSum, rootBp, mmpSequence, formatVersion, Mmp.NONE);
    }

    public static final int BYTES = LabelLayout.UBERBLOCK_SLOT_BYTES;
    /** "TARNUBER". */
    public static final long MAGIC = 0x5441524E55424552L;

    /** Oldest to newest: by txg, then timestamp, then multihost sequence. */
    public static final Comparator<Uberblock> ORDER = Comparator.comparingLong(Uberblock::txg)
            .thenComparingLong(Uberblock::timestampMillis)
            .thenComparingLong(Uberblock::mmpSequence);

    private static final int OFF_VERSION = 8;
    private static final int OFF_TXG = 16;
    private static final int OFF_BP = 48;
    private static final int OFF_MMP_INTERVAL = 112;
    private static final int OFF_MMP_FAILS = 120;
    private static final int OFF_MMP_DELAY = 128;
    private static final int OFF_CHECKSUM = BYTES - 4;

    public Uberblock {
        Objects.requireNonNull(rootBp, "rootBp");
        Objects.requireNonNull(mmp, "mmp");
        if (txg < 0) {
            throw new IllegalArgumentException("txg " + txg + " is negative");
        }
        if (formatVersion < 1) {
            throw new IllegalArgumentException("format version " + formatVersion + " is not valid");
        }
    }

    /** An uberblock at the current format version. */
    public static Uberblock of(long txg, long timestampMillis, long guidSum, BlockPointer rootBp) {
        return new Uberblock(txg, timestampMillis, guidSum, rootBp, 0, LabelLayout.FORMAT_VERSION);
    }

    /** The same uberblock as a multihost heartbeat rewrites it. */
    public Uberblock withHeartbeat(long newMmpSequence, long newTimestampMillis) {
        return new Uberblock(txg, newTimestampMillis, guidSum, rootBp, newMmpSequence, formatVersion, mmp);
    }

    /** The same uberblock carrying the writer's multihost timing. */
    public Uberblock withMmp(Mmp timing) {
        return new Uberblock(txg, timestampMillis, guidSum, rootBp, mmpSequence, formatVersion, timing);
    }

    /** The ring slot this uberblock goes to. */
    public int slot() {
        return LabelLayout.uberblockSlot(txg);
    }

    /** The newest of {@code uberblocks} by {@link #ORDER}. */
    public static Optional<Uberblock> best(Collection<Uberblock> uberblocks) {
        return uberblocks.stream().max(ORDER);
    }

    /** A {@link #BYTES}-long buffer, position 0, holding this uberblock. */
    public ByteBuffer encode() {
        ByteBuffer buf = ByteBuffer.allocate(BYTES);
        buf.putLong(MAGIC).putInt(formatVersion).putInt(0)
                .putLong(txg).putLong(timestampMillis).putLong(guidSum).putLong(mmpSequence);
        rootBp.encode(buf);
        buf.putLong(OFF_MMP_INTERVAL, mmp.intervalMillis()).putInt(OFF_MMP_FAILS, mmp.failIntervals())
                .putLong(OFF_MMP_DELAY, mmp.delayMillis());
        buf.putInt(OFF_CHECKSUM, crc(buf, OFF_CHECKSUM));
        return buf.clear();
    }

    /** Whether the {@link #BYTES} at the position of {@code slot} are all zero (an unused slot). */
    public static boolean isBlank(ByteBuffer slot) {
        int p = slot.position();
        for (int i = 0; i < BYTES && p + i < slot.limit(); i++) {
            if (slot.get(p + i) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes the {@link #BYTES} at the position of {@code slot}, without
     * moving it.
     *
     * @throws LabelException with the reason the slot is not a valid uberblock
     */
    public static Uberblock decode(ByteBuffer slot) throws LabelException {
        if (slot.remaining() < BYTES) {
            throw new LabelException(LabelException.Kind.BAD_LENGTH,
                    "uberblock slot is " + slot.remaining() + " bytes, expected " + BYTES);
        }
        ByteBuffer buf = slot.slice().limit(BYTES);
        if (isBlank(buf)) {
            throw new LabelException(LabelException.Kind.NOT_A_LABEL, "empty uberblock slot");
        }
        long magic = buf.getLong(0);
        if (magic != MAGIC) {
            throw new LabelException(LabelException.Kind.NOT_A_LABEL,
                    String.format("not a Tarn uberblock (magic 0x%016x)", magic));
        }
        int version = buf.getInt(OFF_VERSION);
        if (version > LabelLayout.FORMAT_VERSION) {
            throw new LabelException(LabelException.Kind.UNSUPPORTED_VERSION, "uberblock format version "
                    + version + " is newer than supported " + LabelLayout.FORMAT_VERSION);
        }
        int stored = buf.getInt(OFF_CHECKSUM);
        int computed = crc(buf, OFF_CHECKSUM);
        if (stored != computed) {
            throw new LabelException(LabelException.Kind.BAD_CHECKSUM, String.format(
                    "uberblock checksum mismatch (stored 0x%08x, computed 0x%08x)", stored, computed));
        }
        if (version < 1) {
            throw new LabelException(LabelException.Kind.CORRUPT, "uberblock format version " + version
                    + " is not valid");
        }
        try {
            BlockPointer bp = BlockPointer.decode(buf.position(OFF_BP));
            Mmp mmp = new Mmp(buf.getLong(OFF_MMP_INTERVAL), buf.getInt(OFF_MMP_FAILS), buf.getLong(OFF_MMP_DELAY));
            return new Uberblock(buf.getLong(OFF_TXG), buf.getLong(OFF_TXG + 8), buf.getLong(OFF_TXG + 16), bp,
                    buf.getLong(OFF_TXG + 24), version, mmp);
        } catch (IllegalArgumentException e) {
            throw new LabelException(LabelException.Kind.CORRUPT, "uberblock does not decode: " + e.getMessage(), e);
        }
    }

    private static int crc(ByteBuffer buf, int length) {
        CRC32C crc = new CRC32C();
        crc.update(buf.duplicate().position(0).limit(length));
        return (int) crc.getValue();
    }

    @Override
    public String toString() {
        return "uberblock txg=" + txg + " timestamp=" + timestampMillis + " guidSum="
                + Long.toUnsignedString(guidSum) + " mmpSeq=" + mmpSequence + " version=" + formatVersion
                + (mmp.valid() ? " mmp=" + mmp.intervalMillis() + "ms/" + mmp.failIntervals() + "/"
                        + mmp.delayMillis() + "ms" : "") + " rootBp=" + rootBp;
    }
}
