package org.tarn.target.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.ObjectAttributes;

/** Every message survives its encoding; malformed frames are refused with a reason. */
class WireFormatTest {

    private static ErrorCode code(Throwable t) {
        return ((TarnException) t).code();
    }

    @Test
    void every_message_and_operation_round_trips_pos() {
        byte[] data = "payload".getBytes(StandardCharsets.UTF_8);
        List<Message> all = List.of(
                new Message.Hello(WireFormat.VERSION, "client-ü", new byte[32]),
                new Message.Connect(-1, "tank/ost0"),
                new Message.Request(7, 6, 5000, new TargetOp.CreateObject()),
                new Message.Request(8, 6, 0, new TargetOp.Write(11, 4096, data)),
                new Message.Request(9, 6, 0, new TargetOp.Read(11, 0, 100)),
                new Message.Request(10, 6, 0, new TargetOp.Punch(11, 10, 20)),
                new Message.Request(11, 6, 0, new TargetOp.Delete(11)),
                new Message.Request(12, 6, 0, new TargetOp.GetAttributes(11)),
                new Message.Request(13, 6, 0, new TargetOp.SetAttributes(11, ObjectAttributes.MTIME | ObjectAttributes.UID,
                        ObjectAttributes.of(1, 2, 3, 4, 5, 6))),
                new Message.Request(14, 6, 0, new TargetOp.Statfs()),
                new Message.Replay(5, 42, new TargetOp.Write(3, 0, data)),
                new Message.ReplayDone(-2), new Message.Ping(-3), new Message.Sync(-4, 1000),
                new Message.Disconnect(-5),
                new Message.Challenge(WireFormat.VERSION, "hostA", new byte[WireFormat.NONCE_BYTES]),
                new Message.Connected(-1, "ost0", 10, 9, true, 1500),
                new Message.Response(8, 0, "", 12, 10, 1, data),
                new Message.Response(9, ErrorCode.NOT_FOUND.number(), "TARN-15 object 11 does not exist", 0, 10, 0,
                        new byte[0]));
        for (Message m : all) {
            assertThat(WireFormat.decode(WireFormat.encode(m))).as("%s", m).isEqualTo(m);
        }
        // a write's data travels as its own buffer, not copied into the head
        ByteBuffer[] parts = WireFormat.encodeParts(all.get(3));
        assertThat(parts).hasSize(2);
        assertThat(parts[1].array()).isSameAs(((TargetOp.Write) ((Message.Request) all.get(3)).op()).data());
    }

    @Test
    void malformed_frames_are_refused_with_what_is_wrong_neg() {
        assertThatThrownBy(() -> WireFormat.decode(ByteBuffer.wrap(new byte[] {99})))
                .hasMessageContaining("unknown message type 99").extracting(WireFormatTest::code)
                .isEqualTo(ErrorCode.INVALID_ARGUMENT);
        ByteBuffer ping = WireFormat.encode(new Message.Ping(-1));
        ByteBuffer cut = ping.slice(0, ping.remaining() - 3);
        assertThatThrownBy(() -> WireFormat.decode(cut)).hasMessageContaining("ends inside a field");
        ByteBuffer longer = ByteBuffer.allocate(ping.remaining() + 2).put(ping.duplicate()).put((byte) 1)
                .put((byte) 2).flip();
        assertThatThrownBy(() -> WireFormat.decode(longer)).hasMessageContaining("2 bytes left over");
        ByteBuffer badOp = ByteBuffer.allocate(1 + 8 + 8 + 4 + 1).put((byte) Message.Request.TYPE).putLong(1)
                .putLong(0).putInt(0).put((byte) 77).flip();
        assertThatThrownBy(() -> WireFormat.decode(badOp)).hasMessageContaining("unknown operation code 77");
        ByteBuffer hugeWrite = ByteBuffer.allocate(64).put((byte) Message.Request.TYPE).putLong(1).putLong(0).putInt(0)
                .put((byte) TargetOp.Write.CODE).putLong(5).putLong(0).putInt(WireFormat.MAX_DATA_BYTES + 1).flip();
        assertThatThrownBy(() -> WireFormat.decode(hugeWrite)).hasMessageContaining("at most " + WireFormat.MAX_DATA_BYTES);
        ByteBuffer badUtf8 = ByteBuffer.allocate(16).put((byte) Message.Connect.TYPE).putLong(-1).putShort((short) 2)
                .put((byte) 0xc3).put((byte) 0x28).flip();
        assertThatThrownBy(() -> WireFormat.decode(badUtf8)).hasMessageContaining("not UTF-8");
        assertThatThrownBy(() -> new TargetOp.Read(1, -1, 10)).extracting(WireFormatTest::code)
                .isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThatThrownBy(() -> new TargetOp.SetAttributes(1, 1 << 9, ObjectAttributes.of(0, 0, 0, 0, 0, 0)))
                .hasMessageContaining("mask");
    }

    @Test
    void the_secret_proof_depends_on_secret_nonce_and_client_pos() {
        byte[] secret = "s3cret".getBytes(StandardCharsets.UTF_8);
        byte[] nonce = new byte[WireFormat.NONCE_BYTES];
        byte[] proof = WireFormat.proof(secret, nonce, "c1");
        assertThat(WireFormat.verify(secret, nonce, "c1", proof)).isTrue();
        assertThat(WireFormat.verify(secret, nonce, "c2", proof)).isFalse();
        assertThat(WireFormat.verify("other".getBytes(StandardCharsets.UTF_8), nonce, "c1", proof)).isFalse();
        nonce[0] = 1;
        assertThat(WireFormat.verify(secret, nonce, "c1", proof)).isFalse();
    }
}
