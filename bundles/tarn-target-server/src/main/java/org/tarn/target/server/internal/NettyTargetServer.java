package org.tarn.target.server.internal;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.Target;
import org.tarn.target.TargetService;
import org.tarn.target.TargetState;
import org.tarn.target.server.TargetServer;
import org.tarn.target.server.TargetServerSettings;

/**
 * The target server on Netty.
 *
 * <h2>Theory of operation</h2>
 * One acceptor thread and two I/O threads (Netty event loops) carry every
 * connection; they only decode, encode and dispatch, and never block. Each
 * connection's pipeline is: TLS (when configured), an idle timer, a
 * length-prefixed frame decoder that refuses frames above the limit as soon as
 * it has read their length, and {@link ServerConnection}, which runs the
 * handshake and hands each request to the executor of its target. Requests
 * that touch a pool may block (a throttled or suspended pool), so each target
 * has its own small thread pool: a hung pool pins only its own threads, and a
 * full queue refuses new requests with BUSY instead of piling up. Pings are
 * answered on the event loop, so a client can tell a live server with a hung
 * pool from a dead one. Replies are written from the executor threads in any
 * order, matched by tag. A connection whose client does not read (its
 * outgoing buffer above the high-water mark), or that has too many requests
 * executing, is not read from until that drains: memory stays bounded per
 * connection.
 */
public final class NettyTargetServer implements TargetServer {
    private static final Logger LOG = LoggerFactory.getLogger(NettyTargetServer.class);
    /** Outgoing bytes buffered per connection before the server stops reading from it. */
    static final int WRITE_HIGH_WATER_BYTES = 8 << 20;
    static final int WRITE_LOW_WATER_BYTES = 1 << 20;

    private final TargetService targets;
    private final TargetServerSettings settings;
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final Map<String, ThreadPoolExecutor> executors = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong answered = new AtomicLong();
    private Channel listener;
    private InetSocketAddress address;
    private volatile boolean closed;

    private NettyTargetServer(TargetService targets, TargetServerSettings settings) {
        this.targets = targets;
        this.settings = settings;
        this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tarn-target-server-accept", true),
                NioIoHandler.newFactory());
        this.io = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("tarn-target-server-io", true),
                NioIoHandler.newFactory());
    }

    public static NettyTargetServer start(TargetService targets, TargetServerSettings settings) {
        SslContext ssl = settings.tls() == null ? null : Tls.serverContext(settings.tls());
        NettyTargetServer s = new NettyTargetServer(targets, settings);
        try {
            s.bind(ssl);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        LOG.info("target server listening on {} ({}{}{})", s.address, settings.serverName(),
                ssl == null ? ", plain TCP" : ", TLS", settings.secret() == null ? "" : ", shared secret");
        return s;
    }

    private void bind(SslContext ssl) {
        ServerBootstrap b = new ServerBootstrap().group(boss, io).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(WRITE_LOW_WATER_BYTES, WRITE_HIGH_WATER_BYTES))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast("idle", new IdleStateHandler(settings.idleTimeoutMillis(), 0, 0,
                                TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("frames", new LengthFieldBasedFrameDecoder(settings.maxFrameBytes(), 0,
                                4, 0, 4, true));
                        ch.pipeline().addLast("length", new LengthFieldPrepender(4));
                        ch.pipeline().addLast("encoder", MessageEncoder.INSTANCE);
                        ch.pipeline().addLast("connection", new ServerConnection(NettyTargetServer.this));
                    }
                });
        try {
            listener = b.bind(settings.host(), settings.port()).syncUninterruptibly().channel();
        } catch (Exception e) {
            // Netty rethrows the bind's checked exception as is
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof BindException)) {
                cause = cause.getCause();
            }
            if (cause instanceof BindException) {
                throw new TarnException(ErrorCode.BUSY, "target server: cannot listen on " + settings.host() + ":"
                        + settings.port() + " (" + cause.getMessage() + "); pick another port", e);
            }
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "target server: cannot listen on "
                    + settings.host() + ":" + settings.port() + ": " + e, e);
        }
        address = (InetSocketAddress) listener.localAddress();
    }

    // ---- what connections use --------------------------------------------

    TargetServerSettings config() {
        return settings;
    }

    void opened() {
        connections.incrementAndGet();
    }

    void closedConnection() {
        connections.decrementAndGet();
    }

    void answeredOne() {
        answered.incrementAndGet();
    }

    /**
     * The target a client names: {@code pool/name}, or a name that is unique
     * among the mounted targets here.
     *
     * @throws TarnException NOT_FOUND (not mounted here: try a failover partner), POOL_EXPORTED (failed or
     *     unmounted here), INVALID_ARGUMENT (a name several pools use)
     */
    Target resolve(String spec) {
        int slash = spec.indexOf('/');
        if (slash > 0) {
            Optional<Target> t = targets.target(spec.substring(0, slash), spec.substring(slash + 1));
            return usable(spec, t.orElseThrow(() -> notHere(spec)));
        }
        List<Target> named = targets.targets().stream().filter(t -> t.name().equals(spec)).toList();
        List<Target> live = named.stream().filter(NettyTargetServer::live).toList();
        if (live.size() == 1) {
            return live.get(0);
        }
        if (live.size() > 1) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "target '" + spec + "' is mounted from several "
                    + "pools here (" + live.stream().map(Target::pool).toList() + "); name it as POOL/" + spec);
        }
        if (!named.isEmpty()) {
            return usable(spec, named.get(0));
        }
        throw notHere(spec);
    }

    private static boolean live(Target t) {
        return t.state() == TargetState.ACTIVE || t.state() == TargetState.RECOVERING;
    }

    private static Target usable(String spec, Target t) {
        if (!live(t)) {
            throw new TarnException(ErrorCode.POOL_EXPORTED, "target '" + spec + "' is " + t.state() + " here"
                    + t.failure().map(f -> " (" + f + ")").orElse("") + "; its pool is served elsewhere or not at all");
        }
        return t;
    }

    private TarnException notHere(String spec) {
        return new TarnException(ErrorCode.NOT_FOUND, "no target '" + spec + "' is mounted on " + settings.serverName()
                + " (mounted: " + targets.targets().stream().filter(NettyTargetServer::live)
                .map(t -> t.pool() + "/" + t.name()).toList() + "); try its failover partners");
    }

    /** The executor of one target (pool/name): its own threads, a bounded queue. */
    ThreadPoolExecutor executor(Target t) {
        return executors.computeIfAbsent(t.pool() + "/" + t.name(), key -> {
            ThreadPoolExecutor e = new ThreadPoolExecutor(settings.threadsPerTarget(), settings.threadsPerTarget(),
                    30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(settings.queuePerTarget()),
                    new DefaultThreadFactory("tarn-target-" + key.replace('/', '-'), true));
            e.allowCoreThreadTimeOut(true);
            return e;
        });
    }

    boolean isClosed() {
        return closed;
    }

    // ---- TargetServer ----------------------------------------------------

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public int connections() {
        return connections.get();
    }

    @Override
    public long requestsAnswered() {
        return answered.get();
    }

    @Override
    public TargetServerSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        // the I/O threads close every connection; requests running finish on their threads, unanswered
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        executors.values().forEach(ThreadPoolExecutor::shutdown);
        LOG.info("target server on {} stopped", address);
    }

    @Override
    public String toString() {
        return "target server " + settings.serverName() + " on " + address;
    }
}
