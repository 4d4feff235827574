package org.tarn.target.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.target.TargetRole;
import org.tarn.target.TargetSettings;

/**
 * The on-disk record of a target, after Lustre's {@code last_rcvd} file: the
 * first object of the target's dataset, cut into {@link #SLOT_BYTES} slots.
 * Slot 0 is the header (magic, version, role, name, the highest transaction
 * number and the committed mark); slot {@code i >= 1} is one client (id, last
 * transaction number executed for it, its reply). The DMU checksums every
 * block, so the slots carry no checksum of their own; they change only inside
 * the transaction of the request they record.
 */
final class LastRcvd {
    static final long MAGIC = 0x5441524E54475431L; // "TARNTGT1"
    static final int VERSION = 1;
    static final int SLOT_BYTES = 1024;

    private static final int H_ROLE = 12;
    private static final int H_LAST_TRANSNO = 16;
    private static final int H_CREATED = 32;
    private static final int H_NAME = 40;

    private static final int C_ID = 1;
    private static final int C_LAST_TRANSNO = C_ID + 2 + TargetSettings.MAX_CLIENT_ID_BYTES;
    private static final int C_REPLY_KEPT = C_LAST_TRANSNO + 8;
    private static final int C_REPLY = C_REPLY_KEPT + 1;

    static {
        if (C_REPLY + 4 + TargetSettings.MAX_REPLY_BYTES > SLOT_BYTES
                || H_NAME + 2 + 4 * TargetSettings.MAX_NAME_CHARS > SLOT_BYTES) {
            throw new AssertionError("a last_rcvd slot is too small for its fields");
        }
    }

    /**
     * The header.
     *
     * @param committedMark every transaction number up to this one was on disk when the header was
     *                      written in the same transaction group (see TargetInstance)
     */
    record Header(String name, TargetRole role, long lastTransno, long committedMark, long createdMillis) {
    }

    private LastRcvd() {
    }

    static void writeHeader(Dataset ds, Transaction tx, long obj, Header h) {
        ByteBuffer b = ByteBuffer.allocate(SLOT_BYTES);
        byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
        b.putLong(MAGIC).putInt(VERSION).putInt(h.role().code()).putLong(h.lastTransno()).putLong(h.committedMark())
                .putLong(h.createdMillis()).putShort((short) name.length).put(name);
        b.clear();
        ds.write(tx, obj, 0, b);
    }

    /** Rewrites the two counters of the header. */
    static void writeCounters(Dataset ds, Transaction tx, long obj, long lastTransno, long committedMark) {
        ByteBuffer b = ByteBuffer.allocate(16).putLong(lastTransno).putLong(committedMark);
        b.flip();
        ds.write(tx, obj, H_LAST_TRANSNO, b);
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
                    + "; this engine reads version " + VERSION);
        }
        TargetRole role = TargetRole.ofCode(b.getInt(H_ROLE));
        long last = b.getLong(H_LAST_TRANSNO);
        long mark = b.getLong(H_LAST_TRANSNO + 8);
        long created = b.getLong(H_CREATED);
        int len = b.getShort(H_NAME);
        byte[] name = new byte[len];
        b.get(H_NAME + 2, name);
        return new Header(new String(name, StandardCharsets.UTF_8), role, last, mark, created);
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
        ClientRecord c = new ClientRecord(new String(id, StandardCharsets.UTF_8), slot);
        c.lastTransno = b.getLong(C_LAST_TRANSNO);
        c.replyKept = b.get(C_REPLY_KEPT) == 1;
        byte[] reply = new byte[Math.min(b.getInt(C_REPLY), TargetSettings.MAX_REPLY_BYTES)];
        b.get(C_REPLY + 4, reply);
        c.reply = reply;
        return c;
    }

    static void writeClient(Dataset ds, Transaction tx, long obj, ClientRecord c) {
        ByteBuffer b = ByteBuffer.allocate(SLOT_BYTES);
        byte[] id = c.id.getBytes(StandardCharsets.UTF_8);
        b.put(0, (byte) 1).putShort(C_ID, (short) id.length).put(C_ID + 2, id)
                .putLong(C_LAST_TRANSNO, c.lastTransno).put(C_REPLY_KEPT, (byte) (c.replyKept ? 1 : 0));
        byte[] reply = c.replyKept ? c.reply : new byte[0];
        b.putInt(C_REPLY, reply.length).put(C_REPLY + 4, reply);
        ds.write(tx, obj, (long) c.slot * SLOT_BYTES, b);
    }

    static void clearClient(Dataset ds, Transaction tx, long obj, int slot) {
        ds.write(tx, obj, (long) slot * SLOT_BYTES, ByteBuffer.allocate(SLOT_BYTES));
    }
}
