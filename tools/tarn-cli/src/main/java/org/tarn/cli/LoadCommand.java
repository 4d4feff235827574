package org.tarn.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.tarn.client.ClientSettings;
import org.tarn.client.ClientStats;
import org.tarn.client.Result;
import org.tarn.client.TargetClient;
import org.tarn.client.TargetClients;
import org.tarn.target.protocol.TargetOp;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code tarnctl load}: the failover load tool. N clients write and verify
 * objects of one target through the target protocol while an operator (or a
 * test) fails the target's server over; afterwards every acknowledged write
 * is checked and the lost, duplicated and out-of-order ones are counted.
 *
 * <p>Each client, in a loop and one request at a time (so its own requests
 * have an order): writes record {@code seq} (its client number, {@code seq},
 * a CRC) at {@code seq * recordBytes} of its log object, writes {@code seq}
 * into its head object (a later value must never be replaced by an earlier
 * one), and every fourth time creates an object and writes the record into
 * it. At the end it syncs, then reads everything back:
 * <ul>
 * <li><b>lost</b>: an acknowledged record that is missing or wrong, a created
 * object that is gone, a head below the last acknowledged {@code seq}, or a
 * request the client library reports lost;</li>
 * <li><b>duplicated</b>: objects beyond those acknowledged (a create that ran
 * twice), and records at positions never acknowledged;</li>
 * <li><b>out of order</b>: a head that went backwards, or a client's
 * transaction numbers that do not grow with its requests.</li>
 * </ul>
 * It also reports, from the acknowledgements: the last one from the first
 * server, the first new one (not a resend or replay) from another server,
 * and the gap between them (the failover time seen by clients).
 */
@Command(mixinStandardHelpOptions = true, name = "load",
        description = {"Failover load: N clients write, then verify, objects of a target through the target protocol",
            "(the server runs with target.server.port). Prints progress each second and a summary; exit status 1",
            "when an acknowledged write was lost, duplicated or out of order."})
final class LoadCommand implements java.util.concurrent.Callable<Integer> {
    /** Every fourth request of a client is a create. */
    private static final int CREATE_EVERY = 4;
    private static final int HEADER_BYTES = 24;

    @Option(names = "--servers", required = true, split = ",", paramLabel = "HOST:PORT",
            description = "the target's servers: the primary, then its failover partners")
    List<String> servers;

    @Option(names = "--target", required = true, paramLabel = "NAME", description = "target name (or POOL/NAME)")
    String target;

    @Option(names = "--clients", defaultValue = "4", description = "clients writing at once (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--record-bytes", defaultValue = "4096",
            description = "bytes per write (default ${DEFAULT-VALUE})")
    int recordBytes;

    @Option(names = "--seconds", defaultValue = "10", description = "write for at least this long (default ${DEFAULT-VALUE})")
    long seconds;

    @Option(names = "--stop-file", paramLabel = "FILE",
            description = "keep writing, after --seconds, until this file exists")
    Path stopFile;

    @Option(names = "--max-seconds", defaultValue = "300",
            description = "stop writing after this long whatever happens (default ${DEFAULT-VALUE})")
    long maxSeconds;

    @Option(names = "--secret-file", paramLabel = "FILE", description = "file whose first line is the shared secret")
    Path secretFile;

    @Option(names = "--report", paramLabel = "FILE", description = "also write the summary as JSON here")
    Path report;

    @Option(names = "--client-prefix", defaultValue = "load", description = "client ids are PREFIX-N-RANDOM")
    String prefix;

    @Spec
    CommandSpec spec;

    /** What one client did, for the checks. */
    private static final class Worker {
        final int number;
        final TargetClient client;
        long log;
        long head;
        long seq;
        long lastHeadAcked;
        final TreeMap<Long, Long> createdBySeq = new TreeMap<>();
        long lastTransno;
        long outOfOrderTransnos;
        long modifyingAcked;
        long bytesAcked;
        String error;

        Worker(int number, TargetClient client) {
            this.number = number;
            this.client = client;
        }
    }

    /** When acknowledgements came, by server. */
    private static final class Acks {
        String firstServer;
        long lastFromFirst;
        long firstNewFromOther;
        String otherServer = "";
        final Map<String, Long> byServer = new LinkedHashMap<>();

        synchronized void ack(Result r, long nanos) {
            if (firstServer == null) {
                firstServer = r.server();
            }
            byServer.merge(r.server(), 1L, Long::sum);
            if (r.server().equals(firstServer)) {
                lastFromFirst = Math.max(lastFromFirst, nanos);
            } else if (r.sends() == 1 && !r.replayed() && (firstNewFromOther == 0 || nanos < firstNewFromOther)) {
                firstNewFromOther = nanos;
                otherServer = r.server();
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || recordBytes < HEADER_BYTES || seconds < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--clients and --seconds must be "
                    + "positive, --record-bytes at least " + HEADER_BYTES);
        }
        byte[] secret = secretFile == null ? null : Files.readAllLines(secretFile).get(0).strip()
                .getBytes(StandardCharsets.UTF_8);
        java.io.PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        String run = Long.toHexString(System.nanoTime() & 0xffffff);
        List<Worker> workers = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                ClientSettings s = ClientSettings.of(target, servers).withClientId(prefix + "-" + i + "-" + run)
                        .withSecret(secret).withLiveness(500, 3_000).withBackoff(50, 500).withGiveUpMillis(120_000);
                workers.add(new Worker(i, TargetClients.connect(s)));
            }
            Acks acks = new Acks();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong acked = new AtomicLong();
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (Worker w : workers) {
                loops.add(CompletableFuture.runAsync(() -> writeLoop(w, stop, acks, acked)));
            }
            long minEnd = t0 + TimeUnit.SECONDS.toNanos(seconds);
            long maxEnd = t0 + TimeUnit.SECONDS.toNanos(maxSeconds);
            long lastPrint = 0;
            while (true) {
                long now = System.nanoTime();
                boolean done = now - minEnd >= 0 && (stopFile == null || Files.exists(stopFile));
                if (done || now - maxEnd >= 0 || loops.stream().allMatch(CompletableFuture::isDone)) {
                    break;
                }
                if (now - lastPrint > TimeUnit.SECONDS.toNanos(1)) {
                    lastPrint = now;
                    synchronized (acks) {
                        out.println("progress " + TimeUnit.NANOSECONDS.toMillis(now - t0) + " ms: acked " + acked.get()
                                + " by server " + acks.byServer);
                    }
                    out.flush();
                }
                Thread.sleep(50);
            }
            long stopNanos = System.nanoTime();
            stop.set(true);
            for (CompletableFuture<Void> l : loops) {
                l.get(180, TimeUnit.SECONDS);
            }
            for (Worker w : workers) {
                w.client.sync().get(120, TimeUnit.SECONDS);
            }
            Map<String, Object> summary = verify(workers, acks, t0, stopNanos);
            out.println(summary.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .reduce((a, b) -> a + " " + b).orElse(""));
            out.flush();
            if (report != null) {
                Files.writeString(report, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(summary));
            }
            long bad = (long) summary.get("lost") + (long) summary.get("duplicated") + (long) summary.get("outOfOrder")
                    + (long) summary.get("clientErrors");
            return bad == 0 ? 0 : TarnCtl.EXIT_ERROR;
        } finally {
            for (Worker w : workers) {
                w.client.close();
            }
        }
    }

    private void writeLoop(Worker w, AtomicBoolean stop, Acks acks, AtomicLong acked) {
        try {
            w.log = TargetOp.decodeLong(ack(w, acks, new TargetOp.CreateObject()).data());
            w.head = TargetOp.decodeLong(ack(w, acks, new TargetOp.CreateObject()).data());
            while (!stop.get()) {
                long seq = ++w.seq;
                byte[] rec = record(w.number, seq, recordBytes);
                ack(w, acks, new TargetOp.Write(w.log, seq * recordBytes, rec));
                w.bytesAcked += rec.length;
                acked.incrementAndGet();
                ack(w, acks, new TargetOp.Write(w.head, 0, ByteBuffer.allocate(8).putLong(seq).array()));
                w.lastHeadAcked = seq;
                if (seq % CREATE_EVERY == 0) {
                    long obj = TargetOp.decodeLong(ack(w, acks, new TargetOp.CreateObject()).data());
                    w.createdBySeq.put(seq, obj);
                    ack(w, acks, new TargetOp.Write(obj, 0, rec));
                    w.bytesAcked += rec.length;
                }
            }
        } catch (RuntimeException | ExecutionException | InterruptedException | TimeoutException e) {
            w.error = e instanceof ExecutionException ? e.getCause().toString() : e.toString();
        }
    }

    private static Result ack(Worker w, Acks acks, TargetOp op)
            throws ExecutionException, InterruptedException, TimeoutException {
        Result r = w.client.submit(op).get(300, TimeUnit.SECONDS);
        acks.ack(r, System.nanoTime());
        if (!op.readOnly()) {
            w.modifyingAcked++;
            if (r.transno() <= w.lastTransno) {
                w.outOfOrderTransnos++;
            }
            w.lastTransno = Math.max(w.lastTransno, r.transno());
        }
        return r;
    }

    /** A record: client, seq, CRC32C of both, then a pattern from them. */
    static byte[] record(int client, long seq, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(bytes);
        b.putLong(client).putLong(seq);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 16);
        b.putLong(crc.getValue());
        long x = seq * 31 + client;
        while (b.remaining() >= 8) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            b.putLong(x);
        }
        return b.array();
    }

    private Map<String, Object> verify(List<Worker> workers, Acks acks, long t0, long stopNanos) throws Exception {
        long lost = 0;
        long duplicated = 0;
        long outOfOrder = 0;
        long clientErrors = 0;
        long ackedWrites = 0;
        long expectedObjects = 0;
        long bytes = 0;
        long replays = 0;
        long resends = 0;
        long failovers = 0;
        List<String> errors = new ArrayList<>();
        TargetClient reader = workers.get(0).client;
        for (Worker w : workers) {
            ClientStats st = w.client.stats();
            lost += st.lost();
            replays += st.replays();
            resends += st.resends();
            failovers += st.failovers();
            if (w.error != null) {
                clientErrors++;
                errors.add("client " + w.number + ": " + w.error);
            }
            outOfOrder += w.outOfOrderTransnos;
            bytes += w.bytesAcked;
            long lastSeq = w.lastHeadAcked;
            if (w.log == 0) {
                continue;
            }
            expectedObjects += 2 + w.createdBySeq.size();
            // the log: every acknowledged record, nothing beyond the last one sent
            long writtenUpTo = w.seq;
            int perRead = Math.max(1, (1 << 20) / recordBytes);
            for (long first = 1; first <= writtenUpTo; first += perRead) {
                int n = (int) Math.min(perRead, writtenUpTo - first + 1);
                byte[] chunk = reader.read(w.log, first * recordBytes, n * recordBytes).get(60, TimeUnit.SECONDS);
                for (int k = 0; k < n; k++) {
                    long seq = first + k;
                    int from = k * recordBytes;
                    byte[] got = from + recordBytes <= chunk.length
                            ? Arrays.copyOfRange(chunk, from, from + recordBytes) : new byte[0];
                    if (Arrays.equals(got, record(w.number, seq, recordBytes))) {
                        ackedWrites++;
                    } else if (seq <= lastSeq) {
                        lost++;
                        if (errors.size() < 20) {
                            errors.add("client " + w.number + " record " + seq + " is wrong or missing");
                        }
                    }
                }
            }
            long size = reader.getAttributes(w.log).get(60, TimeUnit.SECONDS).sizeBytes();
            if (size > (writtenUpTo + 1) * recordBytes) {
                duplicated++;
                errors.add("client " + w.number + " log is " + size + " bytes, beyond its last record");
            }
            long head = ByteBuffer.wrap(reader.read(w.head, 0, 8).get(60, TimeUnit.SECONDS)).getLong();
            if (head < lastSeq) {
                outOfOrder++;
                errors.add("client " + w.number + " head is " + head + " after " + lastSeq + " was acknowledged");
            } else if (head > w.seq) {
                duplicated++;
            }
            for (Map.Entry<Long, Long> e : w.createdBySeq.entrySet()) {
                byte[] got = reader.read(e.getValue(), 0, recordBytes).get(60, TimeUnit.SECONDS);
                if (!Arrays.equals(got, record(w.number, e.getKey(), recordBytes))) {
                    lost++;
                    errors.add("client " + w.number + " object " + e.getValue() + " (seq " + e.getKey() + ") is lost");
                } else {
                    ackedWrites++;
                }
            }
        }
        long objects = reader.statfs().get(60, TimeUnit.SECONDS);
        // creates that ran twice leave objects nobody was told about
        long unexpected = objects - expectedObjects - baseline;
        if (unexpected > 0) {
            duplicated += unexpected;
            errors.add(unexpected + " object(s) more than acknowledged creates");
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("clients", (long) workers.size());
        s.put("seconds", TimeUnit.NANOSECONDS.toMillis(stopNanos - t0) / 1000.0);
        s.put("ackedWrites", ackedWrites);
        s.put("mibWritten", bytes / 1048576.0);
        s.put("lost", lost);
        s.put("duplicated", duplicated);
        s.put("outOfOrder", outOfOrder);
        s.put("clientErrors", clientErrors);
        s.put("objects", objects);
        s.put("replays", replays);
        s.put("resends", resends);
        s.put("failovers", failovers);
        synchronized (acks) {
            s.put("ackedByServer", new LinkedHashMap<>(acks.byServer));
            s.put("firstServer", acks.firstServer);
            s.put("otherServer", acks.otherServer);
            s.put("failoverMillis", acks.firstNewFromOther == 0 ? -1L
                    : TimeUnit.NANOSECONDS.toMillis(acks.firstNewFromOther - acks.lastFromFirst));
        }
        s.put("errors", errors);
        return s;
    }

    @Option(names = "--baseline-objects", defaultValue = "0",
            description = "objects the target held before the run (default ${DEFAULT-VALUE}: a fresh target)")
    long baseline;
}
