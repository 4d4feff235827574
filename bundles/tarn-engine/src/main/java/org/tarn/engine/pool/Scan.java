package org.tarn.engine.pool;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.DataError;
import org.tarn.api.ErrorCode;
import org.tarn.api.PoolEvent;
import org.tarn.api.ScanStatus;
import org.tarn.api.TarnException;
import org.tarn.api.VdevState;
import org.tarn.engine.EngineDefaults;
import org.tarn.engine.dmu.BlockReader;
import org.tarn.engine.dmu.BlockWalk;
import org.tarn.engine.dmu.PoolDirectory;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.NvList;
import org.tarn.engine.vdev.Vdev;

/**
 * Scrub and resilver of one pool ({@code dsl_scan.c}).
 *
 * <h2>Theory of operation</h2>
 * Both are one background walk over every block of the pool
 * ({@link BlockWalk}) that visits the blocks born in {@code [minTxg,
 * maxTxg]}, where {@code maxTxg} is the synced txg when the scan started:
 * a block born later was written to every working device when it was born.
 * <ul>
 * <li>A <b>scrub</b> ({@code minTxg} 0) reads every visited block from every
 *     working device of its top-level vdev, verifies each copy against the
 *     checksum in its pointer, and rewrites the copies that failed from one
 *     that verified; a block no copy of which verifies is a data error, listed
 *     with its dataset and object ({@link #dataErrors}).</li>
 * <li>A <b>resilver</b> brings up to date the working leaves that missed
 *     txgs (their DTLs, see {@link org.tarn.engine.vdev.Dtl}): {@code minTxg}
 *     is the first txg any of them missed, so the walk skips every subtree
 *     born before it; each block born in a target's DTL is read once from a
 *     device that holds it, verified, and written to the targets. When the
 *     walk ends, every target that took all its writes has its DTL emptied up
 *     to {@code maxTxg}: it holds every txg, and its mirror is ONLINE again.
 *     A resilver always comes first: a scrub waits for it, and a leaf that
 *     needs one while a scrub runs cancels the scrub.</li>
 * </ul>
 *
 * <p><b>Batches.</b> The walk runs in batches of at most
 * {@link EngineDefaults#SCAN_BATCH_BYTES}: it gathers block pointers, sorts
 * them by device address and issues them as merged sequential reads of up
 * to {@link EngineDefaults#SCAN_IO_BYTES} (the sorted scan of OpenZFS), so a
 * scan reads the devices at nearly their sequential speed. Each batch runs
 * under a read pin ({@link ReadPins}) taken before the directory it walks
 * is read, so none of the blocks it visits is reused (and overwritten) while
 * it reads or copies them; a batch writes only blocks it read, at their own
 * addresses, so a copy never lands on space that a newer block took.
 *
 * <p><b>Restart.</b> After each batch the walk's {@link BlockWalk.Bookmark}
 * and counters go into the scan state, which the next sync records in the
 * pool directory, after the batch's writes completed and together with the
 * flush of every device the sync does before its uberblock. An export, a
 * crash or a power cut loses at most the batch in flight: the next import
 * resumes the scan from the recorded bookmark (the DTLs it works on are in
 * the same directory).
 *
 * <p><b>Throttle.</b> While the pool served other I/O within the last
 * {@link EngineDefaults#SCAN_BUSY_WINDOW_MILLIS} ms, the scan sleeps after
 * each round of I/O so that it takes at most {@code scan.sharePercent} of
 * the time; an idle pool is scanned at full speed.
 *
 * <p>Threads: one daemon thread per pool while a scan runs. State changes
 * (start, pause, stop, completion) take this object's monitor, which is
 * never held across I/O; pause, stop and export wake the thread, and a
 * force export's abandoned I/O ends it.
 */
final class Scan {
    private static final Logger LOG = LoggerFactory.getLogger(Scan.class);

    /** What the scan needs from its pool. */
    interface Host {
        String name();

        boolean readOnly();

        IoPipeline io();

        Vdev root();

        long syncedTxg();

        /** The directory block of the newest synced group. */
        BlockPointer directoryBp();

        BlockReader.Pin pin();

        long allocatedBytes();

        int sharePercent();

        void event(String type, String detail);

        void logInternal(String what);

        /** A resilver ended: replacements can finish and spares be released. */
        void resilverDone();
    }

    private final Host host;

    // ---- the state recorded in the pool directory (guarded by this) ----
    private String function = ScanStatus.NONE;
    private String state = ScanStatus.NONE;
    private long minTxg;
    private long maxTxg;
    private long startMillis;
    private long endMillis;
    private long toExamine;
    private long examined;
    private long issued;
    private long repaired;
    private long errors;
    private BlockWalk.Bookmark bookmark = BlockWalk.Bookmark.START;
    /** The leaves a resilver brings up to date, by GUID. */
    private final Set<Long> targets = new LinkedHashSet<>();
    /** Targets that failed a write during this resilver: their DTLs stay. */
    private final Set<Long> failedTargets = new LinkedHashSet<>();
    private final Deque<DataError> dataErrors = new ArrayDeque<>();

    // ---- runtime ----
    private Thread thread;
    /** Bumped by every change of the recorded state; the sync records it when it moved. */
    /*
     * Written under this object's monitor, read by changed() without it: the sync thread asks changed()
     * while it holds the txg lock, and scan methods holding the monitor call into the txgs (syncedTxg), so
     * changed() taking the monitor deadlocked them (found by DeviceCtlTest: attach against a closing group).
     */
    private volatile long generation;
    private volatile long recordedGeneration;
    private long pendingGeneration;
    /** The thread must leave at its next check (pause, stop, export). */
    private boolean interrupt;
    private boolean shutDown;
    private final Deque<long[]> rateSamples = new ArrayDeque<>();

    Scan(Host host) {
        this.host = host;
    }

    // ---- the recorded state ----------------------------------------------------------

    /** Takes the state an imported pool's directory recorded. */
    synchronized void load(NvList nv) {
        if (nv.isEmpty()) {
            return;
        }
        function = nv.getString("function", ScanStatus.NONE);
        state = nv.getString("state", ScanStatus.NONE);
        minTxg = nv.getLong("min_txg", 0);
        maxTxg = nv.getLong("max_txg", 0);
        startMillis = nv.getLong("start", 0);
        endMillis = nv.getLong("end", 0);
        toExamine = nv.getLong("to_examine", 0);
        examined = nv.getLong("examined", 0);
        issued = nv.getLong("issued", 0);
        repaired = nv.getLong("repaired", 0);
        errors = nv.getLong("errors", 0);
        bookmark = new BlockWalk.Bookmark(nv.getLong("bookmark_dataset", 0), nv.getLong("bookmark_object", 0),
                nv.getLong("bookmark_block", 0));
        if (nv.contains("targets")) {
            for (long g : nv.getLongs("targets")) {
                targets.add(g);
            }
        }
        if (nv.contains("failed_targets")) {
            for (long g : nv.getLongs("failed_targets")) {
                failedTargets.add(g);
            }
        }
        if (nv.contains("errors_list")) {
            for (NvList e : nv.getNvLists("errors_list")) {
                dataErrors.add(new DataError(e.getString("dataset"), e.getLong("object"), e.getLong("offset"),
                        e.getString("type"), e.getString("detail", "")));
            }
        }
    }

    /** The state for the directory of a group being synced. */
    synchronized NvList record() {
        pendingGeneration = generation;
        if (ScanStatus.NONE.equals(function)) {
            return new NvList();
        }
        List<NvList> errs = new ArrayList<>();
        for (DataError e : dataErrors) {
            errs.add(new NvList().putString("dataset", e.dataset()).putLong("object", e.object())
                    .putLong("offset", e.offset()).putString("type", e.blockType()).putString("detail", e.detail()));
        }
        NvList nv = new NvList().putString("function", function).putString("state", state)
                .putLong("min_txg", minTxg).putLong("max_txg", maxTxg).putLong("start", startMillis)
                .putLong("end", endMillis).putLong("to_examine", toExamine).putLong("examined", examined)
                .putLong("issued", issued).putLong("repaired", repaired).putLong("errors", errors)
                .putLong("bookmark_dataset", bookmark.dataset()).putLong("bookmark_object", bookmark.object())
                .putLong("bookmark_block", bookmark.block())
                .putLongList("targets", List.copyOf(targets)).putLongList("failed_targets", List.copyOf(failedTargets));
        if (!errs.isEmpty()) {
            nv.putNvLists("errors_list", errs);
        }
        return nv;
    }

    /** The group holding the last {@link #record} is on disk. */
    synchronized void recorded() {
        recordedGeneration = Math.max(recordedGeneration, pendingGeneration);
    }

    /** Whether the state changed since the last group that recorded it; takes no lock (see the fields). */
    boolean changed() {
        return generation > recordedGeneration;
    }

    private void changedNow() {
        generation++;
    }

    synchronized ScanStatus status() {
        long rate = 0;
        long left = -1;
        if (ScanStatus.SCANNING.equals(state) && rateSamples.size() >= 2) {
            long[] a = rateSamples.peekFirst();
            long[] b = rateSamples.peekLast();
            long dt = b[0] - a[0];
            if (dt > 0) {
                rate = (b[1] - a[1]) * 1000 / dt;
                if (rate > 0) {
                    left = Math.max(0, toExamine - examined) / rate;
                }
            }
        }
        return new ScanStatus(function, state, startMillis == 0 ? null : Instant.ofEpochMilli(startMillis),
                endMillis == 0 ? null : Instant.ofEpochMilli(endMillis), toExamine, examined, issued, repaired,
                errors, rate, left, minTxg, maxTxg);
    }

    synchronized List<DataError> dataErrors() {
        return List.copyOf(dataErrors);
    }

    /** A block that no copy of could be read, found by a scan or a read. */
    synchronized void dataError(DataError e) {
        dataErrors.addLast(e);
        while (dataErrors.size() > EngineDefaults.DATA_ERRORS_KEPT) {
            dataErrors.removeFirst();
        }
        changedNow();
    }

    /** Whether a resilver runs or is paused for an export. */
    synchronized boolean resilvering() {
        return ScanStatus.RESILVER.equals(function) && ScanStatus.SCANNING.equals(state);
    }

    /** The GUIDs of the leaves the running resilver brings up to date. */
    synchronized Set<Long> resilverTargets() {
        return resilvering() ? Set.copyOf(targets) : Set.of();
    }

    // ---- commands ----------------------------------------------------------------------

    /** Starts a scrub, or resumes a paused one. */
    synchronized void scrub() {
        checkWritable();
        if (ScanStatus.RESILVER.equals(function) && ScanStatus.SCANNING.equals(state)) {
            throw new TarnException(ErrorCode.IN_PROGRESS, "pool '" + host.name() + "' is resilvering; a scrub can "
                    + "start once the resilver has finished");
        }
        if (!resilverCandidates().isEmpty()) {
            throw new TarnException(ErrorCode.IN_PROGRESS, "pool '" + host.name() + "' has devices that missed "
                    + "txgs and must be resilvered first (they are when they are online)");
        }
        if (ScanStatus.SCRUB.equals(function) && ScanStatus.SCANNING.equals(state)) {
            throw new TarnException(ErrorCode.IN_PROGRESS, "pool '" + host.name() + "' is already being scrubbed");
        }
        if (ScanStatus.SCRUB.equals(function) && ScanStatus.PAUSED.equals(state)) {
            state = ScanStatus.SCANNING;
            interrupt = true;
            changedNow();
            host.event(PoolEvent.SCRUB_STARTED, "resumed at " + bookmark);
            startThread();
            return;
        }
        begin(ScanStatus.SCRUB, 0, host.syncedTxg(), Set.of());
        host.event(PoolEvent.SCRUB_STARTED, "txgs up to " + maxTxg + ", " + toExamine + " bytes allocated");
        host.logInternal("scrub started: txgs up to " + maxTxg);
        startThread();
    }

    synchronized void pauseScrub() {
        if (!ScanStatus.SCRUB.equals(function) || !ScanStatus.SCANNING.equals(state)) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + host.name() + "' has no scrub running"
                    + (ScanStatus.PAUSED.equals(state) ? " (it is paused already)" : ""));
        }
        state = ScanStatus.PAUSED;
        interrupt = true;
        changedNow();
        notifyAll();
        host.event(PoolEvent.SCRUB_PAUSED, "at " + bookmark + ", " + examined + " bytes examined");
    }

    synchronized void stopScrub() {
        if (!ScanStatus.SCRUB.equals(function) || !(ScanStatus.SCANNING.equals(state)
                || ScanStatus.PAUSED.equals(state))) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + host.name()
                    + "' has no scrub in progress");
        }
        cancelScrub("canceled by an operator");
    }

    private void cancelScrub(String why) {
        state = ScanStatus.CANCELED;
        endMillis = System.currentTimeMillis();
        interrupt = true;
        changedNow();
        notifyAll();
        host.event(PoolEvent.SCRUB_CANCELED, why + " after " + examined + " bytes examined");
        host.logInternal("scrub canceled: " + why);
    }

    /**
     * Starts a resilver now, restarting one that runs; as OpenZFS's {@code
     * zpool resilver}, does nothing when no working device misses a txg.
     *
     * @return whether a resilver started
     */
    synchronized boolean resilver() {
        checkWritable();
        if (resilverCandidates().isEmpty()) {
            return false;
        }
        startResilver("requested by an operator");
        return true;
    }

    /**
     * Starts a resilver if a working leaf misses txgs and none runs (a
     * device came back, was attached, replaced another). A running resilver
     * is not restarted: what it does not cover gets a resilver of its own when
     * it ends.
     */
    synchronized void resilverIfNeeded(String why) {
        if (host.readOnly() || shutDown || resilvering() || resilverCandidates().isEmpty()) {
            return;
        }
        startResilver(why);
    }

    private void startResilver(String why) {
        if (ScanStatus.SCRUB.equals(function) && (ScanStatus.SCANNING.equals(state)
                || ScanStatus.PAUSED.equals(state))) {
            cancelScrub("a resilver is needed");
        }
        List<Vdev> candidates = resilverCandidates();
        Set<Long> guids = new LinkedHashSet<>();
        long min = Long.MAX_VALUE;
        long max = host.syncedTxg();
        for (Vdev leaf : candidates) {
            guids.add(leaf.guid());
            min = Math.min(min, leaf.dtl().first());
            max = Math.max(max, leaf.dtl().last());
        }
        begin(ScanStatus.RESILVER, min, max, guids);
        String names = String.join(", ", candidates.stream().map(l -> l.path() + " (missed txgs " + l.dtl() + ")")
                .toList());
        host.event(PoolEvent.RESILVER_STARTED, names + "; " + why);
        host.logInternal("resilver started: " + names + "; " + why);
        startThread();
    }

    /** The leaves a resilver can bring up to date: working, open, with txgs missed. */
    List<Vdev> resilverCandidates() {
        List<Vdev> out = new ArrayList<>();
        for (Vdev leaf : host.root().leaves()) {
            if (leaf.device() != null && leaf.state() == VdevState.ONLINE && !leaf.dtl().isEmpty()) {
                out.add(leaf);
            }
        }
        return out;
    }

    private void begin(String fn, long min, long max, Set<Long> guids) {
        function = fn;
        state = ScanStatus.SCANNING;
        minTxg = min;
        maxTxg = max;
        startMillis = System.currentTimeMillis();
        endMillis = 0;
        toExamine = host.allocatedBytes();
        examined = 0;
        issued = 0;
        repaired = 0;
        errors = 0;
        bookmark = BlockWalk.Bookmark.START;
        targets.clear();
        targets.addAll(guids);
        failedTargets.clear();
        if (ScanStatus.SCRUB.equals(fn)) {
            dataErrors.clear();
        }
        rateSamples.clear();
        interrupt = true; // a thread still running an older scan leaves; a new one starts
        changedNow();
        notifyAll();
    }

    private void checkWritable() {
        if (host.readOnly()) {
            throw new TarnException(ErrorCode.READ_ONLY, "pool '" + host.name() + "' is imported read-only: "
                    + "a scan would repair what it finds");
        }
        if (shutDown) {
            throw new TarnException(ErrorCode.POOL_EXPORTED, "pool '" + host.name() + "' is being exported");
        }
    }

    // ---- the thread ------------------------------------------------------------------

    /** Starts the scan thread of an imported pool whose directory recorded a scan in progress. */
    synchronized void resumeAfterImport() {
        if (host.readOnly()) {
            return;
        }
        if (ScanStatus.SCANNING.equals(state)) {
            if (ScanStatus.RESILVER.equals(function)) {
                // the targets still working go on; the others keep their DTLs for a later resilver
                targets.removeIf(g -> resilverCandidates().stream().noneMatch(l -> l.guid() == g));
                if (targets.isEmpty()) {
                    state = ScanStatus.CANCELED;
                    endMillis = System.currentTimeMillis();
                    changedNow();
                    resilverIfNeeded("the devices the last resilver worked on are gone");
                    return;
                }
            }
            host.event(ScanStatus.RESILVER.equals(function) ? PoolEvent.RESILVER_STARTED : PoolEvent.SCRUB_STARTED,
                    "resumed after import at " + bookmark);
            startThread();
        } else {
            resilverIfNeeded("devices missed txgs when the pool was imported");
        }
    }

    private void startThread() {
        if (shutDown) {
            return;
        }
        if (thread != null) {
            // the running thread leaves its batch (begin and resume set interrupt) and re-reads the state
            notifyAll();
            return;
        }
        Thread t = new Thread(this::run, "tarn-" + host.name() + "-scan");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Stops the thread for an export; the state stays recorded, so the next import resumes the scan. */
    void shutdown(long waitMillis) {
        Thread t;
        synchronized (this) {
            shutDown = true;
            interrupt = true;
            notifyAll();
            t = thread;
        }
        if (t != null && waitMillis > 0) {
            try {
                t.join(waitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long backoffMillis = 1000;
        while (true) {
            String fn;
            long min;
            long max;
            Set<Long> goal;
            BlockWalk.Bookmark from;
            synchronized (this) {
                if (shutDown || !ScanStatus.SCANNING.equals(state)) {
                    thread = null;
                    return;
                }
                interrupt = false;
                fn = function;
                min = minTxg;
                max = maxTxg;
                goal = Set.copyOf(targets);
                from = bookmark;
            }
            Batch batch = new Batch(fn, min, max, goal);
            BlockWalk.Bookmark next;
            try {
                next = batch.run(from);
                backoffMillis = 1000;
            } catch (TarnException e) {
                if (e.code() == ErrorCode.POOL_EXPORTED) {
                    synchronized (this) {
                        thread = null;
                    }
                    return;
                }
                // the batch did not count; try again from the same bookmark a little later
                LOG.warn("pool '{}': {} batch failed, retrying in {} ms: {}", host.name(), fn, backoffMillis,
                        e.getMessage());
                pause(TimeUnit.MILLISECONDS.toNanos(backoffMillis));
                backoffMillis = Math.min(60_000, backoffMillis * 2);
                continue;
            } catch (RuntimeException e) {
                LOG.error("pool '{}': scan failed unexpectedly; it resumes at the next import", host.name(), e);
                synchronized (this) {
                    thread = null;
                }
                return;
            }
            if (next == null) {
                continue; // interrupted: the state says what next
            }
            synchronized (this) {
                if (interrupt || shutDown || !fn.equals(function) || !ScanStatus.SCANNING.equals(state)
                        || !from.equals(bookmark)) {
                    continue;
                }
                bookmark = next;
                examined += batch.examined;
                issued += batch.issued;
                repaired += batch.repaired;
                errors += batch.errors;
                failedTargets.addAll(batch.failedTargets);
                sample();
                changedNow();
                if (next.done()) {
                    finish();
                }
            }
        }
    }

    private void sample() {
        long now = System.currentTimeMillis();
        rateSamples.addLast(new long[] {now, examined});
        while (rateSamples.size() > 2 && now - rateSamples.peekFirst()[0] > 10_000) {
            rateSamples.removeFirst();
        }
    }

    /** The walk reached its end (under the monitor). */
    private void finish() {
        state = ScanStatus.FINISHED;
        endMillis = System.currentTimeMillis();
        long seconds = Math.max(0, (endMillis - startMillis) / 1000);
        if (ScanStatus.RESILVER.equals(function)) {
            List<String> done = new ArrayList<>();
            List<String> notDone = new ArrayList<>();
            for (Vdev leaf : host.root().leaves()) {
                if (!targets.contains(leaf.guid())) {
                    continue;
                }
                if (!failedTargets.contains(leaf.guid()) && leaf.state() == VdevState.ONLINE
                        && leaf.device() != null) {
                    leaf.dtl().remove(0, maxTxg);
                    (leaf.dtl().isEmpty() ? done : notDone).add(leaf.path());
                } else {
                    notDone.add(leaf.path() + " (" + leaf.state() + ")");
                }
            }
            String detail = repaired + " bytes copied in " + seconds + " s, " + errors + " errors; complete: "
                    + (done.isEmpty() ? "none" : String.join(", ", done))
                    + (notDone.isEmpty() ? "" : "; still missing txgs: " + String.join(", ", notDone));
            changedNow();
            host.event(PoolEvent.RESILVER_FINISHED, detail);
            host.logInternal("resilver finished: " + detail);
            // outside this monitor: replacing devices detach, spares go back (they queue tree changes)
            Thread after = new Thread(() -> {
                host.resilverDone();
                resilverIfNeeded("devices still missed txgs after the last resilver");
            }, "tarn-" + host.name() + "-resilver-done");
            after.setDaemon(true);
            after.start();
        } else {
            String detail = repaired + " bytes repaired in " + seconds + " s, " + errors + " errors";
            changedNow();
            host.event(PoolEvent.SCRUB_FINISHED, detail);
            host.logInternal("scrub finished: " + detail);
        }
    }

    /** Sleeps up to {@code nanos} unless interrupted by a command; false when interrupted. */
    private synchronized boolean pause(long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (!interrupt && !shutDown) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private synchronized boolean interrupted() {
        return interrupt || shutDown;
    }

    // ---- one batch -----------------------------------------------------------------

    /** A block the walk gathered for I/O. */
    private record Item(BlockWalk.Found found) {
        BlockPointer bp() {
            return found.bp();
        }
    }

    /** Adjacent items on one top-level vdev, read (and written) as one device call. */
    private record Extent(int vdev, long offset, int length, List<Item> items) {
    }

    /** Walks one batch of blocks and issues its I/O. */
    private final class Batch implements BlockWalk.Visitor {
        private final boolean resilver;
        private final long min;
        private final long max;
        private final List<Item> items = new ArrayList<>();
        private long bytes;
        private long examined;
        private long issued;
        private long repaired;
        private long errors;
        private final Set<Long> goal;
        private final Set<Long> failedTargets = new LinkedHashSet<>();
        private boolean cut;

        /** @param goal the GUIDs of the leaves a resilver brings up to date */
        Batch(String fn, long min, long max, Set<Long> goal) {
            this.resilver = ScanStatus.RESILVER.equals(fn);
            this.min = min;
            this.max = max;
            this.goal = goal;
        }

        /** The bookmark after this batch, or null when it was interrupted (nothing of it counts). */
        BlockWalk.Bookmark run(BlockWalk.Bookmark from) {
            BlockWalk.Bookmark next;
            IoPipeline io = host.io();
            try (BlockReader.Pin pin = host.pin()) {
                BlockPointer dirBp = host.directoryBp();
                if (dirBp.isHole()) {
                    return from;
                }
                PoolDirectory dir = PoolDirectory.decode(io.read(dirBp, false));
                BlockReader reader = new BlockReader() {
                    @Override
                    public ByteBuffer read(BlockPointer bp, boolean cached) {
                        // a scan reads the devices, never the cache, and does not fill it (issue 14)
                        return io.read(bp, false);
                    }
                };
                next = new BlockWalk(reader, this, Math.max(0, min)).walk(dir, from);
                if (cut) {
                    return null;
                }
                if (!issue(io)) {
                    return null;
                }
            }
            return next;
        }

        @Override
        public void visit(BlockWalk.Found found) {
            BlockPointer bp = found.bp();
            examined += bp.size();
            if (bp.birthTxg() > max || bp.birthTxg() < min) {
                return;
            }
            if (resilver && targetsFor(bp).isEmpty()) {
                return;
            }
            items.add(new Item(found));
            bytes += bp.size();
        }

        @Override
        public void unreadable(BlockWalk.Found found, TarnException why) {
            error(found, why.getMessage());
        }

        @Override
        public boolean stop() {
            if (interrupted()) {
                cut = true;
                return true;
            }
            return bytes >= EngineDefaults.SCAN_BATCH_BYTES || items.size() >= EngineDefaults.SCAN_BATCH_BLOCKS;
        }

        private void error(BlockWalk.Found found, String detail) {
            errors++;
            dataError(new DataError(found.dataset(), found.object(), found.offset(),
                    found.bp().blockType().name().toLowerCase(), detail));
            LOG.warn("pool '{}': permanent error in {}: {}", host.name(), found, detail);
        }

        /** The working leaves of the block's top-level vdev that miss it (resilver targets). */
        private List<Vdev> targetsFor(BlockPointer bp) {
            List<Vdev> out = new ArrayList<>();
            for (Vdev leaf : host.root().topLevel().get(bp.vdev()).leaves()) {
                if (goal.contains(leaf.guid()) && leaf.device() != null && leaf.state() == VdevState.ONLINE
                        && !leaf.holds(bp.birthTxg()) && !failedTargets.contains(leaf.guid())) {
                    out.add(leaf);
                }
            }
            return out;
        }

        /** Sorts, merges and issues the gathered blocks, throttled; false when interrupted. */
        private boolean issue(IoPipeline io) {
            items.sort(Comparator.comparingInt((Item i) -> i.bp().vdev()).thenComparingLong(i -> i.bp().offset()));
            List<Extent> extents = new ArrayList<>();
            List<Item> run = new ArrayList<>();
            for (Item it : items) {
                if (!run.isEmpty()) {
                    Item last = run.get(run.size() - 1);
                    long runStart = run.get(0).bp().offset();
                    boolean adjacent = last.bp().vdev() == it.bp().vdev()
                            && last.bp().offset() + last.bp().size() == it.bp().offset()
                            && it.bp().offset() + it.bp().size() - runStart <= EngineDefaults.SCAN_IO_BYTES;
                    if (!adjacent) {
                        extents.add(extent(run));
                        run = new ArrayList<>();
                    }
                }
                run.add(it);
            }
            if (!run.isEmpty()) {
                extents.add(extent(run));
            }
            for (int i = 0; i < extents.size(); i += EngineDefaults.SCAN_IO_PARALLEL) {
                if (interrupted()) {
                    return false;
                }
                long started = System.nanoTime();
                List<Extent> round = extents.subList(i, Math.min(extents.size(), i + EngineDefaults.SCAN_IO_PARALLEL));
                if (resilver) {
                    copy(io, round);
                } else {
                    verify(io, round);
                }
                long took = System.nanoTime() - started;
                boolean busy = System.nanoTime() - io.lastForegroundNanos()
                        < TimeUnit.MILLISECONDS.toNanos(EngineDefaults.SCAN_BUSY_WINDOW_MILLIS);
                int share = host.sharePercent();
                if (busy && share < 100 && !pause(took * (100 - share) / share)) {
                    return false;
                }
            }
            return true;
        }

        private Extent extent(List<Item> run) {
            BlockPointer first = run.get(0).bp();
            BlockPointer last = run.get(run.size() - 1).bp();
            return new Extent(first.vdev(), first.offset(), (int) (last.offset() + last.size() - first.offset()),
                    List.copyOf(run));
        }

        // ---- scrub: every copy verified, bad ones rewritten ----

        private void verify(IoPipeline io, List<Extent> round) {
            List<List<Vdev>> leavesOf = new ArrayList<>();
            List<List<CompletableFuture<ByteBuffer>>> reads = new ArrayList<>();
            for (Extent x : round) {
                List<Vdev> leaves = new ArrayList<>();
                List<CompletableFuture<ByteBuffer>> fs = new ArrayList<>();
                for (Vdev leaf : host.root().topLevel().get(x.vdev()).leaves()) {
                    if (leaf.device() != null && leaf.state() == VdevState.ONLINE) {
                        leaves.add(leaf);
                        fs.add(io.readLeaf(leaf, x.offset(), x.length(), true));
                    }
                }
                leavesOf.add(leaves);
                reads.add(fs);
            }
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int k = 0; k < round.size(); k++) {
                Extent x = round.get(k);
                List<Vdev> leaves = leavesOf.get(k);
                ByteBuffer[] copies = new ByteBuffer[leaves.size()];
                for (int j = 0; j < leaves.size(); j++) {
                    try {
                        copies[j] = io.await(reads.get(k).get(j));
                        issued += x.length();
                    } catch (TarnException e) {
                        if (e.code() == ErrorCode.POOL_EXPORTED) {
                            throw e;
                        }
                        leaves.get(j).readErrors().incrementAndGet();
                        LOG.warn("pool '{}': scrub read of {} bytes at 0x{} failed on {}: {}", host.name(),
                                x.length(), Long.toHexString(x.offset()), leaves.get(j).path(), e.getMessage());
                    }
                }
                for (Item it : x.items()) {
                    BlockPointer bp = it.bp();
                    int at = (int) (bp.offset() - x.offset());
                    ByteBuffer good = null;
                    List<Vdev> bad = new ArrayList<>();
                    for (int j = 0; j < leaves.size(); j++) {
                        Vdev leaf = leaves.get(j);
                        if (!leaf.holds(bp.birthTxg())) {
                            bad.add(leaf); // missed that txg: not an error, but it gets the block
                            continue;
                        }
                        if (copies[j] == null) {
                            bad.add(leaf);
                            continue;
                        }
                        ByteBuffer copy = copies[j].slice(at, bp.size());
                        if (bp.verifies(copy)) {
                            good = good == null ? copy : good;
                        } else {
                            leaf.checksumErrors().incrementAndGet();
                            LOG.warn("pool '{}': scrub: checksum error on {} in {}", host.name(), leaf.path(),
                                    it.found());
                            bad.add(leaf);
                        }
                    }
                    if (good == null) {
                        error(it.found(), leaves.isEmpty() ? "no working device holds it"
                                : "no copy matches its checksum or can be read");
                        continue;
                    }
                    for (Vdev leaf : bad) {
                        if (leaf.state() == VdevState.ONLINE) {
                            writes.add(io.scanWrite(leaf, bp.offset(), good.duplicate()));
                            repaired += bp.size();
                        }
                    }
                }
            }
            awaitWrites(io, writes, null);
        }

        // ---- resilver: one good copy read, written to the leaves that miss it ----

        private void copy(IoPipeline io, List<Extent> round) {
            List<CompletableFuture<ByteBuffer>> reads = new ArrayList<>();
            List<Vdev> sources = new ArrayList<>();
            for (Extent x : round) {
                Vdev src = source(x);
                sources.add(src);
                reads.add(src == null ? null : io.readLeaf(src, x.offset(), x.length(), true));
            }
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            List<Vdev> writeTargets = new ArrayList<>();
            for (int k = 0; k < round.size(); k++) {
                Extent x = round.get(k);
                ByteBuffer data = null;
                if (reads.get(k) != null) {
                    try {
                        data = io.await(reads.get(k));
                        issued += x.length();
                    } catch (TarnException e) {
                        if (e.code() == ErrorCode.POOL_EXPORTED) {
                            throw e;
                        }
                        sources.get(k).readErrors().incrementAndGet();
                    }
                }
                ByteBuffer out = ByteBuffer.allocate(x.length());
                boolean whole = true;
                List<Item> good = new ArrayList<>();
                for (Item it : x.items()) {
                    BlockPointer bp = it.bp();
                    int at = (int) (bp.offset() - x.offset());
                    ByteBuffer copy = data == null ? null : data.slice(at, bp.size());
                    if (copy == null || !bp.verifies(copy)) {
                        if (copy != null) {
                            sources.get(k).checksumErrors().incrementAndGet();
                        }
                        try {
                            // the pipeline tries the other copies (and repairs the source's)
                            copy = io.read(bp, false);
                        } catch (TarnException e) {
                            if (e.code() == ErrorCode.POOL_EXPORTED) {
                                throw e;
                            }
                            error(it.found(), e.getMessage());
                            whole = false;
                            continue;
                        }
                    }
                    out.put(at, copy.duplicate(), 0, bp.size());
                    good.add(it);
                }
                for (Vdev target : extentTargets(x)) {
                    if (whole) {
                        writes.add(io.scanWrite(target, x.offset(), out.duplicate()));
                        writeTargets.add(target);
                        repaired += x.length();
                    } else {
                        for (Item it : good) {
                            if (!target.holds(it.bp().birthTxg())) {
                                int at = (int) (it.bp().offset() - x.offset());
                                writes.add(io.scanWrite(target, it.bp().offset(), out.slice(at, it.bp().size())));
                                writeTargets.add(target);
                                repaired += it.bp().size();
                            }
                        }
                    }
                }
            }
            awaitWrites(io, writes, writeTargets);
        }

        /** A working leaf that holds every block of the extent, preferring one that is not a target. */
        private Vdev source(Extent x) {
            for (Vdev leaf : host.root().topLevel().get(x.vdev()).leaves()) {
                if (leaf.device() == null || leaf.state() != VdevState.ONLINE) {
                    continue;
                }
                boolean holdsAll = true;
                for (Item it : x.items()) {
                    holdsAll &= leaf.holds(it.bp().birthTxg());
                }
                if (holdsAll) {
                    return leaf;
                }
            }
            return null;
        }

        private List<Vdev> extentTargets(Extent x) {
            Set<Vdev> out = new LinkedHashSet<>();
            for (Item it : x.items()) {
                out.addAll(targetsFor(it.bp()));
            }
            return List.copyOf(out);
        }

        private void awaitWrites(IoPipeline io, List<CompletableFuture<Void>> writes, List<Vdev> targetsOfWrites) {
            for (int i = 0; i < writes.size(); i++) {
                try {
                    io.await(writes.get(i));
                } catch (TarnException e) {
                    if (e.code() == ErrorCode.POOL_EXPORTED) {
                        throw e;
                    }
                    // counted and faulted by the pipeline; a resilver target that failed keeps its DTL
                    if (targetsOfWrites != null) {
                        failedTargets.add(targetsOfWrites.get(i).guid());
                    }
                    LOG.warn("pool '{}': scan write failed: {}", host.name(), e.getMessage());
                }
            }
        }
    }
}
