package org.tarn.cli;

import java.util.Locale;

/** Numbers as {@code zpool} prints them. */
final class Sizes {
    private static final String UNITS = "BKMGTPE";

    private Sizes() {
    }

    /**
     * A byte count in at most five characters with a 1024-based unit, like
     * ZFS's nicenum: {@code 512B}, {@code 64M}, {@code 1.5G}, {@code 9.94G},
     * {@code 464G}; with {@code exact}, the plain decimal number.
     */
    static String bytes(long n, boolean exact) {
        if (exact) {
            return Long.toString(n);
        }
        if (n < 0) {
            return "-";
        }
        int index = 0;
        long v = n;
        while (v >= 1024 && index < UNITS.length() - 1) {
            v /= 1024;
            index++;
        }
        char unit = UNITS.charAt(index);
        if (index == 0 || n % (1L << (10 * index)) == 0) {
            return v + String.valueOf(unit);
        }
        double value = (double) n / (1L << (10 * index));
        String text = null;
        for (int precision = 2; precision >= 0; precision--) {
            text = String.format(Locale.ROOT, "%." + precision + "f", value);
            if (text.length() + 1 <= 5) {
                break;
            }
        }
        if (text.contains(".")) {
            text = text.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return text + unit;
    }

    /** Used space as a percentage of size: {@code 42%}, or {@code 42} when exact. */
    static String capacity(long allocated, long size, boolean exact) {
        long pct = size <= 0 ? 0 : Math.round(100.0 * allocated / size);
        return exact ? Long.toString(pct) : pct + "%";
    }
}
