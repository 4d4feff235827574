package org.tarn.engine.vdev;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a device path names its driver: a scheme of two or more characters
 * and a colon ({@code fault:/srv/d0} asks the fault driver), none for the
 * file driver. One letter and a colon is not a scheme, so a path is never
 * mistaken for one.
 */
public final class DevicePaths {
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):");

    private DevicePaths() {
    }

    /** The scheme with its colon ({@code "fault:"}), or {@code ""} when the path has none. */
    public static String schemePrefix(String path) {
        Matcher m = SCHEME.matcher(path == null ? "" : path);
        return m.find() ? m.group() : "";
    }

    /** The driver type a path asks for: its scheme without the colon, else {@code file}. */
    public static String driverType(String path) {
        String prefix = schemePrefix(path);
        return prefix.isEmpty() ? "file" : prefix.substring(0, prefix.length() - 1);
    }
}
