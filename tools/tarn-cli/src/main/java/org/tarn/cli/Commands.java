package org.tarn.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import javax.management.ObjectName;

import org.tarn.api.vdev.BlockDevice;
import org.tarn.engine.TarnEngine;
import org.tarn.jmx.ObjectNames;
import org.tarn.vdev.file.FileVdevDriver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** The subcommands of {@link TarnCtl}. */
final class Commands {
    private Commands() {
    }

    /** What every subcommand shares: the backend, the output and zpool-style failures. */
    abstract static class Base implements Callable<Integer> {
        @ParentCommand
        TarnCtl root;

        @Spec
        CommandSpec spec;

        Backend backend() {
            return root.backend();
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        ParameterException usage(String message) {
            return new ParameterException(spec.commandLine(), message);
        }

        Object manager(String operation, Object... args) {
            return backend().exec(ObjectNames.poolManager(), operation, args);
        }

        Object pool(String pool, String operation, Object... args) {
            return backend().exec(ObjectNames.pool(pool), operation, args);
        }

        Object attribute(ObjectName mbean, String name) {
            return backend().read(mbean, name);
        }

        /** The named pools, or every imported pool when none is named. */
        List<String> poolsOrAll(List<String> named) {
            if (named != null && !named.isEmpty()) {
                return named;
            }
            return Values.strings(attribute(ObjectNames.poolManager(), "Pools"));
        }

        /** Runs a remote call, prefixing its failure with what was being done: {@code cannot export 'tank': ...}. */
        static <T> T cannot(String what, Supplier<T> call) {
            try {
                return call.get();
            } catch (CliException e) {
                throw new CliException("cannot " + what + ": " + e.getMessage(), e);
            }
        }

        /** Reports the pools a bulk read could not read, as eachPool does; returns the exit status. */
        int reportFailures(Map<String, CliException> failures, String verb) {
            failures.forEach((p, e) -> err().println("cannot " + verb + " '" + p + "': " + e.getMessage()));
            err().flush();
            return failures.isEmpty() ? 0 : TarnCtl.EXIT_ERROR;
        }

        /** Per-pool work that reports a pool's failure and goes on with the next; returns the exit status. */
        int eachPool(List<String> pools, String verb, Consumer<String> body) {
            int status = 0;
            for (String p : pools) {
                try {
                    body.accept(p);
                } catch (CliException e) {
                    err().println("cannot " + verb + " '" + p + "': " + e.getMessage());
                    err().flush();
                    status = TarnCtl.EXIT_ERROR;
                }
            }
            return status;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "create", description = "Creates a pool on the given devices and imports it.")
    static final class Create extends Base {
        @Option(names = "-o", paramLabel = "PROPERTY=VALUE", description = "a pool property; may repeat")
        List<String> properties = new ArrayList<>();

        @Parameters(index = "0", paramLabel = "POOL", description = "name of the new pool")
        String name;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "VDEV",
                description = "devices in zpool syntax: DEV... or mirror DEV DEV ...")
        List<String> vdevs;

        @Override
        public Integer call() {
            for (String p : properties) {
                if (p.indexOf('=') <= 0) {
                    throw usage("bad property '" + p + "': expected PROPERTY=VALUE");
                }
            }
            cannot("create '" + name + "'",
                    () -> manager("createPool", name, String.join(" ", vdevs), String.join(",", properties)));
            return 0;
        }
    }

    /** The columns of {@code list}, each computed from a pool's attributes. */
    private static final Map<String, Column> LIST_COLUMNS = new LinkedHashMap<>();

    private record Column(String header, Function<PoolStats, String> value) {
    }

    /** The attributes of one pool that list and get show. */
    private record PoolStats(String name, Map<String, Object> attributes, boolean exact) {
        long num(String attribute) {
            return Values.number(attributes.get(attribute));
        }

        String str(String attribute) {
            return Values.string(attributes.get(attribute));
        }

        /**
         * The attributes of the named pools, or of every imported pool when
         * none is named, in one bulk read (one HTTP request over Jolokia):
         * pools in name order, and the named pools that could not be read.
         */
        static List<PoolStats> readAll(Backend backend, List<String> named, boolean exact, List<String> attributes,
                Map<String, CliException> failures) {
            Map<ObjectName, List<String>> requests = new LinkedHashMap<>();
            boolean all = named == null || named.isEmpty();
            if (all) {
                // the manager too, in the same request: its pool list orders the rows and proves an engine is there
                requests.put(ObjectNames.poolManager(), List.of("Pools"));
                requests.put(ObjectNames.allPools(), attributes);
            } else {
                named.forEach(n -> requests.put(ObjectNames.pool(n), attributes));
            }
            Backend.BulkRead read = backend.readAll(requests);
            CliException noEngine = read.failures().get(ObjectNames.poolManager());
            if (noEngine != null) {
                throw noEngine;
            }
            Map<String, PoolStats> byName = new LinkedHashMap<>();
            read.values().forEach((on, values) -> {
                if (!on.equals(ObjectNames.poolManager())) {
                    byName.put(ObjectNames.poolName(on), new PoolStats(ObjectNames.poolName(on), values, exact));
                }
            });
            read.failures().forEach((on, why) -> failures.put(ObjectNames.poolName(on), why));
            List<String> order = all ? Values.strings(read.values().getOrDefault(ObjectNames.poolManager(), Map.of())
                    .get("Pools")) : named;
            List<PoolStats> out = new ArrayList<>();
            order.forEach(n -> {
                if (byName.containsKey(n)) {
                    out.add(byName.remove(n));
                }
            });
            if (all) {
                out.addAll(byName.values()); // imported between the two reads of one request
            }
            return out;
        }
    }

    private static final List<String> STAT_ATTRIBUTES = List.of("SizeBytes", "AllocatedBytes", "FreeBytes",
            "DirtyBytes", "SyncedTxg", "Health", "State", "Guid", "ReadOnly", "Failmode");

    static {
        LIST_COLUMNS.put("name", new Column("NAME", PoolStats::name));
        LIST_COLUMNS.put("size", new Column("SIZE>", s -> Sizes.bytes(s.num("SizeBytes"), s.exact())));
        LIST_COLUMNS.put("alloc", new Column("ALLOC>", s -> Sizes.bytes(s.num("AllocatedBytes"), s.exact())));
        LIST_COLUMNS.put("free", new Column("FREE>", s -> Sizes.bytes(s.num("FreeBytes"), s.exact())));
        LIST_COLUMNS.put("cap", new Column("CAP>",
                s -> Sizes.capacity(s.num("AllocatedBytes"), s.num("SizeBytes"), s.exact())));
        LIST_COLUMNS.put("dirty", new Column("DIRTY>", s -> Sizes.bytes(s.num("DirtyBytes"), s.exact())));
        LIST_COLUMNS.put("txg", new Column("TXG>", s -> Long.toString(s.num("SyncedTxg"))));
        LIST_COLUMNS.put("health", new Column("HEALTH", s -> s.str("Health")));
        LIST_COLUMNS.put("state", new Column("STATE", s -> s.str("State")));
        LIST_COLUMNS.put("guid", new Column("GUID", s -> s.str("Guid")));
        LIST_COLUMNS.put("readonly", new Column("RO", s -> Values.bool(s.attributes().get("ReadOnly")) ? "on" : "off"));
        LIST_COLUMNS.put("failmode", new Column("FAILMODE", s -> s.str("Failmode")));
    }

    @Command(mixinStandardHelpOptions = true, name = "list", description = "Lists imported pools with their size, use and health.")
    static final class ListCmd extends Base {
        @Option(names = "-H", description = "scripted mode: no header, fields separated by one tab")
        boolean scripted;

        @Option(names = "-p", description = "exact (parsable) numbers instead of human sizes")
        boolean exact;

        @Option(names = "-o", split = ",", paramLabel = "FIELD",
                description = "columns, comma-separated: name,size,alloc,free,cap,dirty,txg,health,state,guid,"
                        + "readonly,failmode (default ${DEFAULT-VALUE})",
                defaultValue = "name,size,alloc,free,cap,dirty,txg,health")
        List<String> fields;

        @Parameters(paramLabel = "POOL", description = "pools to list (default: all)")
        List<String> pools = new ArrayList<>();

        @Override
        public Integer call() {
            List<Column> columns = new ArrayList<>();
            for (String f : fields) {
                Column c = LIST_COLUMNS.get(f.trim().toLowerCase());
                if (c == null) {
                    throw usage("invalid field '" + f + "'; fields are " + String.join(",", LIST_COLUMNS.keySet()));
                }
                columns.add(c);
            }
            Map<String, CliException> failures = new LinkedHashMap<>();
            List<PoolStats> stats = PoolStats.readAll(backend(), pools, exact, STAT_ATTRIBUTES, failures);
            int status = reportFailures(failures, "open");
            if (stats.isEmpty() && failures.isEmpty()) {
                out().println("no pools available");
                return 0;
            }
            Table table = new Table(columns.stream().map(Column::header).toArray(String[]::new));
            stats.forEach(s -> table.row(columns.stream().map(c -> c.value().apply(s)).toArray()));
            if (!table.isEmpty()) {
                table.print(out(), scripted);
            }
            return status;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "status", description = "Shows the state, vdev tree and error counters of pools.")
    static final class Status extends Base {
        @Option(names = "-v", description = "verbose: also the pool's recent events")
        boolean verbose;

        @Option(names = "-x", description = "only pools that are not healthy")
        boolean unhealthyOnly;

        @Parameters(paramLabel = "POOL", description = "pools to show (default: all)")
        List<String> pools = new ArrayList<>();

        @Override
        public Integer call() {
            List<String> names = poolsOrAll(pools);
            if (names.isEmpty()) {
                out().println("no pools available");
                return 0;
            }
            int[] shown = {0};
            int status = eachPool(names, "open", p -> {
                if (unhealthyOnly && "ONLINE".equals(Values.string(attribute(ObjectNames.pool(p), "Health")))) {
                    return;
                }
                String text = Values.string(pool(p, "status"));
                if (shown[0]++ > 0) {
                    out().println();
                }
                out().print(text.endsWith("\n") ? text : text + "\n");
                if (verbose) {
                    List<String> events = Values.strings(pool(p, "events"));
                    out().println();
                    out().println("events:");
                    if (events.isEmpty()) {
                        out().println("\t(none)");
                    }
                    events.forEach(e -> out().println("\t" + e));
                }
            });
            if (unhealthyOnly && shown[0] == 0 && status == 0) {
                out().println("all pools are healthy");
            }
            out().flush();
            return status;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "import", description = {
        "Without a pool: scans the devices and lists the pools that can be imported.",
        "With a pool name or GUID: imports it, optionally under NEWNAME."})
    static final class Import extends Base {
        @Option(names = "-d", paramLabel = "DIR", description = "directory to scan for devices; may repeat "
                + "(default: the engine's search paths)")
        List<String> dirs = new ArrayList<>();

        @Option(names = "-f", description = "import even if the pool looks active on another host")
        boolean force;

        @Option(names = "-o", paramLabel = "OPTION=VALUE", description = "import option, e.g. readonly=on; may repeat")
        List<String> options = new ArrayList<>();

        @Option(names = "-F", description = "rewind: import at an earlier transaction group if the newest is damaged")
        boolean rewind;

        @Option(names = "-T", paramLabel = "TXG", description = "import at this transaction group")
        Long txg;

        @Option(names = "-D", description = "destroyed pools: list only those, or import one")
        boolean destroyed;

        @Option(names = "-H", description = "scripted listing: no header, tab-separated")
        boolean scripted;

        @Parameters(index = "0", arity = "0..1", paramLabel = "POOL|GUID")
        String pool;

        @Parameters(index = "1", arity = "0..1", paramLabel = "NEWNAME")
        String newName;

        @Override
        public Integer call() {
            if (pool == null) {
                if (force || rewind || txg != null || !options.isEmpty() || newName != null) {
                    throw usage("-f, -F, -T and -o need a pool to import");
                }
                return list();
            }
            List<String> opts = new ArrayList<>();
            if (force) {
                opts.add("force=true");
            }
            if (rewind) {
                opts.add("rewind=true");
            }
            if (txg != null) {
                opts.add("txg=" + txg);
            }
            if (destroyed) {
                opts.add("destroyed=true");
            }
            for (String o : options) {
                if (o.indexOf('=') <= 0) {
                    throw usage("bad option '" + o + "': expected OPTION=VALUE");
                }
                opts.add(o);
            }
            if (newName != null) {
                opts.add("rename=" + newName);
            }
            dirs.forEach(d -> opts.add("dir=" + d));
            try (ImportProgressLine progress = new ImportProgressLine(err(), pool,
                    () -> Values.strings(attribute(ObjectNames.poolManager(), "ImportsInProgress")))) {
                cannot("import '" + pool + "'", () -> manager("importPool", pool, String.join(",", opts)));
            }
            return 0;
        }

        private int list() {
            Object table;
            try (ProgressLine progress = ProgressLine.start(err(), scanDirs())) {
                table = cannot("scan for pools", () -> manager("importablePools", String.join(",", dirs)));
                progress.succeeded();
            }
            List<Map<String, Object>> rows = new ArrayList<>(Values.rows(table, "guid"));
            // as zpool import: destroyed pools only with -D, and then only they
            rows.removeIf(r -> "DESTROYED".equals(Values.string(r.get("state"))) != destroyed);
            if (rows.isEmpty()) {
                out().println("no pools available to import");
                out().flush();
                return 0;
            }
            if (scripted) {
                Table t = new Table("NAME", "GUID", "STATE", "IMPORTABLE", "TXG", "HOST", "PROBLEMS", "DEVICES");
                rows.forEach(r -> t.row(r.get("name"), r.get("guid"), r.get("state"),
                        Values.bool(r.get("importable")) ? "yes" : "no", r.get("txg"), r.get("host"),
                        Values.string(r.get("problems")).isEmpty() ? "-" : r.get("problems"), r.get("devices")));
                t.print(out(), true);
                return 0;
            }
            boolean first = true;
            for (Map<String, Object> r : rows) {
                if (!first) {
                    out().println();
                }
                first = false;
                String problems = Values.string(r.get("problems"));
                boolean importable = Values.bool(r.get("importable"));
                out().println("   pool: " + Values.string(r.get("name")));
                out().println("     id: " + Values.string(r.get("guid")));
                out().println("  state: " + Values.string(r.get("state")));
                out().println("   host: " + Values.string(r.get("host")));
                out().println("    txg: " + Values.string(r.get("txg")) + " (written "
                        + Values.string(r.get("lastWritten")) + ")");
                if (!problems.isEmpty()) {
                    out().println(" status: " + problems);
                }
                out().println(" action: " + (!importable ? "The pool cannot be imported."
                        : problems.isEmpty() ? "The pool can be imported using its name or numeric identifier."
                        : "The pool can be imported, perhaps only with -f; see status."));
                out().println("devices: " + Values.string(r.get("devices")));
            }
            out().flush();
            return 0;
        }

        /** The directories a scan reads, as far as this host can see them (for the progress line). */
        private List<Path> scanDirs() {
            List<String> names = dirs;
            if (names.isEmpty()) {
                try {
                    names = Values.strings(attribute(ObjectNames.poolManager(), "SearchPaths"));
                } catch (CliException e) {
                    names = List.of();
                }
            }
            return names.stream().map(Path::of).toList();
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "destroy", description = "Destroys pools: exports them, "
            + "marking their labels DESTROYED; 'import -D' lists and recovers destroyed pools.")
    static final class Destroy extends Base {
        @Option(names = "-f", description = "close open datasets instead of refusing")
        boolean force;

        @Parameters(arity = "1..*", paramLabel = "POOL")
        List<String> pools;

        @Override
        public Integer call() {
            return eachPool(pools, "destroy", p -> manager("destroyPool", p, force));
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "export", description = "Exports pools: syncs them, marks their labels EXPORTED and "
            + "releases their devices.")
    static final class Export extends Base {
        @Option(names = "-f", description = "close open datasets instead of refusing")
        boolean force;

        @Option(names = "-F", description = "force export in bounded time, discarding unsynced changes "
                + "and writing nothing")
        boolean forceExport;

        @Parameters(arity = "1..*", paramLabel = "POOL")
        List<String> pools;

        @Override
        public Integer call() {
            if (force && forceExport) {
                throw usage("-f and -F are exclusive");
            }
            return eachPool(pools, "export", p -> {
                if (forceExport) {
                    manager("forceExport", p);
                } else {
                    manager("exportPool", p, force);
                }
            });
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "clear", description = "Clears device errors and resumes a suspended pool.")
    static final class Clear extends Base {
        @Parameters(arity = "1..*", paramLabel = "POOL")
        List<String> pools;

        @Override
        public Integer call() {
            return eachPool(pools, "clear", p -> pool(p, "clear"));
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "sync", description = "Waits until every change made so far is on disk.")
    static final class Sync extends Base {
        @Parameters(paramLabel = "POOL", description = "pools to sync (default: all)")
        List<String> pools = new ArrayList<>();

        @Override
        public Integer call() {
            return eachPool(poolsOrAll(pools), "sync", p -> pool(p, "sync"));
        }
    }

    /** Statistics get shows besides the pool's properties: property name to list column. */
    private static final Map<String, String> STAT_PROPERTIES = new LinkedHashMap<>();

    static {
        STAT_PROPERTIES.put("size", "size");
        STAT_PROPERTIES.put("allocated", "alloc");
        STAT_PROPERTIES.put("free", "free");
        STAT_PROPERTIES.put("capacity", "cap");
        STAT_PROPERTIES.put("dirty", "dirty");
        STAT_PROPERTIES.put("txg", "txg");
        STAT_PROPERTIES.put("health", "health");
        STAT_PROPERTIES.put("state", "state");
        STAT_PROPERTIES.put("guid", "guid");
        STAT_PROPERTIES.put("readonly", "readonly");
    }

    @Command(mixinStandardHelpOptions = true, name = "get", description = "Shows pool properties and statistics as NAME PROPERTY VALUE SOURCE.")
    static final class Get extends Base {
        @Option(names = "-H", description = "scripted mode: no header, fields separated by one tab")
        boolean scripted;

        @Option(names = "-p", description = "exact (parsable) numbers")
        boolean exact;

        @Parameters(index = "0", paramLabel = "PROPERTY[,...]|all")
        String properties;

        @Parameters(index = "1..*", paramLabel = "POOL", description = "pools (default: all)")
        List<String> pools = new ArrayList<>();

        @Override
        public Integer call() {
            List<String> wanted = new ArrayList<>();
            for (String p : properties.split(",")) {
                if (!p.isBlank()) {
                    wanted.add(p.trim());
                }
            }
            if (wanted.isEmpty()) {
                throw usage("no property named");
            }
            Table table = new Table("NAME", "PROPERTY", "VALUE", "SOURCE");
            List<String> attributes = new ArrayList<>(STAT_ATTRIBUTES);
            attributes.add("Properties");
            attributes.add("PropertySources");
            Map<String, CliException> failures = new LinkedHashMap<>();
            List<PoolStats> stats = PoolStats.readAll(backend(), pools, exact, attributes, failures);
            int status = reportFailures(failures, "get properties of");
            for (PoolStats s : stats) {
                String p = s.name();
                Map<String, String> props = Values.map(s.attributes().get("Properties"));
                Map<String, String> sources = Values.map(s.attributes().get("PropertySources"));
                boolean all = wanted.size() == 1 && wanted.get(0).equals("all");
                List<String> names = all ? new ArrayList<>(STAT_PROPERTIES.keySet()) : wanted;
                if (all) {
                    props.keySet().stream().sorted().forEach(names::add);
                }
                try {
                    for (String name : names) {
                        String column = STAT_PROPERTIES.get(name);
                        if (column != null) {
                            table.row(p, name, LIST_COLUMNS.get(column).value().apply(s), "-");
                        } else if (props.containsKey(name)) {
                            String v = props.get(name);
                            table.row(p, name, v.isEmpty() ? "-" : v, sources.getOrDefault(name, "local"));
                        } else {
                            throw new CliException("no property '" + name + "'; properties are "
                                    + String.join(",", STAT_PROPERTIES.keySet()) + ","
                                    + String.join(",", props.keySet()));
                        }
                    }
                } catch (CliException e) {
                    status = reportFailures(Map.of(p, e), "get properties of");
                }
            }
            if (!table.isEmpty()) {
                table.print(out(), scripted);
            }
            return status;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "set", description = "Changes a pool property.")
    static final class SetCmd extends Base {
        @Parameters(index = "0", paramLabel = "PROPERTY=VALUE")
        String assignment;

        @Parameters(index = "1", paramLabel = "POOL")
        String pool;

        @Override
        public Integer call() {
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                throw usage("bad assignment '" + assignment + "': expected PROPERTY=VALUE");
            }
            String name = assignment.substring(0, eq).trim();
            String value = assignment.substring(eq + 1);
            cannot("set property for '" + pool + "'", () -> pool(pool, "setProperty", name, value));
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "events", description = {
        "Lists the recent events of pools, oldest first.",
        "With -f, then prints every new event as it happens (a JMX notification listener, or Jolokia's "
            + "pull-mode notifications) until interrupted (Ctrl-C, exit status 0 when stopped in-process). "
            + "Like zpool events -f it keeps following when a pool is exported or force-exported: that event "
            + "is printed, and the pool's later events (a new import) too. A lost connection ends it with "
            + "status 1."})
    static final class Events extends Base {
        /** How long one wait for notifications lasts before the loop checks whether it was stopped. */
        private static final Duration POLL = Duration.ofMillis(500);
        /** Event times with milliseconds, always the same width, so followed lines align. */
        private static final DateTimeFormatter TIME = DateTimeFormatter
                .ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

        @Option(names = "-H", description = "scripted mode: no header, fields separated by one tab")
        boolean scripted;

        @Option(names = "-f", description = "follow: print new events as they happen, until interrupted")
        boolean follow;

        @Parameters(paramLabel = "POOL", description = "pools (default: all)")
        List<String> pools = new ArrayList<>();

        @Override
        public Integer call() {
            if (follow) {
                return follow();
            }
            Table table = new Table("TIME", "POOL", "CLASS", "DETAIL");
            List<HistoryLine> lines = new ArrayList<>();
            int status = eachPool(poolsOrAll(pools), "get events of", p -> lines.addAll(history(p)));
            chronological(lines).forEach(h -> table.row(h.time(), h.pool(), h.type(), h.detail().isEmpty() ? "-"
                    : h.detail()));
            if (!table.isEmpty()) {
                table.print(out(), scripted);
            }
            return status;
        }

        /** One event of a pool's history, as the Pool MBean's events() prints it. */
        private record HistoryLine(String time, long millis, String pool, String type, String detail) {
        }

        private List<HistoryLine> history(String pool) {
            List<HistoryLine> out = new ArrayList<>();
            for (String line : Values.strings(pool(pool, "events"))) {
                String[] parts = line.split(" ", 3);
                long millis = Instant.parse(parts[0]).toEpochMilli();
                out.add(new HistoryLine(TIME.format(Instant.ofEpochMilli(millis)), millis, pool,
                        parts.length > 1 ? parts[1] : "-", parts.length > 2 ? parts[2] : ""));
            }
            return out;
        }

        /** The histories of several pools merged oldest first; a pool's own order is kept for equal times. */
        private static List<HistoryLine> chronological(List<HistoryLine> lines) {
            List<HistoryLine> sorted = new ArrayList<>(lines);
            sorted.sort(java.util.Comparator.comparingLong(HistoryLine::millis));
            return sorted;
        }

        /**
         * Subscribes to the PoolManager first, then prints the history, so no
         * event falls between the two; an event both in the history and
         * notified is printed once. A shutdown hook (Ctrl-C) interrupts the
         * loop and waits for it to unsubscribe.
         */
        private static final int FOLLOW_POOL_WIDTH = 8;
        /** "multihost-failed", the longest event class. */
        private static final int FOLLOW_CLASS_WIDTH = 16;

        private int follow() {
            Set<String> only = new HashSet<>(pools);
            Thread self = Thread.currentThread();
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                self.interrupt();
                try {
                    finished.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "tarnctl-events-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try (Backend.Subscription subscription = backend().subscribe(ObjectNames.poolManager())) {
                if (!scripted) {
                    line("TIME", "POOL", "CLASS", "DETAIL");
                }
                Set<String> printed = new HashSet<>();
                List<HistoryLine> lines = new ArrayList<>();
                for (String p : only.isEmpty() ? poolsOrAll(List.of()) : pools) {
                    try {
                        lines.addAll(history(p));
                    } catch (CliException e) {
                        err().println("pool '" + p + "' is not imported here (" + e.getMessage()
                                + "); following its events from now on");
                        err().flush();
                    }
                }
                for (HistoryLine h : chronological(lines)) {
                    printed.add(key(h.pool(), h.type(), h.millis(), h.detail()));
                    line(h.time(), h.pool(), h.type(), h.detail());
                }
                out().flush();
                while (true) {
                    List<Backend.Notice> notices;
                    try {
                        notices = subscription.poll(POLL);
                    } catch (InterruptedException e) {
                        break;
                    } catch (CliException e) {
                        if (Thread.currentThread().isInterrupted()) {
                            break;
                        }
                        throw e;
                    }
                    for (Backend.Notice n : notices) {
                        Map<?, ?> data = n.userData() instanceof Map<?, ?> m ? m : Map.of();
                        String p = Values.string(data.get("pool"));
                        if (!only.isEmpty() && !only.contains(p)) {
                            continue;
                        }
                        String type = data.containsKey("type") ? Values.string(data.get("type")) : n.type();
                        String detail = data.containsKey("detail") ? Values.string(data.get("detail")) : "";
                        long millis = data.get("time") instanceof String t && !t.isEmpty()
                                ? Instant.parse(t).toEpochMilli() : n.timeMillis();
                        if (printed.remove(key(p, type, millis, detail))) {
                            continue;
                        }
                        line(TIME.format(Instant.ofEpochMilli(millis)), p, type, detail);
                    }
                    out().flush();
                }
                // unsubscribing talks to the server: not with the interrupt still pending
                Thread.interrupted();
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook is running and waits for 'finished'
                }
            }
            return 0;
        }

        private static String key(String pool, String type, long millis, String detail) {
            return pool + '\0' + type + '\0' + millis + '\0' + detail;
        }

        /** Followed lines cannot know later widths: pool and class get fixed ones, wide enough for most. */
        private void line(String time, String pool, String type, String detail) {
            String sep = scripted ? "\t" : "  ";
            String row = scripted ? time + sep + pool + sep + type
                    : String.format("%-24s", time) + sep + String.format("%-" + FOLLOW_POOL_WIDTH + "s", pool) + sep
                            + String.format("%-" + FOLLOW_CLASS_WIDTH + "s", type);
            row += detail.isEmpty() && !scripted ? "" : sep + (detail.isEmpty() ? "-" : detail);
            out().println(scripted ? row : row.stripTrailing());
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "label", description = "Prints a device's labels and uberblocks (like zdb -l); needs no server.")
    static final class Label extends Base {
        @Parameters(paramLabel = "DEVICE", description = "device file or block device")
        String device;

        @Override
        public Integer call() {
            FileVdevDriver driver = new FileVdevDriver();
            if (!driver.accepts(device)) {
                throw new CliException("cannot read labels of '" + device + "': not a file or block device path");
            }
            try (BlockDevice dev = driver.open(device, true)) {
                out().print(TarnEngine.labelDump(dev));
                out().flush();
            } catch (NoSuchFileException e) {
                throw new CliException("cannot read labels of '" + device + "': no such file", e);
            } catch (IOException e) {
                throw new CliException("cannot read labels of '" + device + "': "
                        + CliException.clean(e.toString()), e);
            } catch (RuntimeException e) {
                throw new CliException("cannot read labels of '" + device + "': " + CliException.clean(
                        e.getMessage() == null ? e.toString() : e.getMessage()), e);
            }
            return 0;
        }
    }
}
