package org.tarn.api;

import java.util.ArrayList;
import java.util.List;

/**
 * How to import a pool, as {@code zpool import} takes it.
 *
 * @param dirs     directories to scan for devices; empty for the engine's search paths
 * @param newName  import under this name; null to keep the pool's name
 * @param readOnly import read-only: nothing is ever written to the devices
 * @param force    import a pool that is marked ACTIVE by another host
 * @param rewind   when the newest transaction group does not verify, import at the newest one that does
 * @param txg      import at exactly this transaction group (read-only); 0 for the best one
 * @param destroyed import a pool that was destroyed (like {@code zpool import -D}); only destroyed pools then
 */
public record ImportOptions(List<String> dirs, String newName, boolean readOnly, boolean force, boolean rewind,
                            long txg, boolean destroyed) {

    public ImportOptions {
        dirs = List.copyOf(dirs);
        if (txg < 0) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "txg must be positive, got " + txg);
        }
    }

    /** Defaults: search paths, same name, read-write, no force, no rewind. */
    public static ImportOptions defaults() {
        return new ImportOptions(List.of(), null, false, false, false, 0, false);
    }

    public ImportOptions withDirs(List<String> newDirs) {
        return new ImportOptions(newDirs, newName, readOnly, force, rewind, txg, destroyed);
    }

    public ImportOptions withForce(boolean f) {
        return new ImportOptions(dirs, newName, readOnly, f, rewind, txg, destroyed);
    }

    public ImportOptions withReadOnly(boolean ro) {
        return new ImportOptions(dirs, newName, ro, force, rewind, txg, destroyed);
    }

    public ImportOptions withNewName(String name) {
        return new ImportOptions(dirs, name, readOnly, force, rewind, txg, destroyed);
    }

    public ImportOptions withRewind(boolean r) {
        return new ImportOptions(dirs, newName, readOnly, force, r, txg, destroyed);
    }

    public ImportOptions withTxg(long t) {
        return new ImportOptions(dirs, newName, readOnly, force, rewind, t, destroyed);
    }

    public ImportOptions withDestroyed(boolean d) {
        return new ImportOptions(dirs, newName, readOnly, force, rewind, txg, d);
    }

    /**
     * Parses {@code force=true,readonly=true,rename=NEW,dir=PATH,rewind=true,txg=N,destroyed=true}; {@code dir}
     * may be given several times. Unknown keys and bad values are refused.
     */
    public static ImportOptions parse(String spec) {
        ImportOptions o = defaults();
        if (spec == null || spec.isBlank()) {
            return o;
        }
        List<String> dirs = new ArrayList<>();
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "expected key=value in import options, got '"
                        + part.trim() + "'");
            }
            String key = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            switch (key) {
                case "force" -> o = o.withForce(bool(key, value));
                case "readonly" -> o = o.withReadOnly(bool(key, value));
                case "rewind" -> o = o.withRewind(bool(key, value));
                case "rename" -> o = o.withNewName(value);
                case "destroyed" -> o = o.withDestroyed(bool(key, value));
                case "dir" -> dirs.add(value);
                case "txg" -> {
                    try {
                        o = o.withTxg(Long.parseLong(value));
                    } catch (NumberFormatException e) {
                        throw new TarnException(ErrorCode.INVALID_ARGUMENT, "txg must be a number, got '" + value + "'");
                    }
                }
                default -> throw new TarnException(ErrorCode.INVALID_ARGUMENT, "unknown import option '" + key
                        + "'; known: force, readonly, rename, dir, rewind, txg, destroyed");
            }
        }
        return o.withDirs(dirs);
    }

    private static boolean bool(String key, String value) {
        return switch (value) {
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw new TarnException(ErrorCode.INVALID_ARGUMENT, "option '" + key
                    + "' takes true or false, got '" + value + "'");
        };
    }
}
