package org.tarn.target.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.ObjectAttributes;
import org.tarn.target.TargetData;
import org.tarn.target.TargetUpdate;

/**
 * The operations a target serves to remote clients, as an OST does: object
 * create, write, read, punch, delete, get and set attributes, statfs. Each
 * is a value that {@link WireFormat} encodes, so a request kept by a client
 * can be replayed on another server; each is also a {@link TargetUpdate}
 * that checks what it needs before it changes anything (the DMU has no
 * rollback).
 *
 * <p>Replies are bytes (see each operation): an object id, a size, data,
 * attributes; {@link #decodeReply} turns them back into values for the
 * client.
 */
public sealed interface TargetOp extends TargetUpdate {

    /** The stable wire code of the operation. */
    int code();

    /**
     * Creates an empty object; the reply is its id (8 bytes). A replay of it
     * carries the id the client was told ({@code objectId}, 0 for a new one),
     * so the object comes back under it on a failover server.
     */
    record CreateObject(long objectId) implements TargetOp {
        public static final int CODE = 1;

        public CreateObject() {
            this(0);
        }

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public byte[] apply(TargetData data) {
            return longBytes(objectId == 0 ? data.createObject() : data.createObject(objectId));
        }

        /** The same create, replayed under the id its reply named. */
        public CreateObject replayOf(byte[] reply) {
            return reply.length == 8 ? new CreateObject(decodeLong(reply)) : this;
        }
    }

    /** Writes {@code data} at {@code offset}; the reply is the object's new size (8 bytes). */
    record Write(long objectId, long offset, byte[] data) implements TargetOp {
        public static final int CODE = 2;

        public Write {
            checkRange(offset, data.length);
        }

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public byte[] apply(TargetData target) {
            exists(target, objectId);
            target.write(objectId, offset, data);
            return longBytes(target.size(objectId));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Write w && w.objectId == objectId && w.offset == offset && Arrays.equals(w.data, data);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(objectId) * 31 + Long.hashCode(offset) * 17 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Write[objectId=" + objectId + ", offset=" + offset + ", " + data.length + " bytes]";
        }
    }

    /** Reads up to {@code length} bytes at {@code offset}; the reply is the bytes (fewer at the end). */
    record Read(long objectId, long offset, int length) implements TargetOp {
        public static final int CODE = 3;

        public Read {
            checkRange(offset, length);
        }

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public boolean readOnly() {
            return true;
        }

        @Override
        public byte[] apply(TargetData data) {
            exists(data, objectId);
            return data.read(objectId, offset, length);
        }
    }

    /** Punches {@code [offset, offset + length)} to zeros (see {@link TargetData#punch}); empty reply. */
    record Punch(long objectId, long offset, long length) implements TargetOp {
        public static final int CODE = 4;

        public Punch {
            if (offset < 0 || length < 0) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "punch range must not be negative: offset "
                        + offset + ", length " + length);
            }
        }

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public byte[] apply(TargetData data) {
            exists(data, objectId);
            data.punch(objectId, offset, length);
            return new byte[0];
        }
    }

    /** Frees an object; empty reply. */
    record Delete(long objectId) implements TargetOp {
        public static final int CODE = 5;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public byte[] apply(TargetData data) {
            exists(data, objectId);
            data.freeObject(objectId);
            return new byte[0];
        }
    }

    /** Reads an object's attributes; the reply is {@link #encodeAttributes}. */
    record GetAttributes(long objectId) implements TargetOp {
        public static final int CODE = 6;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public boolean readOnly() {
            return true;
        }

        @Override
        public byte[] apply(TargetData data) {
            exists(data, objectId);
            return encodeAttributes(data.attributes(objectId));
        }
    }

    /** Stores the attributes named by {@code mask} ({@link ObjectAttributes} bits); empty reply. */
    record SetAttributes(long objectId, int mask, ObjectAttributes values) implements TargetOp {
        public static final int CODE = 7;

        public SetAttributes {
            if ((mask & ~ObjectAttributes.ALL) != 0 || mask == 0) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "attribute mask 0x"
                        + Integer.toHexString(mask) + " names no settable attribute or unknown ones (known: 0x"
                        + Integer.toHexString(ObjectAttributes.ALL) + ")");
            }
        }

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public byte[] apply(TargetData data) {
            exists(data, objectId);
            data.setAttributes(objectId, mask, values);
            return new byte[0];
        }
    }

    /** The target's object count; the reply is 8 bytes. */
    record Statfs() implements TargetOp {
        public static final int CODE = 8;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public boolean readOnly() {
            return true;
        }

        @Override
        public byte[] apply(TargetData data) {
            return longBytes(data.objectCount());
        }
    }

    /** Bytes of an encoded {@link ObjectAttributes}. */
    int ATTRIBUTE_BYTES = 8 * 4 + 4 * 3;

    static byte[] encodeAttributes(ObjectAttributes a) {
        return ByteBuffer.allocate(ATTRIBUTE_BYTES).putLong(a.sizeBytes()).putLong(a.mtimeMillis())
                .putLong(a.atimeMillis()).putLong(a.ctimeMillis()).putInt(a.uid()).putInt(a.gid())
                .putInt(a.projid()).array();
    }

    static ObjectAttributes decodeAttributes(byte[] b) {
        if (b.length != ATTRIBUTE_BYTES) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "attributes reply of " + b.length + " bytes, expected "
                    + ATTRIBUTE_BYTES);
        }
        ByteBuffer in = ByteBuffer.wrap(b);
        return new ObjectAttributes(in.getLong(), in.getLong(), in.getLong(), in.getLong(), in.getInt(), in.getInt(),
                in.getInt());
    }

    /** The 8-byte number of a create, write or statfs reply. */
    static long decodeLong(byte[] reply) {
        if (reply.length != 8) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "expected an 8-byte reply, got " + reply.length
                    + " bytes");
        }
        return ByteBuffer.wrap(reply).getLong();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static void exists(TargetData data, long objectId) {
        if (!data.exists(objectId)) {
            throw new TarnException(ErrorCode.NOT_FOUND, "object " + objectId + " does not exist");
        }
    }

    private static void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || length > WireFormat.MAX_DATA_BYTES) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "bad range: offset " + offset + ", " + length
                    + " bytes (at most " + WireFormat.MAX_DATA_BYTES + " per request)");
        }
    }
}
