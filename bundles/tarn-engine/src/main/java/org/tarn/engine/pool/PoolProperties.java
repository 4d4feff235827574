package org.tarn.engine.pool;

import java.util.LinkedHashMap;
import java.util.Map;

import org.tarn.api.ErrorCode;
import org.tarn.api.PoolProperty;
import org.tarn.api.TarnException;
import org.tarn.engine.EngineDefaults;
import org.tarn.engine.dmu.DmuFormat;

/** Validation of pool property names and values. */
public final class PoolProperties {
    private PoolProperties() {
    }

    /**
     * Checks one property and returns its normalized value.
     *
     * @throws TarnException {@link ErrorCode#INVALID_ARGUMENT} naming the property and what is allowed
     */
    public static String validate(String name, String value) {
        if (name == null || !EngineDefaults.isKnown(name)) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "unknown pool property '" + name + "'; known: "
                    + String.join(", ", EngineDefaults.properties().keySet()));
        }
        if (value == null) {
            throw bad(name, null, "a value is required");
        }
        String v = value.trim();
        switch (name) {
            case PoolProperty.FAILMODE -> requireOneOf(name, v, "wait", "continue", "export");
            case PoolProperty.CHECKSUM -> requireOneOf(name, v, "crc32c", "sha256");
            case PoolProperty.MULTIHOST -> requireOneOf(name, v, "on", "off");
            case PoolProperty.TXG_DIRTY_LIMIT_BYTES, PoolProperty.DIRTY_MAX_BYTES ->
                    requireRange(name, v, 64 * 1024, 1L << 40);
            case PoolProperty.TXG_TIMEOUT_MILLIS -> requireRange(name, v, 10, 3_600_000);
            case PoolProperty.RECORD_SIZE_BYTES -> {
                long n = requireRange(name, v, DmuFormat.MIN_RECORD_SIZE_BYTES, DmuFormat.MAX_RECORD_SIZE_BYTES);
                if (Long.bitCount(n) != 1) {
                    throw bad(name, v, "must be a power of two");
                }
            }
            case PoolProperty.SCAN_SHARE_PERCENT -> requireRange(name, v, 1, 100);
            case PoolProperty.COMMENT -> {
                if (v.length() > 1024 || v.chars().anyMatch(Character::isISOControl)) {
                    throw bad(name, v, "at most 1024 printable characters");
                }
            }
            default -> throw new AssertionError(name);
        }
        return v;
    }

    /** Validates every entry and returns them normalized. */
    public static Map<String, String> validateAll(Map<String, String> props) {
        Map<String, String> out = new LinkedHashMap<>();
        props.forEach((k, v) -> out.put(k, validate(k, v)));
        long txgLimit = Long.parseLong(out.getOrDefault(PoolProperty.TXG_DIRTY_LIMIT_BYTES,
                Long.toString(EngineDefaults.TXG_DIRTY_LIMIT_BYTES)));
        long max = Long.parseLong(out.getOrDefault(PoolProperty.DIRTY_MAX_BYTES,
                Long.toString(EngineDefaults.DIRTY_MAX_BYTES)));
        if (txgLimit > max) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, PoolProperty.TXG_DIRTY_LIMIT_BYTES + " (" + txgLimit
                    + ") must not exceed " + PoolProperty.DIRTY_MAX_BYTES + " (" + max + ")");
        }
        return out;
    }

    /** Parses {@code key=value,key=value}. */
    public static Map<String, String> parse(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "expected key=value, got '" + part.trim() + "'");
            }
            out.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
        }
        return out;
    }

    private static void requireOneOf(String name, String v, String... allowed) {
        for (String a : allowed) {
            if (a.equals(v)) {
                return;
            }
        }
        throw bad(name, v, "use one of " + String.join(", ", allowed));
    }

    private static long requireRange(String name, String v, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw bad(name, v, "not a number");
        }
        if (n < min || n > max) {
            throw bad(name, v, "must lie between " + min + " and " + max);
        }
        return n;
    }

    private static TarnException bad(String name, String v, String why) {
        return new TarnException(ErrorCode.INVALID_ARGUMENT, "bad value '" + v + "' for pool property '" + name
                + "': " + why);
    }
}
