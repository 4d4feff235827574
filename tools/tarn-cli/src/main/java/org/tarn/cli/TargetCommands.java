package org.tarn.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.tarn.jmx.ObjectNames;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The storage target subcommands of {@link TarnCtl}: {@code targets} and {@code target}. */
final class TargetCommands {
    private TargetCommands() {
    }

    @Command(mixinStandardHelpOptions = true, name = "targets",
            description = "Lists storage targets (MDT/OST) with their state, transaction numbers and recovery.")
    static final class ListTargets extends Commands.Base {
        @Option(names = "-H", description = "scripted mode: no header, fields separated by one tab")
        boolean scripted;

        @Parameters(paramLabel = "POOL", description = "pools whose targets to list (default: all)")
        List<String> pools = new ArrayList<>();

        @Override
        public Integer call() {
            Object table = cannot("list targets", () -> attribute(ObjectNames.targetManager(), "Targets"));
            List<Map<String, Object>> rows = new ArrayList<>(Values.rows(table, "target"));
            rows.sort((a, b) -> Values.string(a.get("target")).compareTo(Values.string(b.get("target"))));
            Table t = new Table("POOL", "NAME", "ROLE", "STATE", "TRANSNO>", "COMMITTED>", "RECOVERY");
            for (Map<String, Object> r : rows) {
                String pool = Values.string(r.get("pool"));
                if (!pools.isEmpty() && !pools.contains(pool)) {
                    continue;
                }
                t.row(pool, r.get("name"), r.get("role"), r.get("state"), Values.number(r.get("lastTransno")),
                        Values.number(r.get("lastCommitted")), r.get("recovery"));
            }
            if (t.isEmpty() && !scripted) {
                out().println("no targets" + (pools.isEmpty() ? "" : " in " + String.join(", ", pools)));
                out().flush();
                return 0;
            }
            t.print(out(), scripted);
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "target",
            description = {"Manages one storage target:",
                "  target create POOL NAME ROLE    creates a target (ROLE is MDT or OST) and mounts it",
                "  target status POOL NAME         prints its state, transaction numbers and recovery",
                "  target abort-recovery POOL NAME ends its recovery window, evicting missing clients"})
    static final class TargetCmd extends Commands.Base {
        @Parameters(index = "0", paramLabel = "ACTION", description = "create, status or abort-recovery")
        String action;

        @Parameters(index = "1", paramLabel = "POOL", description = "the pool")
        String pool;

        @Parameters(index = "2", paramLabel = "NAME", description = "the target's name")
        String name;

        @Parameters(index = "3", arity = "0..1", paramLabel = "ROLE", description = "MDT or OST (create only)")
        String role;

        @Override
        public Integer call() {
            String what = "'" + pool + "/" + name + "'";
            switch (action) {
                case "create" -> {
                    if (role == null) {
                        throw usage("target create needs a ROLE: MDT or OST");
                    }
                    cannot("create target " + what, () -> backend().exec(ObjectNames.targetManager(),
                            "createTarget", pool, name, role));
                }
                case "status" -> {
                    noRole();
                    out().print(Values.string(cannot("get the status of target " + what,
                            () -> backend().exec(ObjectNames.target(pool, name), "status"))));
                    out().flush();
                }
                case "abort-recovery" -> {
                    noRole();
                    out().println(Values.string(cannot("abort the recovery of target " + what,
                            () -> backend().exec(ObjectNames.target(pool, name), "abortRecovery"))));
                    out().flush();
                }
                default -> throw usage("unknown target action '" + action + "'; use create, status or abort-recovery");
            }
            return 0;
        }

        private void noRole() {
            if (role != null) {
                throw usage("unexpected argument '" + role + "' after " + action + " POOL NAME");
            }
        }
    }
}
