package org.tarn.target.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.ObjectAttributes;

/**
 * The binary encoding of the target protocol, shared by the server
 * ({@code tarn-target-server}) and the client library ({@code tarn-client});
 * plain Java, no networking.
 *
 * <h2>Conversation</h2>
 * Over one TCP (or TLS) connection: the server sends {@link Message.Challenge}
 * (version, its name, a random nonce); the client answers
 * {@link Message.Hello} (version, client id, HMAC-SHA256 of the nonce and the
 * id under the shared secret, or empty when none is configured); the server
 * answers with a {@link Message.Response} of tag 0 (code 0, or the refusal,
 * after which it closes). Then {@link Message.Connect} binds the connection to
 * one target, and the client sends requests, replays, pings and syncs, as
 * many at a time as it likes; answers come in any order, matched by tag.
 *
 * <h2>Frames</h2>
 * Every message is one frame: a 4-byte big-endian length of what follows,
 * then a type byte and the fields, big-endian; strings are a 2-byte length
 * and UTF-8, byte arrays a 4-byte length and the bytes. A frame longer than
 * the receiver's limit, an unknown type, a field that runs past the frame or
 * bytes left over are protocol errors: the receiver answers (when it can) and
 * closes the connection.
 */
public final class WireFormat {
    /** The protocol version this code speaks. */
    public static final int VERSION = 1;
    /** Most data bytes one write or read may carry. */
    public static final int MAX_DATA_BYTES = 4 << 20;
    /** Frame bytes besides the data of a write or a read reply, at most. */
    public static final int MAX_HEAD_BYTES = 64 << 10;
    /** The default largest frame: one request or reply with {@link #MAX_DATA_BYTES} of data. */
    public static final int MAX_FRAME_BYTES = MAX_DATA_BYTES + MAX_HEAD_BYTES;
    /** Bytes of the server's nonce. */
    public static final int NONCE_BYTES = 32;
    /** Longest string field in UTF-8 bytes (client ids, target names, messages are cut to it). */
    public static final int MAX_STRING_BYTES = 4096;

    private WireFormat() {
    }

    /** Encodes a message into one buffer (without the length prefix). */
    public static ByteBuffer encode(Message m) {
        ByteBuffer[] parts = encodeParts(m);
        if (parts.length == 1) {
            return parts[0];
        }
        int n = 0;
        for (ByteBuffer p : parts) {
            n += p.remaining();
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        for (ByteBuffer p : parts) {
            out.put(p.duplicate());
        }
        return out.flip();
    }

    /**
     * Encodes a message as a head and, for a write or a reply with data, the
     * data itself (not copied), in order, without the length prefix.
     */
    public static ByteBuffer[] encodeParts(Message m) {
        Out o = new Out();
        o.b.put((byte) m.type());
        byte[] tail = null;
        if (m instanceof Message.Hello h) {
            o.b.putInt(h.version());
            o.string(h.clientId());
            o.bytes(h.proof());
        } else if (m instanceof Message.Connect c) {
            o.b.putLong(c.tag());
            o.string(c.target());
        } else if (m instanceof Message.Request r) {
            o.b.putLong(r.tag()).putLong(r.repliedXid()).putInt(r.deadlineMillis());
            tail = op(o, r.op());
        } else if (m instanceof Message.Replay r) {
            o.b.putLong(r.tag()).putLong(r.transno());
            tail = op(o, r.op());
        } else if (m instanceof Message.Sync s) {
            o.b.putLong(s.tag()).putInt(s.timeoutMillis());
        } else if (m instanceof Message.ReplayDone || m instanceof Message.Ping || m instanceof Message.Disconnect) {
            o.b.putLong(m.tag());
        } else if (m instanceof Message.Challenge c) {
            o.b.putInt(c.version());
            o.string(c.server());
            o.bytes(c.nonce());
        } else if (m instanceof Message.Connected c) {
            o.b.putLong(c.tag());
            o.string(c.target());
            o.b.putLong(c.lastCommitted()).putLong(c.clientLastTransno()).put((byte) (c.recovering() ? 1 : 0))
                    .putLong(c.remainingMillis());
        } else if (m instanceof Message.Response r) {
            o.b.putLong(r.tag()).putInt(r.code());
            o.string(r.message());
            o.b.putLong(r.transno()).putLong(r.lastCommitted()).put((byte) r.kind()).putInt(r.data().length);
            tail = r.data();
        } else {
            throw new IllegalArgumentException("unknown message " + m);
        }
        ByteBuffer head = o.b.flip();
        return tail == null || tail.length == 0 ? new ByteBuffer[] {head}
                : new ByteBuffer[] {head, ByteBuffer.wrap(tail)};
    }

    /** Writes an operation; returns the data to send after the head (a write's bytes), or null. */
    private static byte[] op(Out o, TargetOp op) {
        o.b.put((byte) op.code());
        if (op instanceof TargetOp.CreateObject c) {
            o.b.putLong(c.objectId());
        } else if (op instanceof TargetOp.Write w) {
            o.b.putLong(w.objectId()).putLong(w.offset()).putInt(w.data().length);
            return w.data();
        } else if (op instanceof TargetOp.Read r) {
            o.b.putLong(r.objectId()).putLong(r.offset()).putInt(r.length());
        } else if (op instanceof TargetOp.Punch p) {
            o.b.putLong(p.objectId()).putLong(p.offset()).putLong(p.length());
        } else if (op instanceof TargetOp.Delete d) {
            o.b.putLong(d.objectId());
        } else if (op instanceof TargetOp.GetAttributes g) {
            o.b.putLong(g.objectId());
        } else if (op instanceof TargetOp.SetAttributes s) {
            ObjectAttributes a = s.values();
            o.b.putLong(s.objectId()).putInt(s.mask()).putLong(a.mtimeMillis()).putLong(a.atimeMillis())
                    .putLong(a.ctimeMillis()).putInt(a.uid()).putInt(a.gid()).putInt(a.projid());
        }
        return null;
    }

    /**
     * Decodes one frame (without its length prefix).
     *
     * @throws TarnException INVALID_ARGUMENT for a malformed frame, naming what is wrong
     */
    public static Message decode(ByteBuffer frame) {
        ByteBuffer b = frame.duplicate();
        try {
            int type = b.get() & 0xff;
            Message m = switch (type) {
                case Message.Hello.TYPE -> new Message.Hello(b.getInt(), string(b), bytes(b, NONCE_BYTES * 2));
                case Message.Connect.TYPE -> new Message.Connect(b.getLong(), string(b));
                case Message.Request.TYPE -> new Message.Request(b.getLong(), b.getLong(), b.getInt(), op(b));
                case Message.Replay.TYPE -> new Message.Replay(b.getLong(), b.getLong(), op(b));
                case Message.ReplayDone.TYPE -> new Message.ReplayDone(b.getLong());
                case Message.Ping.TYPE -> new Message.Ping(b.getLong());
                case Message.Sync.TYPE -> new Message.Sync(b.getLong(), b.getInt());
                case Message.Disconnect.TYPE -> new Message.Disconnect(b.getLong());
                case Message.Challenge.TYPE -> new Message.Challenge(b.getInt(), string(b), bytes(b, NONCE_BYTES));
                case Message.Connected.TYPE -> new Message.Connected(b.getLong(), string(b), b.getLong(), b.getLong(),
                        b.get() != 0, b.getLong());
                case Message.Response.TYPE -> new Message.Response(b.getLong(), b.getInt(), string(b), b.getLong(),
                        b.getLong(), b.get() & 0xff, bytes(b, MAX_DATA_BYTES));
                default -> throw malformed("unknown message type " + type);
            };
            if (b.hasRemaining()) {
                throw malformed(b.remaining() + " bytes left over after a message of type " + type);
            }
            return m;
        } catch (BufferUnderflowException e) {
            throw malformed("the frame of " + frame.remaining() + " bytes ends inside a field");
        }
    }

    private static TargetOp op(ByteBuffer b) {
        int code = b.get() & 0xff;
        return switch (code) {
            case TargetOp.CreateObject.CODE -> new TargetOp.CreateObject(b.getLong());
            case TargetOp.Write.CODE -> new TargetOp.Write(b.getLong(), b.getLong(), bytes(b, MAX_DATA_BYTES));
            case TargetOp.Read.CODE -> new TargetOp.Read(b.getLong(), b.getLong(), b.getInt());
            case TargetOp.Punch.CODE -> new TargetOp.Punch(b.getLong(), b.getLong(), b.getLong());
            case TargetOp.Delete.CODE -> new TargetOp.Delete(b.getLong());
            case TargetOp.GetAttributes.CODE -> new TargetOp.GetAttributes(b.getLong());
            case TargetOp.SetAttributes.CODE -> {
                long id = b.getLong();
                int mask = b.getInt();
                yield new TargetOp.SetAttributes(id, mask, ObjectAttributes.of(b.getLong(), b.getLong(), b.getLong(),
                        b.getInt(), b.getInt(), b.getInt()));
            }
            case TargetOp.Statfs.CODE -> new TargetOp.Statfs();
            default -> throw malformed("unknown operation code " + code);
        };
    }

    private static String string(ByteBuffer b) {
        int n = b.getShort() & 0xffff;
        if (n > MAX_STRING_BYTES) {
            throw malformed("a string of " + n + " bytes (at most " + MAX_STRING_BYTES + ")");
        }
        if (n > b.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer s = b.slice(b.position(), n);
        b.position(b.position() + n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(s).toString();
        } catch (CharacterCodingException e) {
            throw malformed("a string that is not UTF-8");
        }
    }

    private static byte[] bytes(ByteBuffer b, int max) {
        int n = b.getInt();
        if (n < 0 || n > max) {
            throw malformed("a byte field of " + n + " bytes (at most " + max + ")");
        }
        if (n > b.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static TarnException malformed(String what) {
        return new TarnException(ErrorCode.INVALID_ARGUMENT, "malformed target protocol frame: " + what);
    }

    /**
     * The proof a client sends of the shared secret: HMAC-SHA256 over the
     * server's nonce and the client id.
     */
    public static byte[] proof(byte[] secret, byte[] nonce, String clientId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(nonce);
            return mac.doFinal(clientId.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    /** Whether {@code proof} proves {@code secret} for this nonce and client, in constant time. */
    public static boolean verify(byte[] secret, byte[] nonce, String clientId, byte[] proof) {
        return MessageDigest.isEqual(proof(secret, nonce, clientId), proof);
    }

    /** Growable output for the head of a frame. */
    private static final class Out {
        ByteBuffer b = ByteBuffer.allocate(256);

        void ensure(int n) {
            if (b.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n));
                bigger.put(b.flip());
                b = bigger;
            }
        }

        void string(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            while (u.length > MAX_STRING_BYTES) {
                // only messages get this long: keep their start
                s = s.substring(0, s.length() * 9 / 10);
                u = s.getBytes(StandardCharsets.UTF_8);
            }
            ensure(2 + u.length + 64);
            b.putShort((short) u.length).put(u);
        }

        void bytes(byte[] v) {
            ensure(4 + v.length + 64);
            b.putInt(v.length).put(v);
        }
    }
}
