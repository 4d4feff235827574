package org.tarn.target.protocol;

import java.util.Arrays;

/**
 * The messages of the target protocol (see {@link WireFormat} for their
 * encoding and the conversation). Client to server: {@link Hello},
 * {@link Connect}, {@link Request}, {@link Replay}, {@link ReplayDone},
 * {@link Ping}, {@link Sync}, {@link Disconnect}; server to client:
 * {@link Challenge}, {@link Connected}, {@link Response}.
 */
public sealed interface Message {

    /** The message's type byte on the wire. */
    int type();

    /**
     * The tag the answer carries: the request's xid for {@link Request} and
     * {@link Replay}, a negative control tag for the others.
     */
    long tag();

    /** The client's first message: who it is, and the proof of the shared secret (empty without one). */
    record Hello(int version, String clientId, byte[] proof) implements Message {
        public static final int TYPE = 1;

        @Override
        public int type() {
            return TYPE;
        }

        @Override
        public long tag() {
            return 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Hello h && h.version == version && h.clientId.equals(clientId)
                    && Arrays.equals(h.proof, proof);
        }

        @Override
        public int hashCode() {
            return clientId.hashCode() * 31 + version;
        }

        @Override
        public String toString() {
            return "Hello[version=" + version + ", clientId=" + clientId + ", proof " + proof.length + " bytes]";
        }
    }

    /** Binds the connection to a target, by name or {@code pool/name}; answered by {@link Connected}. */
    record Connect(long tag, String target) implements Message {
        public static final int TYPE = 2;

        @Override
        public int type() {
            return TYPE;
        }
    }

    /** A new request (or a resend of one that got no reply). */
    record Request(long tag, long repliedXid, int deadlineMillis, TargetOp op) implements Message {
        public static final int TYPE = 3;

        @Override
        public int type() {
            return TYPE;
        }

        /** The request's xid. */
        public long xid() {
            return tag;
        }
    }

    /** A request that got a reply with {@code transno} before the failover. */
    record Replay(long tag, long transno, TargetOp op) implements Message {
        public static final int TYPE = 4;

        @Override
        public int type() {
            return TYPE;
        }

        public long xid() {
            return tag;
        }
    }

    /** The client has replayed everything it kept. */
    record ReplayDone(long tag) implements Message {
        public static final int TYPE = 5;

        @Override
        public int type() {
            return TYPE;
        }
    }

    /** Keeps the connection alive; the answer carries {@code lastCommitted}. */
    record Ping(long tag) implements Message {
        public static final int TYPE = 6;

        @Override
        public int type() {
            return TYPE;
        }
    }

    /** Asks the target to commit everything (OST_SYNC); the answer carries the new {@code lastCommitted}. */
    record Sync(long tag, int timeoutMillis) implements Message {
        public static final int TYPE = 7;

        @Override
        public int type() {
            return TYPE;
        }
    }

    /** A clean disconnect: the client's records are dropped. */
    record Disconnect(long tag) implements Message {
        public static final int TYPE = 8;

        @Override
        public int type() {
            return TYPE;
        }
    }

    /** The server's first message: protocol version, its name and a nonce for the secret's proof. */
    record Challenge(int version, String server, byte[] nonce) implements Message {
        public static final int TYPE = 64;

        @Override
        public int type() {
            return TYPE;
        }

        @Override
        public long tag() {
            return 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Challenge c && c.version == version && c.server.equals(server)
                    && Arrays.equals(c.nonce, nonce);
        }

        @Override
        public int hashCode() {
            return server.hashCode() * 31 + version;
        }

        @Override
        public String toString() {
            return "Challenge[version=" + version + ", server=" + server + "]";
        }
    }

    /** The answer to {@link Connect}. */
    record Connected(long tag, String target, long lastCommitted, long clientLastTransno, boolean recovering,
                     long remainingMillis) implements Message {
        public static final int TYPE = 65;

        @Override
        public int type() {
            return TYPE;
        }
    }

    /**
     * The answer to every other message: {@code code} 0 and the reply, or the
     * {@link org.tarn.api.ErrorCode} number and its message.
     *
     * @param kind the {@link org.tarn.target.Reply.Kind} ordinal of a successful reply
     */
    record Response(long tag, int code, String message, long transno, long lastCommitted, int kind, byte[] data)
            implements Message {
        public static final int TYPE = 66;

        @Override
        public int type() {
            return TYPE;
        }

        public boolean ok() {
            return code == 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Response r && r.tag == tag && r.code == code && r.message.equals(message)
                    && r.transno == transno && r.lastCommitted == lastCommitted && r.kind == kind
                    && Arrays.equals(r.data, data);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(tag) * 31 + code;
        }

        @Override
        public String toString() {
            return "Response[tag=" + tag + ", code=" + code + (message.isEmpty() ? "" : ", " + message) + ", transno="
                    + transno + ", lastCommitted=" + lastCommitted + ", kind=" + kind + ", " + data.length + " bytes]";
        }
    }
}
