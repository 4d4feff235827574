package org.tarn.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;

/**
 * What the benchmark harnesses ({@link Bench}, {@link FailoverBench},
 * {@link ImportExportBench}) share: option parsing with picocli, and the
 * {@code main} plumbing around a run.
 *
 * <p>Each harness's settings are a picocli {@code @Command} extending
 * {@link CommonOptions}. Options take {@code --key=value} (picocli also
 * accepts {@code --key value}). A repeated option's last value counts, which
 * the run scripts rely on: they put {@code --dir} before the caller's
 * arguments and {@code run-import.sh} appends {@code --zfs=false}. A repeated
 * list option adds to the list. Converters check what one value can show
 * (a size's syntax); {@link CommonOptions#check()} checks ranges and
 * combinations. Every refusal is a {@link ParameterException} with a one-line
 * message, which {@link #main} turns into exit status 2.
 */
final class Harness {
    /** Exit status for bad usage: an unknown option, a bad value. */
    static final int EXIT_USAGE = 2;
    /** Exit status for a run that failed. */
    static final int EXIT_FAILED = 1;
    private static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";
    /** The measured engine's revision, as the run scripts pass it. */
    private static final String REVISION_PROPERTY = "tarn.bench.revision";
    /** Wide enough for the descriptions' lines, so picocli does not wrap them again. */
    private static final int USAGE_WIDTH_CHARS = 110;
    /** Wide enough for the longest {@code --option=LABEL}. */
    private static final int OPTION_COLUMN_CHARS = 24;

    private Harness() {
    }

    /**
     * The options every harness has, and the record of what was given. A subclass
     * is a {@code @Command(name = ..., customSynopsis = ...)} and declares its
     * options with {@code @Option}, in the order {@code --help} lists them.
     */
    abstract static class CommonOptions {
        @Option(names = "--out", paramLabel = "FILE", order = 1000,
                description = "also write the Markdown report to FILE")
        Path out;

        @Option(names = {"-h", "--help"}, usageHelp = true, order = 1001, description = "this text")
        boolean help;

        /** The options given, by name without {@code --}, with their values as given; for the report. */
        final Map<String, String> given = new LinkedHashMap<>();

        /**
         * Checks what the converters cannot see alone (ranges, options that must agree) and completes
         * derived values; throws {@link IllegalArgumentException} with a message that names the option.
         */
        abstract void check();

        /** The report's account of the options: {@code defaults}, or the given ones as a command line. */
        String givenText() {
            if (given.isEmpty()) {
                return "defaults";
            }
            return "`" + String.join(" ", given.entrySet().stream()
                    .map(e -> "--" + e.getKey() + "=" + e.getValue()).toList()) + "`";
        }
    }

    /** Runs a harness with its parsed settings, progress to {@code log}; returns the Markdown report. */
    @FunctionalInterface
    interface Run<S> {
        String report(S settings, PrintStream log) throws IOException, InterruptedException;
    }

    /**
     * Parses {@code args} into {@code settings} (whose fields hold the defaults) and checks them.
     *
     * @throws ParameterException for an unknown option, a malformed value or a failed check
     */
    static <S extends CommonOptions> S parse(S settings, String... args) {
        CommandLine cl = commandLine(settings);
        ParseResult parsed = cl.parseArgs(args);
        if (settings.help) {
            return settings;
        }
        for (OptionSpec option : parsed.matchedOptions()) {
            String name = option.longestName().replaceFirst("^--?", "");
            Collection<String> values = option.originalStringValues();
            String value = option.isMultiValue() ? String.join(",", values)
                    : values.stream().reduce((first, second) -> second).orElse("");
            settings.given.put(name, value);
        }
        try {
            settings.check();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, e.getMessage(), e);
        }
        return settings;
    }

    /** The report's first lines: its title, when it started, the JVM, the engine revision the script passed. */
    static String reportHeader(String title, ZonedDateTime started) {
        Runtime jvm = Runtime.getRuntime();
        return "## " + title + "\n\n"
                + "- started: " + started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + "\n"
                + "- JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + ", " + jvm.availableProcessors() + " CPUs, max heap " + (jvm.maxMemory() >> 20) + " MiB\n"
                + "- engine revision: " + System.getProperty(REVISION_PROPERTY, "unknown") + "\n";
    }

    /** The usage text picocli makes of the settings' annotations. */
    static String usage(CommonOptions settings) {
        return commandLine(settings).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    private static CommandLine commandLine(CommonOptions settings) {
        CommandLine cl = new CommandLine(settings);
        cl.setOverwrittenOptionsAllowed(true);
        cl.getCommandSpec().usageMessage().sortOptions(false).optionListHeading("%n")
                .width(USAGE_WIDTH_CHARS).longOptionsMaxWidth(OPTION_COLUMN_CHARS);
        return cl;
    }

    /**
     * A harness's {@code main}: engine logging at {@code warn} unless set, parse (exit 2 on bad usage),
     * {@code --help}, run, report to standard output and to {@code --out}; a failed run exits 1 with one
     * line on standard error. Ends with {@code System.exit}, so that threads left behind by a device
     * that still hangs do not keep the JVM alive.
     *
     * @param tag the harness's name in messages, e.g. {@code bench}
     */
    static <S extends CommonOptions> void main(String tag, S defaults, String[] args, Run<S> run) {
        if (System.getProperty(LOG_LEVEL_PROPERTY) == null) {
            System.setProperty(LOG_LEVEL_PROPERTY, "warn");
        }
        S settings;
        try {
            settings = parse(defaults, args);
        } catch (ParameterException e) {
            System.err.println(tag + ": " + oneLine(e.getMessage()) + " (--help lists the options)");
            System.exit(EXIT_USAGE);
            return;
        }
        if (settings.help) {
            System.out.print(usage(settings));
            System.out.flush();
            System.exit(0);
            return;
        }
        try {
            String report = run.report(settings, System.err);
            System.out.print(report);
            System.out.flush();
            if (settings.out != null) {
                Files.writeString(settings.out, report, StandardCharsets.UTF_8);
                System.err.println("report written to " + settings.out.toAbsolutePath());
            }
        } catch (IOException | UncheckedIOException | InterruptedException | IllegalStateException e) {
            System.err.println(tag + ": " + e + (e.getCause() == null ? "" : ", caused by " + e.getCause()));
            System.exit(EXIT_FAILED);
        }
        System.exit(0);
    }

    private static String oneLine(String message) {
        return message == null ? "bad usage" : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    // ---- checks, for CommonOptions.check() ----------------------------------

    static long atLeast(String option, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(option + ": must be at least " + min + ", got " + value);
        }
        return value;
    }

    static void oneOf(String option, Collection<String> values, Collection<String> allowed) {
        for (String v : values) {
            if (!allowed.contains(v)) {
                throw new IllegalArgumentException(option + ": unknown part '" + v + "'; use "
                        + String.join(", ", allowed));
            }
        }
    }

    static long bytesWithin(String option, long bytes, long min, long max) {
        if (bytes < min || bytes > max) {
            throw new IllegalArgumentException(option + ": " + bytes + " bytes; must lie between " + min
                    + " and " + max + " bytes");
        }
        return bytes;
    }

    // ---- converters ----------------------------------------------------------

    /** A byte count with an optional binary suffix: {@code 4096}, {@code 128k}, {@code 1m}, {@code 2g}. */
    static final class Bytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            long unit = switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                default -> 1;
            };
            String digits = unit == 1 ? v : v.substring(0, v.length() - 1);
            try {
                return Math.multiplyExact(Long.parseLong(digits), unit);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new TypeConversionException("not a size: '" + value + "' (a number of bytes,"
                        + " optionally with k, m or g)");
            }
        }
    }

    /** {@link Bytes} for an {@code int} field: sizes of single writes and records. */
    static final class IntBytes implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            long n = new Bytes().convert(value);
            if (n > Integer.MAX_VALUE) {
                throw new TypeConversionException("too large: '" + value + "' (at most 2 GiB - 1)");
            }
            return (int) n;
        }
    }

    /** A MiB count, fractions allowed ({@code 0.5}), as bytes rounded down to 4 KiB; at least 4 KiB. */
    static final class MibBytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            double mib;
            try {
                mib = Double.parseDouble(value.strip());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("not a number of MiB: '" + value + "'");
            }
            long bytes = Math.round(mib * (1 << 20)) / 4096 * 4096;
            if (!(bytes > 0)) {
                throw new TypeConversionException("'" + value + "' MiB: must be at least 4 KiB");
            }
            return bytes;
        }
    }
}
