package org.tarn.client;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.tarn.api.ErrorCode;
import org.tarn.target.Reply;
import org.tarn.target.protocol.Message;
import org.tarn.target.protocol.TargetOp;
import org.tarn.target.protocol.WireFormat;

/**
 * A target server in a few lines, for contract tests of the client: it
 * executes requests in memory, numbers them, and does what a test tells it:
 * drop the answer of a request (after executing it), close the connection,
 * crash (forget every execution above {@code committed}, then recover), hold
 * a request unanswered, refuse the target. It logs what arrives, in order.
 */
final class FakeServer implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread acceptor;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    /** What arrived after each connect, in order: R&lt;transno&gt; (replay), D (replay done), Q&lt;xid&gt; (request). */
    final List<String> arrivals = new CopyOnWriteArrayList<>();

    // ---- the "target", guarded by this
    private long lastTransno;
    private long committed;
    private boolean recovering;
    private boolean serving = true;
    private final Map<Long, Long> transnoOfXid = new HashMap<>();
    /** Executions that survive (a crash removes those above committed), in order: xids. */
    private final List<Long> executions = new ArrayList<>();
    private final Map<Long, Long> xidOfTransno = new HashMap<>();
    private final Set<Long> dropAnswer = new HashSet<>();
    private final Set<Long> hold = new HashSet<>();
    private final Set<Long> closeAfter = new HashSet<>();
    private final Map<Long, Runnable> held = new HashMap<>();
    private boolean forgetClient;

    FakeServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "fake-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    synchronized void dropAnswerOf(long xid) {
        dropAnswer.add(xid);
    }

    synchronized void closeAfterExecuting(long xid) {
        closeAfter.add(xid);
    }

    synchronized void hold(long xid) {
        hold.add(xid);
    }

    /** Answers a held request now. */
    void release(long xid) {
        Runnable r;
        synchronized (this) {
            hold.remove(xid);
            r = held.remove(xid);
        }
        if (r != null) {
            r.run();
        }
    }

    synchronized void commitUpTo(long transno) {
        committed = Math.max(committed, transno);
    }

    synchronized void serving(boolean on) {
        serving = on;
    }

    /**
     * A crash and a takeover: connections drop, executions above
     * {@code committed} are lost, the target recovers (or, with
     * {@code forget}, has already ended its recovery without this client).
     */
    void crash(boolean forget) throws IOException {
        synchronized (this) {
            executions.removeIf(x -> transnoOfXid.get(x) > committed);
            transnoOfXid.values().removeIf(t -> t > committed);
            xidOfTransno.keySet().removeIf(t -> t > committed);
            lastTransno = committed;
            recovering = !forget;
            forgetClient = forget;
            held.clear();
            hold.clear();
        }
        for (Socket s : open) {
            s.close();
        }
    }

    synchronized List<Long> executions() {
        return List.copyOf(executions);
    }

    synchronized long lastTransno() {
        return lastTransno;
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                open.add(s);
                Thread t = new Thread(() -> serve(s), "fake-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            send(out, new Message.Challenge(WireFormat.VERSION, "fake", new byte[WireFormat.NONCE_BYTES]));
            while (true) {
                byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
                Message m = WireFormat.decode(ByteBuffer.wrap(frame));
                if (!handle(m, out, s)) {
                    return;
                }
            }
        } catch (IOException e) {
            // closed by a test or by the client
        } finally {
            open.remove(s);
        }
    }

    private boolean handle(Message m, DataOutputStream out, Socket s) throws IOException {
        if (m instanceof Message.Hello) {
            send(out, ok(0, 0, Reply.Kind.EXECUTED, new byte[0]));
        } else if (m instanceof Message.Connect c) {
            synchronized (this) {
                if (!serving) {
                    send(out, error(c.tag(), ErrorCode.NOT_FOUND, "no target here"));
                    return true;
                }
                long clientLast = forgetClient ? 0 : lastTransno;
                arrivals.add("C");
                send(out, new Message.Connected(c.tag(), "ost0", committed, clientLast, recovering, recovering ? 5000 : 0));
            }
        } else if (m instanceof Message.Ping p) {
            synchronized (this) {
                send(out, ok(p.tag(), 0, Reply.Kind.EXECUTED, new byte[0]));
            }
        } else if (m instanceof Message.ReplayDone d) {
            synchronized (this) {
                arrivals.add("D");
                recovering = false;
                send(out, ok(d.tag(), 0, Reply.Kind.EXECUTED, new byte[0]));
            }
        } else if (m instanceof Message.Replay r) {
            synchronized (this) {
                arrivals.add("R" + r.transno());
                boolean ran = transnoOfXid.containsKey(r.xid());
                if (!ran) {
                    execute(r.xid(), r.transno(), r.op());
                }
                send(out, ok(r.xid(), r.transno(), ran ? Reply.Kind.RECONSTRUCTED : Reply.Kind.EXECUTED,
                        answer(r.op())));
            }
        } else if (m instanceof Message.Request q) {
            Message.Response answer;
            boolean close;
            synchronized (this) {
                arrivals.add("Q" + q.xid());
                if (recovering) {
                    Long t = transnoOfXid.get(q.xid());
                    send(out, t != null ? ok(q.xid(), t, Reply.Kind.RECONSTRUCTED, answer(q.op()))
                            : error(q.xid(), ErrorCode.RECOVERING, "recovering"));
                    return true;
                }
                Long done = transnoOfXid.get(q.xid());
                if (done != null) {
                    answer = ok(q.xid(), done, Reply.Kind.RECONSTRUCTED, answer(q.op()));
                } else if (hold.contains(q.xid())) {
                    held.put(q.xid(), () -> {
                        synchronized (FakeServer.this) {
                            long t = q.op().readOnly() ? 0 : ++lastTransno;
                            if (t > 0) {
                                execute(q.xid(), t, q.op());
                            }
                            try {
                                send(out, ok(q.xid(), t, Reply.Kind.EXECUTED, answer(q.op())));
                            } catch (IOException e) {
                                // the client went away meanwhile
                            }
                        }
                    });
                    return true;
                } else {
                    long t = q.op().readOnly() ? 0 : ++lastTransno;
                    if (t > 0) {
                        execute(q.xid(), t, q.op());
                    }
                    answer = ok(q.xid(), t, Reply.Kind.EXECUTED, answer(q.op()));
                }
                close = closeAfter.remove(q.xid());
                if (dropAnswer.remove(q.xid()) || close) {
                    answer = null;
                }
                if (answer != null) {
                    send(out, answer);
                }
            }
            if (close) {
                s.close();
                return false;
            }
        } else if (m instanceof Message.Sync y) {
            synchronized (this) {
                committed = lastTransno;
                send(out, ok(y.tag(), 0, Reply.Kind.EXECUTED, new byte[0]));
            }
        } else if (m instanceof Message.Disconnect d) {
            send(out, ok(d.tag(), 0, Reply.Kind.EXECUTED, new byte[0]));
        }
        return true;
    }

    private void execute(long xid, long transno, TargetOp op) {
        transnoOfXid.put(xid, transno);
        xidOfTransno.put(transno, xid);
        executions.add(xid);
        lastTransno = Math.max(lastTransno, transno);
    }

    private static byte[] answer(TargetOp op) {
        return op instanceof TargetOp.CreateObject || op instanceof TargetOp.Write || op instanceof TargetOp.Statfs
                ? new byte[8] : new byte[0];
    }

    private Message.Response ok(long tag, long transno, Reply.Kind kind, byte[] data) {
        return new Message.Response(tag, 0, "", transno, committed, kind.ordinal(), data);
    }

    private Message.Response error(long tag, ErrorCode code, String text) {
        return new Message.Response(tag, code.number(), code.tag() + " " + text, 0, committed, 0, new byte[0]);
    }

    private static void send(DataOutputStream out, Message m) throws IOException {
        synchronized (out) {
            ByteBuffer b = WireFormat.encode(m);
            out.writeInt(b.remaining());
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
