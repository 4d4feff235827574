package org.tarn.engine.crash;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.tarn.api.CommitStatus;
import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.Transaction;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.Engine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The process that {@link CrashConsistencyTest} kills: opens the pool in a
 * directory and writes to it from several threads until it is killed.
 *
 * <h2>What the parent can rely on</h2>
 * <ul>
 * <li>Every change is written to the journal, one line per change, tagged
 *     with its transaction group, <em>after</em> it was made and
 *     <em>before</em> its transaction commits. A group cannot sync while one
 *     of its transactions is open, so every group that reached disk has all its
 *     changes in the journal; lines of groups that did not are ignored. A torn
 *     last line (no newline) belongs to an uncommitted transaction.</li>
 * <li>Each thread owns its objects, so per object the journal order is the
 *     order in which the changes were made.</li>
 * <li>{@code SYNCED <txg>} is printed only after a commit callback reported
 *     that group COMMITTED, or after {@link Pool#sync()} returned.</li>
 * <li>Written bytes are {@link #content(long, int)} of a seed in the journal,
 *     so the journal stays small.</li>
 * </ul>
 *
 * <p>Usage: {@code CrashWriter <device-dir> <journal> <seed>}. Any failure
 * halts the process with status 3, so the parent sees it died on its own.
 */
public final class CrashWriter {
    static final String DATASET = "crash";
    static final List<String> DEVICE_NAMES = List.of("d0", "d1", "d2");
    static final int THREADS = 2;
    static final int MAX_OBJECTS_PER_THREAD = 6;
    static final int MAX_OBJECT_BYTES = 2 * 1024 * 1024;
    static final int MAX_WRITE_BYTES = 256 * 1024;

    private CrashWriter() {
    }

    /** The layout of the pool over {@link #DEVICE_NAMES}: a plain device and a two-way mirror. */
    static String layout(Path dir) {
        return dir.resolve("d0") + " mirror " + dir.resolve("d1") + " " + dir.resolve("d2");
    }

    static List<String> devices(Path dir) {
        return DEVICE_NAMES.stream().map(n -> dir.resolve(n).toString()).toList();
    }

    /** The bytes of a write: zeros for seed 0, else a fixed pseudo-random sequence. */
    static byte[] content(long dataSeed, int len) {
        byte[] out = new byte[len];
        if (dataSeed == 0) {
            return out;
        }
        long x = dataSeed;
        for (int i = 0; i < len; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            long v = x * 0x2545F4914F6CDD1DL;
            for (int k = 0; k < 8 && i + k < len; k++) {
                out[i + k] = (byte) (v >>> (8 * k));
            }
        }
        return out;
    }

    /** Appends whole transactions' lines; each append is one write to the file. */
    private static final class Journal {
        private final FileOutputStream out;

        Journal(Path file) throws IOException {
            this.out = new FileOutputStream(file.toFile(), true);
        }

        synchronized void append(CharSequence lines) throws IOException {
            out.write(lines.toString().getBytes(StandardCharsets.US_ASCII));
        }
    }

    public static void main(String[] args) {
        try {
            run(Path.of(args[0]), Path.of(args[1]), Long.parseLong(args[2]));
        } catch (Throwable e) {
            die(e);
        }
    }

    private static void die(Throwable e) {
        System.err.println("CrashWriter failed:");
        e.printStackTrace();
        System.err.flush();
        Runtime.getRuntime().halt(3);
    }

    private static void run(Path dir, Path journalFile, long seed) throws Exception {
        PrintStream out = System.out;
        Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(10_000),
                List.of(new FileVdevDriver()));
        Pool pool = engine.openPool(devices(dir), false);
        out.println("OPENED " + pool.syncedTxg());
        out.flush();
        Dataset ds = pool.openDataset(DATASET);
        Journal journal = new Journal(journalFile);
        BlockingQueue<Long> committed = new LinkedBlockingQueue<>();
        List<List<Long>> owned = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            owned.add(new ArrayList<>());
        }
        Map<Long, Long> sizes = new HashMap<>();
        for (long id : ds.objects()) {
            owned.get((int) (id % THREADS)).add(id);
            sizes.put(id, ds.size(id));
        }
        for (int i = 0; i < THREADS; i++) {
            Writer w = new Writer(pool, ds, journal, committed, new Random(seed * 31 + i), owned.get(i), sizes);
            Thread t = new Thread(w, "crash-writer-" + i);
            t.setDaemon(true);
            t.start();
        }
        long printed = 0;
        int reports = 0;
        while (true) {
            long txg = committed.take();
            if (++reports % 8 == 0) {
                pool.sync();
                txg = Math.max(txg, pool.syncedTxg());
            }
            if (txg > printed) {
                printed = txg;
                out.println("SYNCED " + txg);
                out.flush();
            }
        }
    }

    /** One writing thread: transactions of one to four changes to its own objects. */
    private static final class Writer implements Runnable {
        private final Pool pool;
        private final Dataset ds;
        private final Journal journal;
        private final BlockingQueue<Long> committed;
        private final Random rnd;
        private final List<Long> mine;
        private final Map<Long, Long> sizes = new HashMap<>();

        Writer(Pool pool, Dataset ds, Journal journal, BlockingQueue<Long> committed, Random rnd, List<Long> mine,
               Map<Long, Long> allSizes) {
            this.pool = pool;
            this.ds = ds;
            this.journal = journal;
            this.committed = committed;
            this.rnd = rnd;
            this.mine = mine;
            mine.forEach(id -> sizes.put(id, allSizes.get(id)));
        }

        @Override
        public void run() {
            try {
                while (true) {
                    StringBuilder lines = new StringBuilder();
                    try (Transaction tx = pool.begin()) {
                        int n = 1 + rnd.nextInt(4);
                        for (int i = 0; i < n; i++) {
                            change(tx, lines);
                        }
                        journal.append(lines);
                        tx.onCommit((txg, status) -> {
                            if (status == CommitStatus.COMMITTED) {
                                committed.offer(txg);
                            }
                        });
                    }
                }
            } catch (Throwable e) {
                die(e);
            }
        }

        private void change(Transaction tx, StringBuilder lines) {
            long txg = tx.txg();
            int dice = rnd.nextInt(100);
            if (mine.size() < 2 || (dice < 6 && mine.size() < MAX_OBJECTS_PER_THREAD)) {
                long id = ds.createObject(tx);
                mine.add(id);
                sizes.put(id, 0L);
                lines.append("C ").append(txg).append(' ').append(id).append('\n');
            } else if (dice < 10 && mine.size() > 2) {
                long id = mine.remove(rnd.nextInt(mine.size()));
                ds.freeObject(tx, id);
                sizes.remove(id);
                lines.append("F ").append(txg).append(' ').append(id).append('\n');
            } else {
                long id = mine.get(rnd.nextInt(mine.size()));
                long size = sizes.get(id);
                int len = switch (rnd.nextInt(3)) {
                    case 0 -> 1 + rnd.nextInt(100);
                    case 1 -> 1 + rnd.nextInt(32 * 1024);
                    default -> 1 + rnd.nextInt(MAX_WRITE_BYTES);
                };
                long offset = switch (rnd.nextInt(4)) {
                    case 0 -> size; // append
                    case 1 -> size + rnd.nextInt(256 * 1024); // leaves a hole
                    default -> size == 0 ? 0 : (long) (rnd.nextDouble() * size); // overwrite
                };
                if (offset + len > MAX_OBJECT_BYTES) {
                    offset = rnd.nextInt(MAX_OBJECT_BYTES - len + 1);
                }
                long dataSeed = rnd.nextInt(10) == 0 ? 0 : rnd.nextLong() | 1;
                ds.write(tx, id, offset, ByteBuffer.wrap(content(dataSeed, len)));
                sizes.put(id, Math.max(size, offset + len));
                lines.append("W ").append(txg).append(' ').append(id).append(' ').append(offset).append(' ')
                        .append(len).append(' ').append(dataSeed).append('\n');
            }
        }
    }
}
