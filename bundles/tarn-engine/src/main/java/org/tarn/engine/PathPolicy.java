package org.tarn.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;

/**
 * Which devices and directories the callers of an engine may name. An engine
 * behind management (JMX, Jolokia, the agent, OSGi) confines them to its
 * search paths, so that a remote caller cannot read or overwrite arbitrary
 * files; an embedding application that names its own devices may leave them
 * unrestricted. The engine applies the policy to every create, open, scan and
 * import, whoever calls; the pools of its own cache file are not checked.
 */
public final class PathPolicy {
    /** A device path's driver scheme, as in {@code fault:/srv/d0}: stripped before the check. */
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:");

    private final boolean confined;
    private final String howToWiden;

    private PathPolicy(boolean confined, String howToWiden) {
        this.confined = confined;
        this.howToWiden = howToWiden;
    }

    /** Any path may be named (embedded use, tests). */
    public static PathPolicy unrestricted() {
        return new PathPolicy(false, "");
    }

    /**
     * Only paths under the engine's search paths may be named; an engine with
     * no search paths refuses every path.
     *
     * @param howToWiden what an operator changes to allow another directory, quoted in the refusal
     */
    public static PathPolicy searchPathsOnly(String howToWiden) {
        return new PathPolicy(true, howToWiden);
    }

    /** Whether paths are confined to the search paths. */
    public boolean confined() {
        return confined;
    }

    /**
     * Refuses a path outside the roots, when confined.
     *
     * @throws TarnException {@code INVALID_ARGUMENT} naming the path, the roots and how to widen them
     */
    public void check(String path, List<Path> roots) {
        if (!confined) {
            return;
        }
        Matcher m = SCHEME.matcher(path == null ? "" : path);
        String file = m.find() ? path.substring(m.end()) : path;
        if (file != null && !file.isEmpty()) {
            Path p = Path.of(file).toAbsolutePath().normalize();
            for (Path root : roots) {
                if (p.startsWith(root.toAbsolutePath().normalize())) {
                    return;
                }
            }
        }
        throw new TarnException(ErrorCode.INVALID_ARGUMENT, "path '" + path + "' is outside the search paths "
                + roots + "; put devices there" + (howToWiden.isEmpty() ? "" : " or " + howToWiden));
    }

    @Override
    public String toString() {
        return confined ? "search paths only" : "unrestricted";
    }
}
