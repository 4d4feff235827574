package org.tarn.target.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetSettings;

/**
 * The on-disk records of a target, after Lustre's {@code last_rcvd} and
 * {@code reply_data} files, and its object index. Four objects, the first four
 * of the target's dataset:
 * <ul>
 * <li><b>last_rcvd</b>, cut into {@link #SLOT_BYTES} slots: slot 0 is the
 * header (magic, version, role, name, the highest transaction number, the
 * clean-unmount flag, the next client generation, the ids of the other two
 * objects); slot {@code i >= 1} is one client (id, generation, the highest
 * transaction number executed for it).</li>
 * <li><b>reply records</b>: client slot {@code i} owns the region at
 * {@code i * RING_BYTES}, a ring of {@link TargetSettings#REPLY_RECORDS_PER_CLIENT}
 * records of {@link #RECORD_BYTES}, indexed by {@code xid % records}: the
 * generation of the client, the xid, its transaction number and its reply
 * (when short enough). A record counts only when its generation is the
 * client's, so a slot reused by a new client needs no clearing; a client never
 * has two live xids {@code records} apart (its window), so a ring entry is
 * only overwritten once its client has seen the reply.</li>
 * <li><b>attributes</b>: object {@code fid}'s attributes at
 * {@code fid * ATTR_BYTES} (a sparse object).</li>
 * <li><b>object index</b> (after Lustre's OI): the DMU object of each
 * client-visible object id (FID) at {@code fid * 8}. FIDs are the target's
 * own (the header keeps the last one given out), so a create replayed on a
 * failover server recreates the object under the FID its client was told,
 * whatever DMU object it gets there.</li>
 * </ul>
 * The DMU checksums every block, so the records carry no checksum of their
 * own; they change only inside the transaction of the request they record.
 */
final class LastRcvd {
    static final long MAGIC = 0x5441524E54475431L; // "TARNTGT1"
    static final int VERSION = 2;
    static final int SLOT_BYTES = 1024;
    static final int RECORD_BYTES = 256;
    static final int RING_BYTES = RECORD_BYTES * TargetSettings.REPLY_RECORDS_PER_CLIENT;
    static final int ATTR_BYTES = 48;

    private static final int H_ROLE = 12;
    private static final int H_LAST_TRANSNO = 16;
    private static final int H_CLEAN = 24;
    private static final int H_NEXT_GENERATION = 32;
    private static final int H_CREATED = 40;
    private static final int H_REPLY_OBJECT = 48;
    private static final int H_ATTR_OBJECT = 56;
    private static final int H_OI_OBJECT = 64;
    private static final int H_LAST_FID = 72;
    private static final int H_NAME = 80;

    private static final int C_ID = 1;
    private static final int C_LAST_TRANSNO = C_ID + 2 + TargetSettings.MAX_CLIENT_ID_BYTES;
    private static final int C_GENERATION = C_LAST_TRANSNO + 8;

    private static final int R_GENERATION = 0;
    private static final int R_XID = 8;
    private static final int R_TRANSNO = 16;
    private static final int R_KEPT = 24;
    private static final int R_LENGTH = 25;
    private static final int R_DATA = 32;

    static {
        if (C_GENERATION + 8 > SLOT_BYTES || H_NAME + 2 + 4 * TargetSettings.MAX_NAME_CHARS > SLOT_BYTES
                || R_DATA + TargetSettings.MAX_REPLY_BYTES > RECORD_BYTES) {
            throw new AssertionError("a last_rcvd slot or reply record is too small for its fields");
        }
    }

    /**
     * The header.
     *
     * @param clean true when the target was last unmounted cleanly (everything it executed was
     *              committed); every request writes false
     */
    record Header(String name, TargetRole role, long lastTransno, boolean clean, long nextGeneration,
                  long createdMillis, long replyObject, long attrObject, long oiObject, long lastFid) {
    }

    /** One reply record as read back. */
    record Kept(long xid, long transno, boolean replyKept, byte[] reply) {
    }

    private LastRcvd() {
    }

    static void writeHeader(Dataset ds, Transaction tx, long obj, Header h) {
        ByteBuffer b = ByteBuffer.allocate(SLOT_BYTES);
        byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
        b.putLong(0, MAGIC).putInt(8, VERSION).putInt(H_ROLE, h.role().code()).putLong(H_LAST_TRANSNO, h.lastTransno())
                .put(H_CLEAN, (byte) (h.clean() ? 1 : 0)).putLong(H_NEXT_GENERATION, h.nextGeneration())
                .putLong(H_CREATED, h.createdMillis()).putLong(H_REPLY_OBJECT, h.replyObject())
                .putLong(H_ATTR_OBJECT, h.attrObject()).putLong(H_OI_OBJECT, h.oiObject())
                .putLong(H_LAST_FID, h.lastFid()).putShort(H_NAME, (short) name.length).put(H_NAME + 2, name);
        ds.write(tx, obj, 0, b);
    }

    /** Rewrites the highest transaction number and clears the clean flag (every request does). */
    static void writeLastTransno(Dataset ds, Transaction tx, long obj, long lastTransno) {
        ByteBuffer b = ByteBuffer.allocate(9).putLong(lastTransno).put((byte) 0);
        ds.write(tx, obj, H_LAST_TRANSNO, b.flip());
    }

    static void writeClean(Dataset ds, Transaction tx, long obj, boolean clean) {
        ds.write(tx, obj, H_CLEAN, ByteBuffer.wrap(new byte[] {(byte) (clean ? 1 : 0)}));
    }

    static void writeNextGeneration(Dataset ds, Transaction tx, long obj, long next) {
        ds.write(tx, obj, H_NEXT_GENERATION, ByteBuffer.allocate(8).putLong(0, next));
    }

    static Header readHeader(Dataset ds, long obj, String where) {
        ByteBuffer b = ByteBuffer.allocate(SLOT_BYTES);
        ds.read(obj, 0, b);
        b.flip();
        if (b.remaining() < SLOT_BYTES || b.getLong(0) != MAGIC) {
            throw new TarnException(ErrorCode.NO_VALID_LABEL, where + " holds no target header");
        }
        int version = b.getInt(8);
        if (version != VERSION) {
            throw new TarnException(ErrorCode.UNSUPPORTED_VERSION, where + " has target format version " + version
                    + "; this build reads version " + VERSION + " only (recreate the target)");
        }
        TargetRole role = TargetRole.ofCode(b.getInt(H_ROLE));
        int len = b.getShort(H_NAME);
        byte[] name = new byte[len];
        b.get(H_NAME + 2, name);
        return new Header(new String(name, StandardCharsets.UTF_8), role, b.getLong(H_LAST_TRANSNO),
                b.get(H_CLEAN) == 1, b.getLong(H_NEXT_GENERATION), b.getLong(H_CREATED), b.getLong(H_REPLY_OBJECT),
                b.getLong(H_ATTR_OBJECT), b.getLong(H_OI_OBJECT), b.getLong(H_LAST_FID));
    }

    /** The number of slots the object holds, header included. */
    static int slots(Dataset ds, long obj) {
        return (int) (ds.size(obj) / SLOT_BYTES);
    }

    /** The client in slot {@code slot}, or null when the slot is free. */
    static ClientRecord readClient(Dataset ds, long obj, int slot) {
        ByteBuffer b = ByteBuffer.allocate(SLOT_BYTES);
        ds.read(obj, (long) slot * SLOT_BYTES, b);
        b.flip();
        if (b.remaining() < SLOT_BYTES || b.get(0) != 1) {
            return null;
        }
        byte[] id = new byte[Math.min(b.getShort(C_ID), TargetSettings.MAX_CLIENT_ID_BYTES)];
        b.get(C_ID + 2, id);
        ClientRecord c = new ClientRecord(new String(id, StandardCharsets.UTF_8), slot, b.getLong(C_GENERATION));
        c.lastTransno = b.getLong(C_LAST_TRANSNO);
        return c;
    }

    static void writeClient(Dataset ds, Transaction tx, long obj, ClientRecord c) {
        ByteBuffer b = ByteBuffer.allocate(SLOT_BYTES);
        byte[] id = c.id.getBytes(StandardCharsets.UTF_8);
        b.put(0, (byte) 1).putShort(C_ID, (short) id.length).put(C_ID + 2, id)
                .putLong(C_LAST_TRANSNO, c.lastTransno).putLong(C_GENERATION, c.generation);
        ds.write(tx, obj, (long) c.slot * SLOT_BYTES, b);
    }

    static void writeClientLastTransno(Dataset ds, Transaction tx, long obj, ClientRecord c) {
        ds.write(tx, obj, (long) c.slot * SLOT_BYTES + C_LAST_TRANSNO, ByteBuffer.allocate(8).putLong(0, c.lastTransno));
    }

    static void clearClient(Dataset ds, Transaction tx, long obj, int slot) {
        ds.write(tx, obj, (long) slot * SLOT_BYTES, ByteBuffer.allocate(SLOT_BYTES));
    }

    /** Records request {@code xid} of a client in its ring. */
    static void writeRecord(Dataset ds, Transaction tx, long replyObj, ClientRecord c, long xid, long transno,
                            boolean kept, byte[] reply) {
        byte[] data = kept ? reply : new byte[0];
        ByteBuffer b = ByteBuffer.allocate(R_DATA + data.length);
        b.putLong(R_GENERATION, c.generation).putLong(R_XID, xid).putLong(R_TRANSNO, transno)
                .put(R_KEPT, (byte) (kept ? 1 : 0)).putShort(R_LENGTH, (short) data.length).put(R_DATA, data);
        ds.write(tx, replyObj, recordOffset(c.slot, xid), b);
    }

    /** The records of a client's ring that belong to its generation, in xid order. */
    static List<Kept> readRecords(Dataset ds, long replyObj, ClientRecord c) {
        ByteBuffer ring = ByteBuffer.allocate(RING_BYTES);
        long base = (long) c.slot * RING_BYTES;
        int n = ds.read(replyObj, base, ring);
        List<Kept> out = new ArrayList<>();
        for (int at = 0; at + R_DATA <= n; at += RECORD_BYTES) {
            if (ring.getLong(at + R_GENERATION) != c.generation || c.generation == 0) {
                continue;
            }
            long xid = ring.getLong(at + R_XID);
            if (xid <= 0 || (int) (xid % TargetSettings.REPLY_RECORDS_PER_CLIENT) != at / RECORD_BYTES) {
                continue;
            }
            int len = Math.min(ring.getShort(at + R_LENGTH), TargetSettings.MAX_REPLY_BYTES);
            byte[] reply = new byte[Math.max(0, Math.min(len, n - at - R_DATA))];
            ring.get(at + R_DATA, reply);
            out.add(new Kept(xid, ring.getLong(at + R_TRANSNO), ring.get(at + R_KEPT) == 1, reply));
        }
        out.sort((a, b) -> Long.compare(a.xid(), b.xid()));
        return out;
    }

    private static long recordOffset(int slot, long xid) {
        return (long) slot * RING_BYTES + (xid % TargetSettings.REPLY_RECORDS_PER_CLIENT) * RECORD_BYTES;
    }

    // ---- object index: client-visible object ids (FIDs) to DMU objects ------

    static void writeLastFid(Dataset ds, Transaction tx, long obj, long lastFid) {
        ds.write(tx, obj, H_LAST_FID, ByteBuffer.allocate(8).putLong(0, lastFid));
    }

    /** The DMU object of a FID; 0 when it has none. */
    static long lookup(Dataset ds, long oiObj, long fid) {
        ByteBuffer b = ByteBuffer.allocate(8);
        int n = ds.read(oiObj, fid * 8, b);
        return n < 8 ? 0 : b.getLong(0);
    }

    static void map(Dataset ds, Transaction tx, long oiObj, long fid, long objectId) {
        ds.write(tx, oiObj, fid * 8, ByteBuffer.allocate(8).putLong(0, objectId));
    }

    // ---- attributes ---------------------------------------------------------

    /** Stored attributes of an object: mtime, atime, ctime, uid, gid, projid; zeros when never set. */
    static long[] readAttributes(Dataset ds, long attrObj, long objectId) {
        ByteBuffer b = ByteBuffer.allocate(ATTR_BYTES);
        int n = ds.read(attrObj, objectId * ATTR_BYTES, b);
        long[] out = new long[6];
        if (n < 36) {
            return out;
        }
        out[0] = b.getLong(0);
        out[1] = b.getLong(8);
        out[2] = b.getLong(16);
        out[3] = b.getInt(24);
        out[4] = b.getInt(28);
        out[5] = b.getInt(32);
        return out;
    }

    static void writeAttributes(Dataset ds, Transaction tx, long attrObj, long objectId, long[] a) {
        ByteBuffer b = ByteBuffer.allocate(ATTR_BYTES).putLong(0, a[0]).putLong(8, a[1]).putLong(16, a[2])
                .putInt(24, (int) a[3]).putInt(28, (int) a[4]).putInt(32, (int) a[5]);
        ds.write(tx, attrObj, objectId * ATTR_BYTES, b);
    }
}
