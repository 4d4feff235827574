package org.tarn.engine.pool;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.HistoryEntry;
import org.tarn.engine.EngineDefaults;
import org.tarn.engine.label.NvList;

/**
 * A pool's command history, kept in the pool ({@code spa_history.c}): every
 * command that changed the pool, and with {@code internal} set what the
 * engine did on its own. Held in memory (bounded: the first entry, the
 * pool's creation, and the newest {@link EngineDefaults#HISTORY_ENTRIES});
 * a changed history is written as one block by the next sync and named by
 * the pool directory, so it moves with the pool to any host that imports
 * it. An entry logged just before a clean export reaches the disk with the
 * export's final sync; a force export writes nothing, so what it drops was
 * never on disk.
 */
final class History {
    private static final Logger LOG = LoggerFactory.getLogger(History.class);

    private final String hostname;
    private final List<HistoryEntry> entries = new ArrayList<>();
    private long generation;
    private long pendingGeneration;
    private long writtenGeneration;

    History(String hostname) {
        this.hostname = hostname;
    }

    /** Records a command an operator or client ran. */
    void log(String command) {
        add(command, false);
    }

    /** Records what the engine did on its own (a resilver finished, a spare took over). */
    void logInternal(String what) {
        add(what, true);
    }

    private synchronized void add(String text, boolean internal) {
        String t = text.length() > EngineDefaults.HISTORY_ENTRY_CHARS
                ? text.substring(0, EngineDefaults.HISTORY_ENTRY_CHARS) : text;
        entries.add(new HistoryEntry(Instant.now(), t, internal, hostname));
        while (entries.size() > EngineDefaults.HISTORY_ENTRIES + 1) {
            entries.remove(1); // the first entry (the pool's creation) stays
        }
        generation++;
    }

    synchronized List<HistoryEntry> entries() {
        return List.copyOf(entries);
    }

    /** Whether entries wait to be written. */
    synchronized boolean dirty() {
        return generation > writtenGeneration;
    }

    /** The block to write when entries were added since the last one written; null otherwise. */
    synchronized ByteBuffer block() {
        if (generation <= writtenGeneration) {
            return null;
        }
        pendingGeneration = generation;
        List<NvList> list = new ArrayList<>();
        for (HistoryEntry e : entries) {
            list.add(new NvList().putLong("time", e.time().toEpochMilli()).putString("command", e.command())
                    .putBoolean("internal", e.internal()).putString("host", e.hostname()));
        }
        byte[] enc = new NvList().putNvLists("entries", list).encode();
        ByteBuffer out = ByteBuffer.allocate(4 + enc.length);
        out.putInt(enc.length).put(enc);
        return out.flip();
    }

    /** The block last returned by {@link #block} is on disk. */
    synchronized void written() {
        writtenGeneration = Math.max(writtenGeneration, pendingGeneration);
    }

    /** Loads the entries of a history block read from the pool; a damaged block loses the history, not the pool. */
    synchronized void load(ByteBuffer block) {
        try {
            ByteBuffer in = block.duplicate();
            int len = in.getInt();
            byte[] enc = new byte[len];
            in.get(enc);
            for (NvList e : NvList.decode(enc).getNvLists("entries")) {
                entries.add(new HistoryEntry(Instant.ofEpochMilli(e.getLong("time")), e.getString("command"),
                        e.getBoolean("internal", false), e.getString("host", "")));
            }
        } catch (RuntimeException e) {
            LOG.warn("pool history block does not decode ({}); starting a new history", e.toString());
            entries.clear();
            add("history lost: its block did not decode (" + e.getMessage() + ")", true);
        }
    }
}
