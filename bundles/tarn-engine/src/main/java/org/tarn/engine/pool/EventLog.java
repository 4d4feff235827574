package org.tarn.engine.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.PoolEvent;

/**
 * The engine's event history, per pool GUID, across exports, imports and
 * restarts (as {@code zpool events}, but kept): the last
 * {@code perPool} events of each pool the engine has seen, oldest first, in
 * memory, and, when the engine has a state directory, in the text file
 * {@code events.log} there (one event per line: ISO time, pool GUID, pool
 * name, class, detail, tab-separated; tabs, newlines and backslashes in the
 * detail escaped). The file is read at start; when it passes
 * {@code maxBytes} it becomes {@code events.log.1} (the one before is
 * dropped), so its size stays bounded. A new pool instance (an import) starts
 * with its GUID's history.
 *
 * <p>Appends happen on the engine's event thread, never on a pool's; they go
 * to the operating system at once and to stable storage at close, so a power
 * cut may lose the last events (they are a record for operators, not pool
 * state). A failed write is logged, and the log keeps serving from memory.
 */
final class EventLog {
    private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
    static final String FILE = "events.log";
    /** At most this many pool GUIDs are remembered; the least recently active is forgotten first. */
    static final int MAX_POOLS = 1024;

    private final Optional<Path> file;
    private final int perPool;
    private final long maxBytes;
    private final Map<Long, Deque<PoolEvent>> byGuid = new LinkedHashMap<>(16, 0.75f, true);
    /** Open on the event thread only. */
    private FileChannel out;
    private long size;
    private boolean failing;

    /** A log kept in {@code stateDir/events.log} (read now), or only in memory when there is no state directory. */
    EventLog(Optional<Path> stateDir, int perPool, long maxBytes) {
        this.file = stateDir.map(d -> d.resolve(FILE));
        this.perPool = perPool;
        this.maxBytes = maxBytes;
        file.ifPresent(f -> {
            int bad = load(rotated(f)) + load(f);
            if (bad > 0) {
                LOG.warn("{}: skipped {} unreadable line(s)", f, bad);
            }
        });
    }

    private static Path rotated(Path f) {
        return f.resolveSibling(f.getFileName() + ".1");
    }

    /** Reads one file into memory; returns how many lines could not be read. */
    private int load(Path f) {
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            LOG.warn("cannot read the event history {}: {}; starting without it", f, e.toString());
            return 0;
        }
        int bad = 0;
        for (String line : lines) {
            String[] p = line.split("\t", 5);
            try {
                if (p.length != 5) {
                    throw new IllegalArgumentException("fields");
                }
                remember(Long.parseUnsignedLong(p[1]), new PoolEvent(Instant.parse(p[0]), p[3], unescape(p[4])));
            } catch (IllegalArgumentException | DateTimeParseException e) {
                bad++;
            }
        }
        return bad;
    }

    private synchronized void remember(long guid, PoolEvent e) {
        Deque<PoolEvent> d = byGuid.computeIfAbsent(guid, g -> new ArrayDeque<>());
        d.addLast(e);
        while (d.size() > perPool) {
            d.removeFirst();
        }
        if (byGuid.size() > MAX_POOLS) {
            var it = byGuid.entrySet().iterator();
            it.next();
            it.remove();
        }
    }

    /** The history of one pool GUID, oldest first. */
    synchronized List<PoolEvent> history(long guid) {
        Deque<PoolEvent> d = byGuid.get(guid);
        return d == null ? List.of() : new ArrayList<>(d);
    }

    /** Records an event in memory (the caller's thread, in the order events are raised). */
    void record(long guid, PoolEvent e) {
        remember(guid, e);
    }

    /** Appends an event to the file (the event thread only). */
    void append(String pool, long guid, PoolEvent e) {
        if (file.isEmpty()) {
            return;
        }
        String line = e.time() + "\t" + Long.toUnsignedString(guid) + "\t" + escape(pool) + "\t" + escape(e.type())
                + "\t" + escape(e.detail()) + "\n";
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        try {
            if (out == null || size + bytes.length > maxBytes) {
                open(bytes.length);
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                out.write(b);
            }
            size += bytes.length;
            if (failing) {
                LOG.info("the event history {} is written again", file.get());
                failing = false;
            }
        } catch (IOException ex) {
            if (!failing) {
                LOG.warn("cannot write the event history {}: {}; events are kept in memory only until it works "
                        + "again", file.get(), ex.toString());
                failing = true;
            }
            closeQuietly();
        }
    }

    /** Opens the file for appending, first moving it aside when the next line would take it past the limit. */
    private void open(int next) throws IOException {
        Path f = file.get();
        closeQuietly();
        long current = Files.exists(f) ? Files.size(f) : 0;
        if (current > 0 && current + next > maxBytes) {
            Files.move(f, rotated(f), StandardCopyOption.REPLACE_EXISTING);
            current = 0;
        }
        out = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        size = current;
    }

    /** Forces what was appended to stable storage and closes the file (the event thread, at engine close). */
    void close() {
        if (out != null) {
            try {
                out.force(false);
            } catch (IOException e) {
                LOG.warn("cannot flush the event history {}: {}", file.orElseThrow(), e.toString());
            }
            closeQuietly();
        }
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.warn("closing the event history {} failed: {}", file.orElseThrow(), e.toString());
            }
            out = null;
        }
    }

    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                b.append(switch (n) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    default -> n;
                });
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
