package org.tarn.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.tarn.jmx.ObjectNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The device lifecycle subcommands of {@link TarnCtl}, as zpool names them. */
final class DeviceCommands {
    private DeviceCommands() {
    }

    @Command(mixinStandardHelpOptions = true, name = "scrub",
            description = "Starts a scrub (verifies every block, repairs bad copies), or resumes a paused one.")
    static final class Scrub extends Commands.Base {
        @Option(names = "-p", description = "pause the running scrub")
        boolean pause;

        @Option(names = "-s", description = "stop (cancel) the scrub")
        boolean stop;

        @Option(names = "-w", description = "wait until the scrub has finished (or was paused or canceled)")
        boolean await;

        @Parameters(arity = "1..*", paramLabel = "POOL")
        List<String> pools;

        @Override
        public Integer call() {
            if (pause && stop) {
                throw usage("-p and -s exclude each other");
            }
            String op = pause ? "pauseScrub" : stop ? "stopScrub" : "scrub";
            int status = eachPool(pools, pause ? "pause the scrub of" : stop ? "stop the scrub of" : "scrub",
                    p -> pool(p, op));
            if (await && !pause && !stop) {
                status = Math.max(status, eachPool(pools, "wait for the scrub of", this::awaitScrub));
            }
            return status;
        }

        /** Polls the pool's Scan attribute until the scrub is no longer scanning (as zpool scrub -w waits). */
        private void awaitScrub(String p) {
            while (true) {
                Map<String, String> scan = Values.map(attribute(ObjectNames.pool(p), "Scan"));
                if (!"scanning".equals(scan.get("state")) || !"scrub".equals(scan.get("function"))) {
                    if (!"finished".equals(scan.get("state"))) {
                        throw new CliException("the scrub of '" + p + "' ended " + scan.get("state")
                                + " (" + scan.get("function") + ")");
                    }
                    return;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CliException("interrupted waiting for the scrub of '" + p + "'");
                }
            }
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "resilver",
            description = "Starts (or restarts) a resilver of the devices that missed transaction groups.")
    static final class Resilver extends Commands.Base {
        @Parameters(arity = "1..*", paramLabel = "POOL")
        List<String> pools;

        @Override
        public Integer call() {
            return eachPool(pools, "resilver", p -> pool(p, "resilver"));
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "attach",
            description = "Attaches NEW_DEVICE to the vdev of DEVICE (makes or widens a mirror) and resilvers it.")
    static final class Attach extends Commands.Base {
        @Option(names = "-f", description = "use a device that holds the label of an active pool")
        boolean force;

        @Parameters(index = "0", paramLabel = "POOL")
        String poolName;

        @Parameters(index = "1", paramLabel = "DEVICE")
        String device;

        @Parameters(index = "2", paramLabel = "NEW_DEVICE")
        String newDevice;

        @Override
        public Integer call() {
            cannot("attach " + newDevice + " to " + device, () -> pool(poolName, "attach", device, newDevice, force));
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "detach", description = "Detaches DEVICE from its mirror.")
    static final class Detach extends Commands.Base {
        @Parameters(index = "0", paramLabel = "POOL")
        String poolName;

        @Parameters(index = "1", paramLabel = "DEVICE")
        String device;

        @Override
        public Integer call() {
            cannot("detach " + device, () -> pool(poolName, "detach", device));
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "replace",
            description = "Replaces DEVICE with NEW_DEVICE (resilvered, then DEVICE is detached); without NEW_DEVICE, "
                    + "a new disk at the same path.")
    static final class Replace extends Commands.Base {
        @Option(names = "-f", description = "use a device that holds the label of an active pool")
        boolean force;

        @Parameters(index = "0", paramLabel = "POOL")
        String poolName;

        @Parameters(index = "1", paramLabel = "DEVICE")
        String device;

        @Parameters(index = "2", paramLabel = "NEW_DEVICE", arity = "0..1")
        String newDevice;

        @Override
        public Integer call() {
            cannot("replace " + device, () -> pool(poolName, "replace", device, newDevice == null ? "" : newDevice,
                    force));
            return 0;
        }
    }

    /**
     * Runs {@code op} on every device in turn, as zpool online/offline do: a
     * failure is printed and the others still run; exit status 1 if any failed.
     */
    private static int eachDevice(Commands.Base cmd, List<String> devices, String verb,
                                  java.util.function.Function<String, Object> op) {
        int status = 0;
        for (String d : devices) {
            try {
                Commands.Base.cannot(verb + " " + d, () -> op.apply(d));
            } catch (CliException e) {
                cmd.err().println(e.getMessage());
                cmd.err().flush();
                status = TarnCtl.EXIT_ERROR;
            }
        }
        return status;
    }

    @Command(mixinStandardHelpOptions = true, name = "online",
            description = "Brings devices back online and resilvers what they missed.")
    static final class Online extends Commands.Base {
        @Parameters(index = "0", paramLabel = "POOL")
        String poolName;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "DEVICE")
        List<String> devices;

        @Override
        public Integer call() {
            return eachDevice(this, devices, "online", d -> pool(poolName, "online", d));
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "offline",
            description = "Takes devices offline; what they miss is resilvered when they are onlined.")
    static final class Offline extends Commands.Base {
        @Option(names = "-t", description = "temporary: online again at the next import")
        boolean temporary;

        @Parameters(index = "0", paramLabel = "POOL")
        String poolName;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "DEVICE")
        List<String> devices;

        @Override
        public Integer call() {
            return eachDevice(this, devices, "offline", d -> pool(poolName, "offline", d, temporary));
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "add",
            description = "Adds top-level vdevs to a pool: 'tarnctl add tank mirror /d4 /d5'.")
    static final class Add extends Commands.Base {
        @Option(names = "-f", description = "use devices that hold the label of an active pool")
        boolean force;

        @Parameters(index = "0", paramLabel = "POOL")
        String poolName;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "VDEV")
        List<String> layout;

        @Override
        public Integer call() {
            cannot("add to '" + poolName + "'", () -> pool(poolName, "add", String.join(" ", layout), force));
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "history",
            description = "Shows the command history kept in each pool.")
    static final class History extends Commands.Base {
        @Option(names = "-i", description = "also what the engine did by itself ([internal] entries)")
        boolean internal;

        @Parameters(paramLabel = "POOL", description = "pools (default: all)")
        List<String> pools = new ArrayList<>();

        @Override
        public Integer call() {
            int[] shown = {0};
            return eachPool(poolsOrAll(pools), "get the history of", p -> {
                List<String> lines = Values.strings(attribute(ObjectNames.pool(p), "History"));
                if (shown[0]++ > 0) {
                    out().println();
                }
                out().println("History for '" + p + "':");
                for (String line : lines) {
                    if (internal || !line.contains(" [internal] ")) {
                        out().println(line);
                    }
                }
                out().flush();
            });
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "iostat",
            description = "Shows I/O statistics of pools (and with -v of every vdev): capacity, operations and "
                    + "bandwidth; the first report is since import, each next one over the interval.")
    static final class IoStat extends Commands.Base {
        @Option(names = "-v", description = "every vdev, not only the pools")
        boolean verbose;

        @Option(names = "-l", description = "also average latencies (read, write, flush)")
        boolean latency;

        @Option(names = "-q", description = "also queue depths (queued, active)")
        boolean queues;

        @Option(names = "-H", description = "scripted mode: no header, fields separated by one tab")
        boolean scripted;

        @Option(names = "-p", description = "exact numbers (bytes, ns)")
        boolean exact;

        @Parameters(paramLabel = "[POOL...] [INTERVAL [COUNT]]",
                description = "pools (default: all), then seconds between reports and how many")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws InterruptedException {
            List<String> names = new ArrayList<>();
            List<Long> numbers = new ArrayList<>();
            for (String a : args) {
                if (a.matches("\\d+(\\.\\d+)?")) {
                    numbers.add((long) (Double.parseDouble(a) * 1000));
                } else if (!numbers.isEmpty()) {
                    throw usage("pools come before the interval: " + a);
                } else {
                    names.add(a);
                }
            }
            if (numbers.size() > 2) {
                throw usage("at most an interval and a count");
            }
            long intervalMillis = numbers.isEmpty() ? 0 : numbers.get(0);
            long count = numbers.size() > 1 ? numbers.get(1) / 1000 : intervalMillis > 0 ? Long.MAX_VALUE : 1;
            if (intervalMillis == 0 && numbers.size() == 1) {
                throw usage("the interval must be positive");
            }
            List<String> pools = poolsOrAll(names);
            Map<String, Map<String, Object>> previous = new HashMap<>();
            int status = 0;
            for (long i = 0; i < count; i++) {
                if (i > 0) {
                    TimeUnit.MILLISECONDS.sleep(intervalMillis);
                }
                status = Math.max(status, report(pools, previous, i == 0 ? 0 : intervalMillis));
            }
            return status;
        }

        private int report(List<String> pools, Map<String, Map<String, Object>> previous, long overMillis) {
            List<String> headers = new ArrayList<>(List.of(verbose ? "POOL/VDEV" : "POOL", "ALLOC>", "FREE>",
                    "READ OPS>", "WRITE OPS>", "READ BW>", "WRITE BW>"));
            if (latency) {
                headers.addAll(List.of("READ WAIT>", "WRITE WAIT>", "FLUSH WAIT>"));
            }
            if (queues) {
                headers.addAll(List.of("QUEUED>", "ACTIVE>"));
            }
            Table table = new Table(headers.toArray(String[]::new));
            int status = eachPool(pools, "get the I/O statistics of", p -> {
                for (Map<String, Object> row : Values.rows(attribute(ObjectNames.pool(p), "IoStats"), "guid")) {
                    long depth = Values.number(row.get("depth"));
                    if (!verbose && depth > 0) {
                        continue;
                    }
                    String key = p + "/" + Values.string(row.get("guid"));
                    Map<String, Object> before = previous.put(key, row);
                    table.row(cells(row, overMillis > 0 ? before : null, overMillis, depth).toArray());
                }
            });
            if (!table.isEmpty()) {
                table.print(out(), scripted);
                out().flush();
            }
            return status;
        }

        private List<String> cells(Map<String, Object> row, Map<String, Object> before, long overMillis,
                                   long depth) {
            List<String> c = new ArrayList<>();
            c.add("  ".repeat((int) depth) + Values.string(row.get("name")));
            boolean hasSpace = depth <= 1 && Values.number(row.get("allocatedBytes"))
                    + Values.number(row.get("freeBytes")) > 0;
            c.add(hasSpace ? Sizes.bytes(Values.number(row.get("allocatedBytes")), exact) : "-");
            c.add(hasSpace ? Sizes.bytes(Values.number(row.get("freeBytes")), exact) : "-");
            double seconds = before == null ? 1 : overMillis / 1000.0;
            c.add(rate(row, before, "readOps", seconds, false));
            c.add(rate(row, before, "writeOps", seconds, false));
            c.add(rate(row, before, "readBytes", seconds, true));
            c.add(rate(row, before, "writeBytes", seconds, true));
            if (latency) {
                c.add(wait(row, before, "readNanos", "readOps"));
                c.add(wait(row, before, "writeNanos", "writeOps"));
                c.add(wait(row, before, "flushNanos", "flushOps"));
            }
            if (queues) {
                c.add(Long.toString(Values.number(row.get("queued"))));
                c.add(Long.toString(Values.number(row.get("active"))));
            }
            return c;
        }

        private static long delta(Map<String, Object> row, Map<String, Object> before, String key) {
            long now = Values.number(row.get(key));
            return before == null ? now : now - Values.number(before.get(key));
        }

        /** Per second over the interval; since import (totals) for the first report, as zpool iostat prints. */
        private String rate(Map<String, Object> row, Map<String, Object> before, String key, double seconds,
                            boolean bytes) {
            long d = delta(row, before, key);
            long v = before == null ? d : Math.round(d / seconds);
            return bytes ? Sizes.bytes(v, exact) : count(v);
        }

        private String count(long n) {
            if (exact || n < 1000) {
                return Long.toString(n);
            }
            return n < 1_000_000 ? String.format("%.1fK", n / 1000.0) : String.format("%.1fM", n / 1_000_000.0);
        }

        private String wait(Map<String, Object> row, Map<String, Object> before, String nanosKey, String opsKey) {
            long ops = delta(row, before, opsKey);
            if (ops <= 0) {
                return "-";
            }
            long avg = delta(row, before, nanosKey) / ops;
            if (exact) {
                return Long.toString(avg);
            }
            if (avg < 1_000) {
                return avg + "ns";
            }
            if (avg < 1_000_000) {
                return avg / 1_000 + "us";
            }
            return avg < 1_000_000_000 ? avg / 1_000_000 + "ms" : avg / 1_000_000_000 + "s";
        }
    }
}
