package org.tarn.target.server.internal;

import java.security.SecureRandom;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.ConnectReply;
import org.tarn.target.Reply;
import org.tarn.target.RequestContext;
import org.tarn.target.Target;
import org.tarn.target.protocol.Message;
import org.tarn.target.protocol.TargetOp;
import org.tarn.target.protocol.WireFormat;

/**
 * One client connection: the handshake, then requests dispatched to their
 * target's executor and answered as they finish. Runs on the connection's
 * event loop except for the request bodies; the counters it keeps are only
 * touched there.
 */
final class ServerConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Bytes of read replies being produced per connection before it stops reading. */
    private static final long MAX_READ_BYTES_IN_FLIGHT = 32L << 20;

    private final NettyTargetServer server;
    private final byte[] nonce = new byte[WireFormat.NONCE_BYTES];
    private ChannelHandlerContext ctx;
    private String clientId;
    /** The target as the client named it; resolved again for every request (a remount gives a new handle). */
    private String targetName;
    private int inFlight;
    private long readBytesInFlight;
    private boolean closing;

    ServerConnection(NettyTargetServer server) {
        this.server = server;
        RANDOM.nextBytes(nonce);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        server.opened();
        ctx.writeAndFlush(new Message.Challenge(WireFormat.VERSION, server.config().serverName(), nonce));
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        server.closedConnection();
        LOG.debug("connection of client '{}' to {} closed ({} requests still running)", clientId, targetName,
                inFlight);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        Message m;
        try {
            m = WireFormat.decode(frame.nioBuffer());
        } catch (TarnException e) {
            refuseAndClose(0, e);
            return;
        } finally {
            frame.release();
        }
        if (closing) {
            return;
        }
        try {
            handle(m);
        } catch (TarnException e) {
            answer(m.tag(), e);
        }
    }

    private void handle(Message m) {
        if (clientId == null) {
            hello(m);
            return;
        }
        if (m instanceof Message.Ping p) {
            long committed = 0;
            if (targetName != null) {
                try {
                    committed = bound().lastCommitted();
                } catch (TarnException e) {
                    answer(p.tag(), e);
                    return;
                }
            }
            send(new Message.Response(p.tag(), 0, "", 0, committed, 0, new byte[0]));
            return;
        }
        if (m instanceof Message.Connect c) {
            Target t = server.resolve(c.target());
            targetName = c.target();
            dispatch(c.tag(), t, 0, () -> {
                ConnectReply r = t.connect(clientId);
                return new Message.Connected(c.tag(), r.target(), r.lastCommitted(), r.clientLastTransno(),
                        r.recovering(), r.remainingMillis());
            });
            return;
        }
        if (targetName == null) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + clientId + "' sent a "
                    + m.getClass().getSimpleName() + " before connecting to a target");
        }
        Target t = bound();
        if (m instanceof Message.Request r) {
            long received = System.nanoTime();
            long deadline = r.deadlineMillis() <= 0 ? 0
                    : received + TimeUnit.MILLISECONDS.toNanos(r.deadlineMillis());
            RequestContext rc = r.xid() > 0 ? new RequestContext(r.xid(), r.repliedXid(), deadline)
                    : new RequestContext(0, 0, deadline);
            long readBytes = r.op() instanceof TargetOp.Read read ? read.length() : 0;
            dispatch(r.tag(), t, readBytes, () -> reply(r.tag(), t.execute(clientId, rc, r.op())));
        } else if (m instanceof Message.Replay r) {
            RequestContext rc = r.xid() > 0 ? RequestContext.of(r.xid(), 0) : RequestContext.NONE;
            dispatch(r.tag(), t, 0, () -> reply(r.tag(), t.replay(clientId, r.transno(), rc, r.op())));
        } else if (m instanceof Message.ReplayDone d) {
            dispatch(d.tag(), t, 0, () -> {
                t.replayDone(clientId);
                return new Message.Response(d.tag(), 0, "", 0, t.lastCommitted(), 0, new byte[0]);
            });
        } else if (m instanceof Message.Sync s) {
            long timeout = s.timeoutMillis() <= 0 ? 60_000 : s.timeoutMillis();
            dispatch(s.tag(), t, 0, () -> new Message.Response(s.tag(), 0, "", 0, t.sync(timeout), 0, new byte[0]));
        } else if (m instanceof Message.Disconnect d) {
            dispatch(d.tag(), t, 0, () -> {
                t.disconnect(clientId);
                return new Message.Response(d.tag(), 0, "", 0, t.lastCommitted(), 0, new byte[0]);
            });
        } else {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "a client may not send " + m.getClass().getSimpleName());
        }
    }

    /**
     * The target this connection is bound to; a target that is no longer
     * mounted here is POOL_EXPORTED for the client (try the partners), not
     * NOT_FOUND (which a request's own object may be).
     */
    private Target bound() {
        try {
            return server.resolve(targetName);
        } catch (TarnException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                throw new TarnException(ErrorCode.POOL_EXPORTED, "target '" + targetName + "' is no longer mounted on "
                        + server.config().serverName() + "; its pool was exported", e);
            }
            throw e;
        }
    }

    private void hello(Message m) {
        if (!(m instanceof Message.Hello h)) {
            refuseAndClose(0, new TarnException(ErrorCode.INVALID_ARGUMENT, "the first message must be a Hello, not "
                    + m.getClass().getSimpleName()));
            return;
        }
        if (h.version() != WireFormat.VERSION) {
            refuseAndClose(0, new TarnException(ErrorCode.UNSUPPORTED_VERSION, "client '" + h.clientId()
                    + "' speaks target protocol version " + h.version() + "; " + server.config().serverName()
                    + " speaks " + WireFormat.VERSION));
            return;
        }
        byte[] secret = server.config().secret();
        if (secret != null && !WireFormat.verify(secret, nonce, h.clientId(), h.proof())) {
            LOG.warn("client '{}' from {} failed the shared-secret check", h.clientId(), ctx.channel().remoteAddress());
            refuseAndClose(0, new TarnException(ErrorCode.ACCESS_DENIED, "client '" + h.clientId() + "' did not prove "
                    + "the shared secret of " + server.config().serverName() + "; configure the same secret on both"));
            return;
        }
        if (h.clientId().isBlank()) {
            refuseAndClose(0, new TarnException(ErrorCode.INVALID_ARGUMENT, "a client id is required"));
            return;
        }
        clientId = h.clientId();
        send(new Message.Response(0, 0, "", 0, 0, 0, new byte[0]));
    }

    private static Message reply(long tag, Reply r) {
        return new Message.Response(tag, 0, "", r.transno(), r.lastCommitted(), r.kind().ordinal(), r.data());
    }

    /** Runs a request on its target's executor and answers it there. On the event loop. */
    private void dispatch(long tag, Target t, long readBytes, Supplier<Message> work) {
        inFlight++;
        readBytesInFlight += readBytes;
        updateReading();
        try {
            server.executor(t).execute(() -> {
                Message out;
                try {
                    out = work.get();
                } catch (TarnException e) {
                    out = error(tag, e, t.lastCommitted());
                } catch (RuntimeException e) {
                    LOG.warn("request {} of client '{}' on {} failed", tag, clientId, t, e);
                    out = new Message.Response(tag, ErrorCode.INVALID_ARGUMENT.number(), "internal error in the target "
                            + "server: " + e, 0, t.lastCommitted(), 0, new byte[0]);
                }
                Message answer = out;
                ctx.executor().execute(() -> {
                    inFlight--;
                    readBytesInFlight -= readBytes;
                    send(answer);
                    updateReading();
                });
            });
        } catch (RejectedExecutionException e) {
            inFlight--;
            readBytesInFlight -= readBytes;
            updateReading();
            throw new TarnException(ErrorCode.BUSY, "target " + t.pool() + "/" + t.name() + " on "
                    + server.config().serverName() + " has " + server.config().queuePerTarget() + " requests queued"
                    + (server.isClosed() ? " and its server is stopping" : "") + "; not executed, retry later");
        }
    }

    private static Message.Response error(long tag, TarnException e, long lastCommitted) {
        return new Message.Response(tag, e.code().number(), e.getMessage(), 0, lastCommitted, 0, new byte[0]);
    }

    private void answer(long tag, TarnException e) {
        send(error(tag, e, 0));
    }

    private void send(Message m) {
        server.answeredOne();
        ctx.writeAndFlush(m, ctx.voidPromise());
    }

    /** Reads from the connection only while it has room for more work and its client keeps reading. */
    private void updateReading() {
        boolean room = inFlight < server.config().maxInFlight() && readBytesInFlight < MAX_READ_BYTES_IN_FLIGHT
                && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != room) {
            ctx.channel().config().setAutoRead(room);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateReading();
        ctx.fireChannelWritabilityChanged();
    }

    private void refuseAndClose(long tag, TarnException e) {
        if (closing) {
            return;
        }
        closing = true;
        LOG.info("closing the connection of {} ({}): {}", clientId == null ? "a client" : "client '" + clientId + "'",
                ctx.channel().remoteAddress(), e.getMessage());
        ctx.writeAndFlush(error(tag, e, 0)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            LOG.info("client '{}' ({}) sent nothing for {} ms; closing its connection", clientId,
                    ctx.channel().remoteAddress(), server.config().idleTimeoutMillis());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            refuseAndClose(0, new TarnException(ErrorCode.INVALID_ARGUMENT, "frame too long: " + cause.getMessage()
                    + " (limit " + server.config().maxFrameBytes() + " bytes)"));
        } else if (Tls.isHandshakeFailure(cause)) {
            LOG.info("TLS with {} failed: {}", ctx.channel().remoteAddress(), cause.getMessage());
            ctx.close();
        } else {
            LOG.debug("connection of client '{}' ({}) failed: {}", clientId, ctx.channel().remoteAddress(),
                    cause.toString());
            ctx.close();
        }
    }
}
