package org.tarn.client.internal;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.client.ClientSettings;
import org.tarn.client.ClientStats;
import org.tarn.client.Result;
import org.tarn.client.TargetClient;
import org.tarn.target.Reply;
import org.tarn.target.protocol.Message;
import org.tarn.target.protocol.TargetOp;
import org.tarn.target.protocol.WireFormat;

/**
 * A client of one target: the session state machine over Netty.
 *
 * <h2>Theory of operation</h2>
 * Everything runs on one event-loop thread (the client's own, which also
 * carries its connection), so the state needs no locks: callers' requests
 * hop onto it.
 *
 * <p><b>Requests.</b> Each gets the next xid and waits in {@code pending}
 * until answered. It is sent on the current connection when the client is
 * ready and the xid lies within the window above the oldest unanswered one
 * (what the target keeps records for); every request carries that oldest
 * xid minus one ({@code repliedXid}), so the target can forget the records
 * the client has seen answers for. An answered change whose transaction
 * number is above {@code lastCommitted} moves to {@code kept}, by
 * transaction number, and is forgotten once a reply, a ping or a sync
 * brings a {@code lastCommitted} that covers it.
 *
 * <p><b>Failover.</b> A connection is given up when it closes, when it
 * brings nothing for {@link ClientSettings#deadAfterMillis()} (pings every
 * {@link ClientSettings#pingIntervalMillis()} keep a healthy one busy, even
 * while the target's pool hangs), or when the server says it no longer
 * serves the target (POOL_EXPORTED; NOT_FOUND at connect). The client then
 * tries the same server once more, then the partners in order, pausing
 * between rounds with doubling backoff, and fails what it holds only after
 * {@link ClientSettings#giveUpMillis()} without a server. Once connected
 * ({@code Connect} answered) it replays {@code kept}, one at a time in
 * transaction-number order (the target orders the replays of all clients),
 * says {@code ReplayDone} when the target is recovering, and only then sends
 * {@code pending} again in xid order: the target answers the ones that ran
 * from their records, and runs the others. If the target no longer knows the
 * client (its record ends below what the client kept: the recovery window
 * closed without it), the kept requests are lost and fail with EVICTED.
 */
public final class ClientSession implements TargetClient {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSession.class);
    private static final long RETRY_MILLIS = 100;

    private final ClientSettings settings;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final SslContext ssl;
    private final CompletableFuture<Void> firstConnect = new CompletableFuture<>();

    // ---- loop thread only
    private long nextXid = 1;
    private long nextTag = -1;
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    private final TreeMap<Long, Pending> kept = new TreeMap<>();
    private final Deque<CompletableFuture<Long>> syncs = new ArrayDeque<>();
    private final Map<Long, CompletableFuture<Long>> syncsSent = new HashMap<>();
    private Conn conn;
    private int serverIndex;
    private int failedAttempts;
    private long disconnectedSinceNanos = System.nanoTime();
    private String lastServerName = "";
    private boolean closed;
    private boolean retryScheduled;
    private long connects;
    private long failovers;
    private long replays;
    private long resends;
    private long lostKept;
    // ---- read by other threads
    private volatile long lastCommitted;
    private volatile int outstanding;
    private volatile int keptCount;
    private volatile String serverName = "";

    /** One request. */
    private static final class Pending {
        final long xid;
        final TargetOp op;
        final CompletableFuture<Result> future = new CompletableFuture<>();
        int sends;
        /** The connection it was last sent on; null when it waits to be (re)sent. */
        Conn sentOn;
        long transno;
        /** The reply data (a create's object id, for its replay). */
        byte[] reply = new byte[0];
        /** Not before this nanoTime (a retry after RECOVERING or BUSY). */
        long notBeforeNanos;
        long sentAtNanos;

        Pending(long xid, TargetOp op) {
            this.xid = xid;
            this.op = op;
        }
    }

    private enum Phase { HELLO, CONNECTING, REPLAYING, READY }

    /** One connection attempt and, once it works, the connection. */
    private final class Conn {
        final InetSocketAddress address;
        Channel channel;
        Phase phase = Phase.HELLO;
        String server = "";
        long lastHeardNanos = System.nanoTime();
        long connectTag;
        long replayDoneTag;
        /** Replays still to send, by transno, and the one in flight. */
        final Deque<Pending> toReplay = new ArrayDeque<>();
        Pending replaying;
        boolean recovering;
        boolean gone;
        /** Run once when the connection is over (a clean close waits for it). */
        Runnable onDisconnected;

        Conn(InetSocketAddress address) {
            this.address = address;
        }

        void send(Message m) {
            channel.writeAndFlush(m, channel.voidPromise());
        }

        @Override
        public String toString() {
            return (server.isEmpty() ? "" : server + " ") + address.getHostString() + ":" + address.getPort();
        }
    }

    private ClientSession(ClientSettings settings) {
        this.settings = settings;
        this.ssl = settings.tls() == null ? null : ClientTls.context(settings.tls());
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tarn-client-" + settings.clientId(),
                true), NioIoHandler.newFactory());
        this.loop = group.next();
        this.bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeoutMillis());
    }

    public static ClientSession start(ClientSettings settings) {
        ClientSession s = new ClientSession(settings);
        s.loop.execute(s::connectNext);
        s.loop.scheduleAtFixedRate(s::tick, settings.pingIntervalMillis(), settings.pingIntervalMillis(),
                TimeUnit.MILLISECONDS);
        return s;
    }

    /** Waits for the first connect; see {@link org.tarn.client.TargetClients#connect}. */
    public void awaitConnected() {
        try {
            firstConnect.get(settings.giveUpMillis() + settings.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new TarnException(ErrorCode.TIMED_OUT, "no server of " + servers() + " serves target '"
                    + settings.target() + "'");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TarnException(ErrorCode.TIMED_OUT, "interrupted while connecting to target '"
                    + settings.target() + "'");
        }
    }

    // ---- the API ----------------------------------------------------------

    @Override
    public CompletableFuture<Result> submit(TargetOp op) {
        Pending[] made = new Pending[1];
        CompletableFuture<Result> out = new CompletableFuture<>();
        loop.execute(() -> {
            if (closed) {
                out.completeExceptionally(new TarnException(ErrorCode.INVALID_ARGUMENT, "client '"
                        + settings.clientId() + "' is closed"));
                return;
            }
            Pending p = new Pending(nextXid++, op);
            made[0] = p;
            pending.put(p.xid, p);
            p.future.whenComplete((r, e) -> {
                if (e != null) {
                    out.completeExceptionally(e);
                } else {
                    out.complete(r);
                }
            });
            counts();
            pump();
        });
        return out;
    }

    @Override
    public CompletableFuture<Long> sync() {
        CompletableFuture<Long> f = new CompletableFuture<>();
        loop.execute(() -> {
            if (closed) {
                f.completeExceptionally(new TarnException(ErrorCode.INVALID_ARGUMENT, "client is closed"));
                return;
            }
            syncs.add(f);
            counts();
            pump();
        });
        return f;
    }

    @Override
    public long lastCommitted() {
        return lastCommitted;
    }

    @Override
    public ClientStats stats() {
        CompletableFuture<ClientStats> f = new CompletableFuture<>();
        if (loop.inEventLoop()) {
            return statsNow();
        }
        loop.execute(() -> f.complete(statsNow()));
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            return new ClientStats(connects, failovers, replays, resends, keptCount, outstanding, lostKept,
                    lastCommitted, serverName);
        }
    }

    private ClientStats statsNow() {
        return new ClientStats(connects, failovers, replays, resends, kept.size(), pending.size() + syncs.size()
                + syncsSent.size(), lostKept, lastCommitted, conn != null && conn.phase == Phase.READY ? conn.server : "");
    }

    @Override
    public String clientId() {
        return settings.clientId();
    }

    @Override
    public boolean awaitQuiet(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (this) {
            while (outstanding > 0) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    wait(Math.min(left, 100));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            if (closed) {
                done.complete(null);
                return;
            }
            closed = true;
            failAll(new TarnException(ErrorCode.INVALID_ARGUMENT, "client '" + settings.clientId() + "' was closed"),
                    false);
            Conn c = conn;
            if (c != null && c.phase == Phase.READY && kept.isEmpty()) {
                long tag = nextTag--;
                c.send(new Message.Disconnect(tag));
                loop.schedule(() -> {
                    c.channel.close();
                    done.complete(null);
                }, 1, TimeUnit.SECONDS);
                c.onDisconnected = () -> done.complete(null);
            } else {
                if (c != null && c.channel != null) {
                    c.channel.close();
                }
                done.complete(null);
            }
        });
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("client {}: closing: {}", settings.clientId(), e.toString());
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ---- sending ----------------------------------------------------------

    private long repliedXid() {
        return pending.isEmpty() ? nextXid - 1 : pending.firstKey() - 1;
    }

    /** Sends what may be sent now. On the loop. */
    private void pump() {
        Conn c = conn;
        if (c == null || c.phase != Phase.READY) {
            return;
        }
        long now = System.nanoTime();
        long limit = repliedXid() + settings.window();
        long replied = repliedXid();
        boolean waiting = false;
        for (Pending p : pending.values()) {
            if (p.xid > limit) {
                break;
            }
            if (p.sentOn == c) {
                continue;
            }
            if (p.notBeforeNanos != 0 && now - p.notBeforeNanos < 0) {
                waiting = true;
                continue;
            }
            if (p.sends > 0) {
                resends++;
            }
            p.sends++;
            p.sentOn = c;
            p.notBeforeNanos = 0;
            p.sentAtNanos = now;
            c.send(new Message.Request(p.xid, replied, (int) Math.min(Integer.MAX_VALUE, settings.deadlineMillis()),
                    p.op));
        }
        while (!syncs.isEmpty()) {
            long tag = nextTag--;
            syncsSent.put(tag, syncs.poll());
            c.send(new Message.Sync(tag, 60_000));
        }
        if (waiting && !retryScheduled) {
            retryScheduled = true;
            loop.schedule(() -> {
                retryScheduled = false;
                pump();
            }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    // ---- connecting -------------------------------------------------------

    private void connectNext() {
        if (closed || conn != null) {
            return;
        }
        List<InetSocketAddress> servers = settings.servers();
        InetSocketAddress a = servers.get(Math.floorMod(serverIndex, servers.size()));
        Conn c = new Conn(a);
        conn = c;
        ChannelFuture f = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (ssl != null) {
                    SslHandler h = ssl.newHandler(ch.alloc(), a.getHostString(), a.getPort());
                    if (settings.tls().verifyHostname()) {
                        javax.net.ssl.SSLParameters p = h.engine().getSSLParameters();
                        p.setEndpointIdentificationAlgorithm("HTTPS");
                        h.engine().setSSLParameters(p);
                    }
                    ch.pipeline().addLast("tls", h);
                }
                ch.pipeline().addLast("frames", new LengthFieldBasedFrameDecoder(WireFormat.MAX_FRAME_BYTES, 0, 4, 0, 4,
                        true));
                ch.pipeline().addLast("length", new LengthFieldPrepender(4));
                ch.pipeline().addLast("encoder", new MessageToMessageEncoder<Message>(Message.class) {
                    @Override
                    protected void encode(ChannelHandlerContext ctx, Message msg, List<Object> out) {
                        out.add(Unpooled.wrappedBuffer(WireFormat.encodeParts(msg)));
                    }
                });
                ch.pipeline().addLast("session", new Handler(c));
            }
        }).connect(a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a);
        c.channel = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                LOG.debug("client {}: cannot connect to {}: {}", settings.clientId(), a, done.cause().toString());
                lost(c, "cannot connect: " + done.cause().getMessage(), true);
            }
        });
    }

    /**
     * A connection or attempt is over: what it had in flight waits to be sent
     * again, and the next server is tried (the same one first after a working
     * connection, unless it said it no longer serves the target).
     */
    private void lost(Conn c, String why, boolean tryPartner) {
        if (c.gone) {
            return;
        }
        c.gone = true;
        if (c.channel != null) {
            c.channel.close();
        }
        if (c.onDisconnected != null) {
            c.onDisconnected.run();
        }
        if (conn != c) {
            return;
        }
        boolean wasReady = c.phase == Phase.READY || c.phase == Phase.REPLAYING;
        conn = null;
        serverName = "";
        for (Pending p : pending.values()) {
            if (p.sentOn == c) {
                p.sentOn = null;
            }
        }
        syncs.addAll(syncsSent.values());
        syncsSent.clear();
        if (wasReady) {
            LOG.info("client {}: lost {} ({}); {} request(s) to resend, {} to replay", settings.clientId(), c, why,
                    pending.size(), kept.size());
            disconnectedSinceNanos = System.nanoTime();
            failedAttempts = 0;
        }
        if (closed) {
            return;
        }
        if (tryPartner || !wasReady) {
            serverIndex++;
            failedAttempts++;
        }
        long since = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - disconnectedSinceNanos);
        if (since > settings.giveUpMillis()) {
            TarnException e = new TarnException(ErrorCode.TIMED_OUT, "no server of " + servers() + " has served target '"
                    + settings.target() + "' for " + since + " ms (last: " + why + "); the outcome of requests sent "
                    + "without an answer is unknown, and requests answered but not committed may be lost");
            failAll(e, true);
            firstConnect.completeExceptionally(e);
            disconnectedSinceNanos = System.nanoTime();
        }
        int n = settings.servers().size();
        long delay = 0;
        if (failedAttempts > 0 && failedAttempts % n == 0) {
            int round = failedAttempts / n;
            delay = Math.min(settings.maxBackoffMillis(), settings.backoffMillis() << Math.min(20, round - 1));
        }
        loop.schedule(this::connectNext, delay, TimeUnit.MILLISECONDS);
    }

    private List<String> servers() {
        return settings.servers().stream().map(a -> a.getHostString() + ":" + a.getPort()).toList();
    }

    /** Every ping interval: pings, and gives up a silent connection. */
    private void tick() {
        Conn c = conn;
        if (c == null || c.channel == null || !c.channel.isActive()) {
            return;
        }
        long silent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - c.lastHeardNanos);
        if (silent > settings.deadAfterMillis()) {
            lost(c, "nothing heard for " + silent + " ms", true);
            return;
        }
        if (c.phase != Phase.HELLO) {
            c.send(new Message.Ping(nextTag--));
        }
        if (settings.deadlineMillis() > 0) {
            // a request past its deadline gets an answer (TIMED_OUT at worst) unless its answer was lost
            long limit = TimeUnit.MILLISECONDS.toNanos(settings.deadlineMillis() + settings.deadAfterMillis());
            long now = System.nanoTime();
            for (Pending p : pending.values()) {
                if (p.sentOn == c && now - p.sentAtNanos > limit) {
                    lost(c, "no answer to xid " + p.xid + " within its deadline of " + settings.deadlineMillis()
                            + " ms", false);
                    return;
                }
            }
        }
    }

    // ---- receiving --------------------------------------------------------

    private final class Handler extends ChannelInboundHandlerAdapter {
        private final Conn c;

        Handler(Conn c) {
            this.c = c;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            Message m;
            try {
                m = WireFormat.decode(frame.nioBuffer());
            } catch (TarnException e) {
                lost(c, e.getMessage(), true);
                return;
            } finally {
                frame.release();
            }
            if (c.gone) {
                return;
            }
            c.lastHeardNanos = System.nanoTime();
            received(c, m);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            lost(c, "connection closed", false);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            lost(c, cause.toString(), false);
        }
    }

    private void received(Conn c, Message m) {
        if (m instanceof Message.Challenge ch) {
            c.server = ch.server();
            byte[] secret = settings.secret();
            byte[] proof = secret == null ? new byte[0] : WireFormat.proof(secret, ch.nonce(), settings.clientId());
            c.send(new Message.Hello(WireFormat.VERSION, settings.clientId(), proof));
            return;
        }
        if (m instanceof Message.Connected cd) {
            connected(c, cd);
            return;
        }
        if (!(m instanceof Message.Response r)) {
            lost(c, "unexpected " + m.getClass().getSimpleName() + " from the server", true);
            return;
        }
        seeCommitted(r.lastCommitted());
        if (r.tag() == 0 && c.phase == Phase.HELLO) {
            handshake(c, r);
        } else if (r.tag() == 0) {
            lost(c, r.message(), false);
        } else if (r.tag() == c.connectTag) {
            connectRefused(c, r);
        } else if (c.replaying != null && r.tag() == c.replaying.xid) {
            replayAnswered(c, r);
        } else if (r.tag() == c.replayDoneTag && r.tag() != 0) {
            if (r.ok() || r.code() == ErrorCode.INVALID_ARGUMENT.number()) {
                ready(c);
            } else {
                controlFailed(c, r, "replay-done");
            }
        } else if (r.tag() < 0) {
            CompletableFuture<Long> s = syncsSent.remove(r.tag());
            if (s != null) {
                if (r.ok()) {
                    s.complete(r.lastCommitted());
                } else if (!failoverCode(r.code())) {
                    s.completeExceptionally(exception(r));
                } else {
                    syncs.add(s);
                    lost(c, r.message(), true);
                }
                counts();
            } else if (!r.ok() && failoverCode(r.code())) {
                lost(c, r.message(), true);
            }
        } else {
            answered(c, r);
        }
    }

    private void handshake(Conn c, Message.Response r) {
        if (!r.ok()) {
            TarnException e = exception(r);
            if (r.code() == ErrorCode.ACCESS_DENIED.number() || r.code() == ErrorCode.UNSUPPORTED_VERSION.number()) {
                // a server that refuses this client will not change its mind: fail everything now
                LOG.warn("client {}: {} refused it: {}", settings.clientId(), c, r.message());
                failAll(e, true);
                firstConnect.completeExceptionally(e);
                closed = true;
                c.channel.close();
                return;
            }
            lost(c, r.message(), true);
            return;
        }
        c.phase = Phase.CONNECTING;
        c.connectTag = nextTag--;
        c.send(new Message.Connect(c.connectTag, settings.target()));
    }

    private void connectRefused(Conn c, Message.Response r) {
        if (r.code() == ErrorCode.RECOVERING.number()) {
            // a client the target does not know must wait for its recovery to end
            loop.schedule(() -> {
                if (conn == c && !c.gone) {
                    c.connectTag = nextTag--;
                    c.send(new Message.Connect(c.connectTag, settings.target()));
                }
            }, retryDelay(), TimeUnit.MILLISECONDS);
            return;
        }
        if (r.code() == ErrorCode.EVICTED.number()) {
            evicted(r.message());
            loop.schedule(() -> {
                if (conn == c && !c.gone) {
                    c.connectTag = nextTag--;
                    c.send(new Message.Connect(c.connectTag, settings.target()));
                }
            }, retryDelay(), TimeUnit.MILLISECONDS);
            return;
        }
        lost(c, r.message(), true);
    }

    private void connected(Conn c, Message.Connected cd) {
        c.connectTag = 0;
        seeCommitted(cd.lastCommitted());
        connects++;
        if (!lastServerName.isEmpty() && !lastServerName.equals(c.server)) {
            failovers++;
        }
        lastServerName = c.server;
        failedAttempts = 0;
        c.recovering = cd.recovering();
        if (!kept.isEmpty() && !cd.recovering() && cd.clientLastTransno() < kept.lastKey()) {
            // the target no longer has this client's record: the window closed without it
            evicted("target '" + settings.target() + "' on " + c + " ended its recovery without client '"
                    + settings.clientId() + "' (its record ends at transno " + cd.clientLastTransno()
                    + ", the client was answered up to " + kept.lastKey() + ")");
        }
        c.phase = Phase.REPLAYING;
        c.toReplay.addAll(kept.values());
        LOG.info("client {}: connected to {} ({}; last_committed {}, {} to replay, {} to resend)", settings.clientId(),
                c, cd.recovering() ? "recovering" : "active", cd.lastCommitted(), c.toReplay.size(), pending.size());
        replayNext(c);
    }

    /** Sends the next replay, or ends the replay phase. */
    private void replayNext(Conn c) {
        while (!c.toReplay.isEmpty()) {
            Pending p = c.toReplay.poll();
            if (p.transno <= lastCommitted || !kept.containsKey(p.transno)) {
                continue;
            }
            c.replaying = p;
            replays++;
            // a create comes back under the object id its reply named, whatever the failover server allocates
            TargetOp op = p.op instanceof TargetOp.CreateObject create ? create.replayOf(p.reply) : p.op;
            c.send(new Message.Replay(p.xid, p.transno, op));
            return;
        }
        c.replaying = null;
        if (c.recovering) {
            c.replayDoneTag = nextTag--;
            c.send(new Message.ReplayDone(c.replayDoneTag));
        } else {
            ready(c);
        }
    }

    private void replayAnswered(Conn c, Message.Response r) {
        Pending p = c.replaying;
        c.replaying = null;
        if (!r.ok()) {
            if (r.code() == ErrorCode.EVICTED.number()) {
                evicted(r.message());
                lost(c, r.message(), false);
                return;
            }
            if (failoverCode(r.code())) {
                lost(c, r.message(), true);
                return;
            }
            // refused: the target cannot place it (it says why); it is not kept any longer
            LOG.warn("client {}: replay of transno {} (xid {}) refused by {}: {}", settings.clientId(), p.transno,
                    p.xid, c, r.message());
            kept.remove(p.transno);
        }
        trimKept();
        replayNext(c);
    }

    private void ready(Conn c) {
        c.phase = Phase.READY;
        serverName = c.server;
        firstConnect.complete(null);
        counts();
        pump();
    }

    private void controlFailed(Conn c, Message.Response r, String what) {
        if (r.code() == ErrorCode.EVICTED.number()) {
            evicted(r.message());
        }
        lost(c, what + " refused: " + r.message(), failoverCode(r.code()));
    }

    /** The answer to a request. */
    private void answered(Conn c, Message.Response r) {
        Pending p = pending.get(r.tag());
        if (p == null) {
            return;
        }
        if (r.ok()) {
            pending.remove(p.xid);
            p.transno = r.transno();
            p.reply = p.op instanceof TargetOp.CreateObject ? r.data() : p.reply;
            if (!p.op.readOnly() && r.transno() > lastCommitted) {
                kept.put(r.transno(), p);
            }
            Reply.Kind kind = r.kind() >= 0 && r.kind() < Reply.Kind.values().length ? Reply.Kind.values()[r.kind()]
                    : Reply.Kind.EXECUTED;
            p.future.complete(new Result(p.xid, r.transno(), r.lastCommitted(), r.data(), kind, c.server, p.sends,
                    false));
        } else if (r.code() == ErrorCode.RECOVERING.number() || r.code() == ErrorCode.BUSY.number()) {
            p.sentOn = null;
            p.notBeforeNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(retryDelay());
        } else if (failoverCode(r.code())) {
            p.sentOn = null;
            lost(c, r.message(), true);
            return;
        } else if (r.code() == ErrorCode.EVICTED.number()) {
            evicted(r.message());
            lost(c, r.message(), false);
            return;
        } else {
            pending.remove(p.xid);
            p.future.completeExceptionally(exception(r));
        }
        counts();
        pump();
    }

    /** Codes that mean: this server does not serve the target (any more); try the partners. */
    private static boolean failoverCode(int code) {
        return code == ErrorCode.POOL_EXPORTED.number();
    }

    private long retryDelay() {
        return Math.max(RETRY_MILLIS, Math.min(settings.maxBackoffMillis(), 4 * RETRY_MILLIS));
    }

    private void seeCommitted(long committed) {
        if (committed > lastCommitted) {
            lastCommitted = committed;
            trimKept();
        }
    }

    private void trimKept() {
        kept.headMap(lastCommitted, true).clear();
        counts();
    }

    /** The target dropped this client: what it kept is lost, what waits fails; it goes on as a new client. */
    private void evicted(String why) {
        LOG.warn("client {}: evicted: {}", settings.clientId(), why);
        lostKept += kept.size();
        LOG.warn("client {}: {} request(s) answered but not committed are lost: {}", settings.clientId(), kept.size(),
                kept.values().stream().map(p -> "xid " + p.xid + " transno " + p.transno).limit(20).toList());
        kept.clear();
        counts();
    }

    /** Fails everything waiting (and, with {@code keptToo}, forgets what was kept). */
    private void failAll(TarnException e, boolean keptToo) {
        List<Pending> all = new ArrayList<>(pending.values());
        pending.clear();
        all.forEach(p -> p.future.completeExceptionally(e));
        syncs.forEach(s -> s.completeExceptionally(e));
        syncs.clear();
        syncsSent.values().forEach(s -> s.completeExceptionally(e));
        syncsSent.clear();
        if (keptToo) {
            kept.clear();
        }
        counts();
    }

    private void counts() {
        keptCount = kept.size();
        int n = pending.size() + syncs.size() + syncsSent.size();
        outstanding = n;
        if (n == 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    private static TarnException exception(Message.Response r) {
        ErrorCode code = null;
        for (ErrorCode c : ErrorCode.values()) {
            if (c.number() == r.code()) {
                code = c;
            }
        }
        if (code == null) {
            code = ErrorCode.INVALID_ARGUMENT;
        }
        return new TarnException(code, strip(r.message()));
    }

    private static String strip(String message) {
        return message.matches("^TARN-\\d+ .*") ? message.substring(message.indexOf(' ') + 1) : message;
    }

    @Override
    public String toString() {
        return "target client " + settings.clientId() + " of " + settings.target() + " on " + servers();
    }
}
