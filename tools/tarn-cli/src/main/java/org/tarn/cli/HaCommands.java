package org.tarn.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.tarn.jmx.ObjectNames;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tarnctl ha}: the ZooKeeper HA cluster of a server that runs tarn-ha ({@code tarn:type=HaManager}). */
final class HaCommands {
    private HaCommands() {
    }

    @Command(mixinStandardHelpOptions = true, name = "ha",
            description = {"ZooKeeper HA (servers running tarn-ha):",
                "  ha status                 this server, the live servers and who owns which pool",
                "  ha manage POOL [OPTIONS]  puts POOL under HA (OPTIONS as import takes them, e.g. dir=/srv/d)",
                "  ha unmanage POOL          takes POOL out of HA; its owner keeps it imported",
                "  ha move POOL SERVER       clean export on the owner, import on SERVER; waits until it serves"})
    static final class Ha extends Commands.Base {
        @Parameters(index = "0", paramLabel = "ACTION", description = "status, manage, unmanage or move")
        String action;

        @Parameters(index = "1..*", paramLabel = "ARG", description = "the action's arguments")
        List<String> args = new ArrayList<>();

        @Option(names = "--timeout", paramLabel = "SECONDS", description = "how long a move may take (default 60)")
        long timeoutSeconds = 60;

        @Option(names = "-H", description = "scripted mode: no header, fields separated by one tab")
        boolean scripted;

        @Override
        public Integer call() {
            switch (action) {
                case "status" -> {
                    arity(0, 0);
                    status();
                }
                case "manage" -> {
                    arity(1, 2);
                    cannot("manage '" + args.get(0) + "'", () -> backend().exec(ObjectNames.haManager(), "manage",
                            args.get(0), args.size() > 1 ? args.get(1) : ""));
                }
                case "unmanage" -> {
                    arity(1, 1);
                    cannot("unmanage '" + args.get(0) + "'", () -> backend().exec(ObjectNames.haManager(),
                            "unmanage", args.get(0)));
                }
                case "move" -> {
                    arity(2, 2);
                    if (timeoutSeconds < 1 || timeoutSeconds > 600) {
                        throw usage("--timeout takes 1 to 600 seconds");
                    }
                    Object owner = cannot("move '" + args.get(0) + "' to '" + args.get(1) + "'", () -> backend()
                            .exec(ObjectNames.haManager(), "movePool", args.get(0), args.get(1),
                                    timeoutSeconds * 1000));
                    out().println(args.get(0) + " now served by " + Values.string(owner));
                    out().flush();
                }
                default -> throw usage("unknown ha action '" + action + "'; use status, manage, unmanage or move");
            }
            return 0;
        }

        private void arity(int min, int max) {
            if (args.size() < min || args.size() > max) {
                throw usage("ha " + action + " takes " + (min == max ? Integer.toString(min) : min + " to " + max)
                        + " argument(s), got " + args.size());
            }
        }

        private void status() {
            String me = Values.string(cannot("read the HA state", () -> attribute(ObjectNames.haManager(),
                    "ServerId")));
            boolean connected = Values.bool(attribute(ObjectNames.haManager(), "Connected"));
            if (!scripted) {
                out().println("server " + me + (connected ? ", connected to " : ", NOT connected to ")
                        + Values.string(attribute(ObjectNames.haManager(), "ConnectString")));
                out().println();
            }
            Table servers = new Table("SERVER", "HOSTID", "HOSTNAME", "POOLS");
            List<Map<String, Object>> rows = new ArrayList<>(Values.rows(attribute(ObjectNames.haManager(),
                    "Servers"), "id"));
            rows.sort((a, b) -> Values.string(a.get("id")).compareTo(Values.string(b.get("id"))));
            for (Map<String, Object> r : rows) {
                servers.row(r.get("id"), r.get("hostId"), r.get("hostname"), Values.number(r.get("leases")));
            }
            servers.print(out(), scripted);
            if (!scripted) {
                out().println();
            }
            Table pools = new Table("POOL", "OWNER", "MOVING-TO", "OPTIONS", "LAST-ERROR");
            rows = new ArrayList<>(Values.rows(attribute(ObjectNames.haManager(), "Pools"), "pool"));
            rows.sort((a, b) -> Values.string(a.get("pool")).compareTo(Values.string(b.get("pool"))));
            for (Map<String, Object> r : rows) {
                pools.row(r.get("pool"), dash(r.get("owner")), dash(r.get("moveTarget")), dash(r.get("importOptions")),
                        dash(r.get("lastError")));
            }
            pools.print(out(), scripted);
            out().flush();
        }

        private static String dash(Object v) {
            String s = Values.string(v);
            return s.isEmpty() ? "-" : s;
        }
    }
}
