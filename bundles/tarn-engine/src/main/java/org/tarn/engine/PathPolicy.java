package org.tarn.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.vdev.DevicePaths;

/**
 * Which devices and directories the callers of an engine may name. An engine
 * behind management (JMX, Jolokia, the agent, OSGi) confines them to its
 * search paths, so that a remote caller cannot read or overwrite arbitrary
 * files; an embedding application that names its own devices may leave them
 * unrestricted. The engine applies the policy to every create, open, scan and
 * import, whoever calls; the pools of its own cache file are not checked.
 *
 * <p>Confinement goes by the file a path reaches, not by its spelling: a path
 * must be spelled under a search path ({@code ..} is resolved first) and its
 * real path (every symbolic link followed) must lie under the real path of a
 * search path too, or under a directory the operator allowed links into
 * ({@link #allowingLinksInto}, for {@code /dev/disk/by-id} links to
 * {@code /dev/sd*}). The engine then opens the real path it checked, not the
 * spelling, so a link changed between the check and the open cannot redirect
 * the open; what remains is a directory of the search path itself being
 * replaced, which only whoever can write the search path's parent can do.
 */
public final class PathPolicy {

    private final boolean confined;
    private final String howToWiden;
    private final List<Path> linkTargets;

    private PathPolicy(boolean confined, String howToWiden, List<Path> linkTargets) {
        this.confined = confined;
        this.howToWiden = howToWiden;
        this.linkTargets = List.copyOf(linkTargets);
    }

    /** Any path may be named (embedded use, tests). */
    public static PathPolicy unrestricted() {
        return new PathPolicy(false, "", List.of());
    }

    /**
     * Only paths under the engine's search paths may be named; an engine with
     * no search paths refuses every path.
     *
     * @param howToWiden what an operator changes to allow another directory, quoted in the refusal
     */
    public static PathPolicy searchPathsOnly(String howToWiden) {
        return new PathPolicy(true, howToWiden, List.of());
    }

    /**
     * The same policy, also accepting symbolic links under a search path
     * whose target lies under one of {@code dirs} (such as {@code /dev} for
     * {@code by-id} links). The targets themselves still cannot be named
     * directly.
     */
    public PathPolicy allowingLinksInto(List<Path> dirs) {
        List<Path> all = new ArrayList<>(linkTargets);
        dirs.forEach(d -> all.add(d.toAbsolutePath().normalize()));
        return new PathPolicy(confined, howToWiden, all);
    }

    /** Whether paths are confined to the search paths. */
    public boolean confined() {
        return confined;
    }

    /** Directories symbolic links under a search path may point into. */
    public List<Path> linkTargets() {
        return linkTargets;
    }

    /**
     * Refuses a path outside the roots, when confined.
     *
     * @throws TarnException {@code INVALID_ARGUMENT} naming the path, the roots and how to widen them
     */
    public void check(String path, List<Path> roots) {
        resolve(path, roots);
    }

    /** Whether {@link #check} would accept the path. */
    public boolean permits(String path, List<Path> roots) {
        try {
            resolve(path, roots);
            return true;
        } catch (TarnException refused) {
            return false;
        }
    }

    /**
     * Checks a path and returns what to open: unrestricted, the path itself;
     * confined, its real path (driver scheme kept), so that what is opened is
     * what was checked.
     *
     * @throws TarnException {@code INVALID_ARGUMENT} when the path is outside the roots, or is a
     *     link whose target is outside them
     */
    public String resolve(String path, List<Path> roots) {
        if (!confined) {
            return path;
        }
        String text = path == null ? "" : path;
        String scheme = DevicePaths.schemePrefix(text);
        String file = text.substring(scheme.length());
        Path spelled = spelling(file);
        if (spelled == null || roots.stream().noneMatch(r -> spelled.startsWith(r.toAbsolutePath().normalize()))) {
            throw refuse(path, roots, "");
        }
        Path real = realPath(spelled);
        if (real == null) {
            throw refuse(path, roots, " (a link whose target cannot be resolved)");
        }
        boolean inside = roots.stream().anyMatch(r -> under(real, r.toAbsolutePath().normalize()))
                || linkTargets.stream().anyMatch(t -> under(real, t));
        if (!inside) {
            throw refuse(path, roots, " (it leads to " + real + ")");
        }
        return scheme + real;
    }

    /** The absolute, normalized path of a name, or null when it names no file. */
    private static Path spelling(String file) {
        try {
            return file.isEmpty() || file.indexOf('\0') >= 0 ? null : Path.of(file).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /**
     * The real path; for a path that does not exist (yet), its parent's real
     * path and its name; null for a link that cannot be resolved (dangling,
     * a loop), which could be pointed anywhere later.
     */
    private static Path realPath(Path p) {
        try {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return p.toRealPath();
            }
        } catch (IOException e) {
            return null;
        }
        Path parent = p.getParent();
        if (parent == null) {
            return p;
        }
        Path realParent = realPath(parent);
        return realParent == null ? null : realParent.resolve(p.getFileName());
    }

    private static boolean under(Path real, Path root) {
        Path realRoot = realPath(root);
        return realRoot != null && real.startsWith(realRoot);
    }

    private TarnException refuse(String path, List<Path> roots, String why) {
        return new TarnException(ErrorCode.INVALID_ARGUMENT, "path '" + path + "' is outside the search paths "
                + roots + why + "; put devices there" + (howToWiden.isEmpty() ? "" : " or " + howToWiden));
    }

    @Override
    public String toString() {
        return !confined ? "unrestricted" : linkTargets.isEmpty() ? "search paths only"
                : "search paths only, links into " + linkTargets;
    }
}
