package org.tarn.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One host's view of a shared disk, for tests: a mount of {@code hostfs}, a
 * FUSE file system (Python, Debian's {@code fuse3} and {@code python3-fusepy})
 * that passes a backing directory through with a page cache of its own.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Two servers that share a disk share nothing else, least of all a page
 * cache; two processes on one machine share the kernel's. Mounting one
 * backing directory twice through hostfs gives each mount the cache of a
 * separate host, kept in its daemon's memory: buffered writes stay there until
 * {@code fsync}/{@code fdatasync} (or until {@link Options#dirtyBytes} of dirty
 * pages pile up), buffered reads are served from it and may be stale against
 * the other mount, and a descriptor with {@code O_DIRECT} reaches the backing
 * file both ways (after writing back this mount's dirty pages of the range, as
 * Linux does). {@link #powerCut()} SIGKILLs the daemon: the dirty pages are
 * lost, as in a power cut of that host, and every I/O still aimed at the mount
 * fails. {@link #close()} unmounts cleanly, writing them back.
 *
 * <p>The kernel's own FUSE caching is off (every handle is opened
 * {@code direct_io}, attribute timeouts are 0), so all caching is the
 * daemon's and follows the rules above exactly. The daemon's documentation is
 * at the top of {@code hostfs.py}.
 *
 * <p>Needs root (or access to {@code /dev/fuse}), {@code /usr/bin/python3}
 * with {@code fusepy} ({@code apt-get install fuse3 python3-fusepy});
 * {@link #unavailableReason()} says what is missing. Mounts left behind by a
 * test that did not close them are unmounted when the JVM exits.
 */
public final class HostFs implements AutoCloseable {

    /** The interpreter with Debian's fusepy; the first {@code python3} on PATH may be another. */
    public static final String PYTHON = System.getProperty("tarn.hostfs.python", "/usr/bin/python3");

    /** The name of the control file at the root of every mount (not listed by readdir). */
    public static final String CONTROL_FILE = ".hostfs";

    private static final long MOUNT_TIMEOUT_MILLIS = 15_000;
    private static final long UNMOUNT_TIMEOUT_MILLIS = 15_000;
    private static final long POLL_MILLIS = 20;
    private static final Pattern STAT = Pattern.compile("\"([a-z_]+)\": (-?\\d+)");

    private static final Set<HostFs> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile Path script;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (HostFs fs : LIVE) {
                fs.daemon.destroyForcibly();
                lazyUnmount(fs.mountpoint);
            }
        }, "hostfs-unmount"));
    }

    /**
     * How a mount behaves.
     *
     * @param name         the file system name in the mount table (e.g. the host's name)
     * @param blockBytes   the block size statfs reports, which is the alignment the JDK requires of
     *                     direct I/O; direct I/O at offsets or lengths that are not multiples of it fails with EINVAL
     * @param dirtyBytes   dirty pages the mount keeps before it writes the oldest back
     * @param cacheBytes   clean pages the mount keeps
     * @param refuseDirect whether {@code O_DIRECT} opens and I/O fail with EINVAL, like a file system
     *                     without direct I/O
     */
    public record Options(String name, int blockBytes, long dirtyBytes, long cacheBytes, boolean refuseDirect) {
        public Options {
            Objects.requireNonNull(name, "name");
            if (blockBytes <= 0 || dirtyBytes < 0 || cacheBytes < 0) {
                throw new IllegalArgumentException("sizes must not be negative, and blocks not empty");
            }
        }

        /** 4 KiB blocks, 256 MiB of dirty and of clean pages, direct I/O allowed. */
        public static Options defaults(String name) {
            return new Options(name, 4096, 256L << 20, 256L << 20, false);
        }

        public Options withBlockBytes(int bytes) {
            return new Options(name, bytes, dirtyBytes, cacheBytes, refuseDirect);
        }

        public Options withDirtyBytes(long bytes) {
            return new Options(name, blockBytes, bytes, cacheBytes, refuseDirect);
        }

        public Options withCacheBytes(long bytes) {
            return new Options(name, blockBytes, dirtyBytes, bytes, refuseDirect);
        }

        public Options refusingDirect() {
            return new Options(name, blockBytes, dirtyBytes, cacheBytes, true);
        }
    }

    private final Path backing;
    private final Path mountpoint;
    private final Options options;
    private final Process daemon;
    private final Path log;
    private volatile boolean closed;

    private HostFs(Path backing, Path mountpoint, Options options, Process daemon, Path log) {
        this.backing = backing;
        this.mountpoint = mountpoint;
        this.options = options;
        this.daemon = daemon;
        this.log = log;
    }

    /** What stops hostfs from working here, or empty when it can mount. */
    public static Optional<String> unavailableReason() {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            return Optional.of("/dev/fuse does not exist (no FUSE in this kernel or container)");
        }
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return Optional.of(PYTHON + " is missing (apt-get install python3 fuse3 python3-fusepy)");
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import fusepy").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.of(PYTHON + " -c 'import fusepy' did not finish");
            }
            if (p.exitValue() != 0) {
                return Optional.of("fusepy does not import (apt-get install fuse3 python3-fusepy): " + out);
            }
        } catch (IOException e) {
            return Optional.of("cannot run " + PYTHON + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
        return Optional.empty();
    }

    /** Mounts {@code backing} at {@code mountpoint} (created if missing) with default options. */
    public static HostFs mount(Path backing, Path mountpoint, String name) throws IOException {
        return mount(backing, mountpoint, Options.defaults(name));
    }

    /**
     * Mounts {@code backing} at {@code mountpoint} (created if missing) and
     * returns once the mount answers.
     *
     * @throws IOException when the daemon fails to start or mount in time (the message holds its output)
     */
    public static HostFs mount(Path backing, Path mountpoint, Options options) throws IOException {
        Files.createDirectories(mountpoint);
        Path mp = mountpoint.toRealPath();
        Path back = backing.toRealPath();
        if (isMounted(mp)) {
            throw new IOException(mp + " is already a mount point");
        }
        Path log = Files.createTempFile("hostfs-" + options.name() + "-", ".log");
        log.toFile().deleteOnExit();
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script().toString(), back.toString(), mp.toString(),
                "--name", options.name(), "--block-bytes", Integer.toString(options.blockBytes()),
                "--dirty-bytes", Long.toString(options.dirtyBytes()),
                "--cache-bytes", Long.toString(options.cacheBytes())));
        if (options.refuseDirect()) {
            cmd.add("--refuse-direct");
        }
        Process daemon = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        HostFs fs = new HostFs(back, mp, options, daemon, log);
        LIVE.add(fs);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MOUNT_TIMEOUT_MILLIS);
        while (!(isMounted(mp) && Files.exists(mp.resolve(CONTROL_FILE)))) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                daemon.destroyForcibly();
                lazyUnmount(mp);
                LIVE.remove(fs);
                throw new IOException("hostfs did not mount " + back + " at " + mp + (daemon.isAlive() ? " within "
                        + MOUNT_TIMEOUT_MILLIS + " ms" : "") + ": " + fs.logText());
            }
            pause();
        }
        return fs;
    }

    /** The directory the files appear in for this host. */
    public Path mountpoint() {
        return mountpoint;
    }

    /** The directory shared by every mount: the disk. */
    public Path backing() {
        return backing;
    }

    public Options options() {
        return options;
    }

    /** The daemon's process id. */
    public long pid() {
        return daemon.pid();
    }

    /** Whether the daemon is running (false after a power cut or close). */
    public boolean alive() {
        return daemon.isAlive();
    }

    /** A file of this mount, by its path relative to the mount point. */
    public Path resolve(String relative) {
        return mountpoint.resolve(relative);
    }

    /**
     * The daemon's counters: {@code dirty_bytes}, {@code cached_bytes},
     * {@code buffered_reads}, {@code buffered_writes}, {@code direct_reads},
     * {@code direct_writes}, {@code direct_misaligned}, {@code writebacks},
     * {@code fsyncs}, {@code page_hits}, {@code page_fills}; missing ones are 0.
     */
    public Map<String, Long> stats() throws IOException {
        String text = Files.readString(mountpoint.resolve(CONTROL_FILE), StandardCharsets.UTF_8);
        Map<String, Long> out = new LinkedHashMap<>();
        Matcher m = STAT.matcher(text);
        while (m.find()) {
            out.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return out;
    }

    /** One counter of {@link #stats()}, 0 when the daemon has not counted it yet. */
    public long stat(String name) throws IOException {
        return stats().getOrDefault(name, 0L);
    }

    /** Drops this mount's clean pages, so the next buffered reads go to the disk. */
    public void dropCaches() throws IOException {
        control("drop");
    }

    /** Writes back every dirty page of this mount, like {@code sync(1)}. */
    public void syncAll() throws IOException {
        control("sync");
    }

    private void control(String command) throws IOException {
        Files.writeString(mountpoint.resolve(CONTROL_FILE), command + "\n", StandardCharsets.UTF_8);
    }

    /**
     * Cuts this host's power: SIGKILLs the daemon, so its dirty pages are lost
     * and I/O on the mount fails, then detaches the dead mount. Idempotent.
     */
    public void powerCut() {
        daemon.destroyForcibly();
        awaitExit();
        lazyUnmount(mountpoint);
        closed = true;
        LIVE.remove(this);
    }

    /**
     * Unmounts cleanly: the daemon writes back its dirty pages and exits. If
     * it does not within its deadline, it is killed and the mount detached.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        daemon.destroy(); // SIGTERM: libfuse leaves its loop, hostfs writes back, the mount goes away
        if (!awaitExit()) {
            daemon.destroyForcibly();
            awaitExit();
        }
        lazyUnmount(mountpoint);
        LIVE.remove(this);
    }

    /** What the daemon printed (errors, tracebacks). */
    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return "hostfs[" + options.name() + ": " + backing + " at " + mountpoint + ", pid " + daemon.pid() + "]";
    }

    private boolean awaitExit() {
        try {
            return daemon.waitFor(UNMOUNT_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether {@code mountpoint} (a real path) is a mount point now, from {@code /proc/self/mountinfo}. */
    public static boolean isMounted(Path mountpoint) {
        try {
            String want = mountpoint.toAbsolutePath().normalize().toString();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 4 && unescape(f[4]).equals(want)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Detaches a mount even when its daemon is dead or its files are busy; no-op if not mounted. */
    private static void lazyUnmount(Path mountpoint) {
        for (List<String> cmd : List.of(List.of("fusermount3", "-u", "-z"), List.of("fusermount", "-u", "-z"),
                List.of("umount", "-l"))) {
            if (!isMounted(mountpoint)) {
                return;
            }
            List<String> full = new ArrayList<>(cmd);
            full.add(mountpoint.toString());
            try {
                Process p = new ProcessBuilder(full).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(UNMOUNT_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                }
            } catch (IOException e) {
                // that tool is not installed: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static synchronized Path script() throws IOException {
        if (script == null) {
            Path tmp = Files.createTempFile("hostfs-", ".py");
            try (InputStream in = HostFs.class.getResourceAsStream("hostfs.py")) {
                if (in == null) {
                    throw new IOException("hostfs.py is missing from the classpath");
                }
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp.toFile().deleteOnExit();
            script = tmp;
        }
        return script;
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(POLL_MILLIS); // polling a condition with a deadline, not a guess
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the mount");
        }
    }
}
