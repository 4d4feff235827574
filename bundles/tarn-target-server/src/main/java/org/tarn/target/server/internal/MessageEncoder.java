package org.tarn.target.server.internal;

import java.nio.ByteBuffer;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import org.tarn.target.protocol.Message;
import org.tarn.target.protocol.WireFormat;

/** Encodes a message into a buffer that wraps its parts (a reply's data is not copied). */
@Sharable
final class MessageEncoder extends MessageToMessageEncoder<Message> {
    static final MessageEncoder INSTANCE = new MessageEncoder();

    private MessageEncoder() {
        super(Message.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message msg, List<Object> out) {
        ByteBuffer[] parts = WireFormat.encodeParts(msg);
        out.add(Unpooled.wrappedBuffer(parts));
    }
}
