package org.tarn.cli;

import org.tarn.jmx.ObjectNames;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tarnctl inject}: device faults through {@code tarn:type=FaultInjection}, for failover drills. */
final class FaultCommands {
    private FaultCommands() {
    }

    @Command(mixinStandardHelpOptions = true, name = "inject",
            description = {"Injects device faults on fault: devices of a server started with fault.injection=true",
                "(for failover drills; DEVICE with or without the fault: prefix):",
                "  inject hang-writes DEVICE   later writes never return, like a hung disk",
                "  inject fail-writes DEVICE   later writes fail with an I/O error",
                "  inject fail-reads DEVICE    later reads fail with an I/O error",
                "  inject no-space DEVICE      later writes fail with ENOSPC",
                "  inject delay DEVICE MILLIS  every later I/O takes MILLIS longer",
                "  inject clear DEVICE         removes the device's faults and releases its hung I/O",
                "  inject hung DEVICE          prints how many I/O calls are hung on the device"})
    static final class Inject extends Commands.Base {
        @Parameters(index = "0", paramLabel = "ACTION",
                description = "hang-writes, fail-writes, fail-reads, no-space, delay, clear or hung")
        String action;

        @Parameters(index = "1", paramLabel = "DEVICE", description = "the device path")
        String device;

        @Parameters(index = "2", arity = "0..1", paramLabel = "MILLIS", description = "the added latency (delay only)")
        Long millis;

        @Override
        public Integer call() {
            String operation = switch (action) {
                case "hang-writes" -> "hangWrites";
                case "fail-writes" -> "failWrites";
                case "fail-reads" -> "failReads";
                case "no-space" -> "noSpace";
                case "delay" -> "delayIo";
                case "clear" -> "clear";
                case "hung" -> "hungIo";
                default -> throw usage("unknown inject action '" + action
                        + "'; use hang-writes, fail-writes, fail-reads, no-space, delay, clear or hung");
            };
            if (operation.equals("delayIo") != (millis != null)) {
                throw usage(millis == null ? "inject delay needs MILLIS" : "MILLIS goes with inject delay only");
            }
            Object result = cannot("inject '" + action + "' on '" + device + "'", () -> millis == null
                    ? backend().exec(ObjectNames.faultInjection(), operation, device)
                    : backend().exec(ObjectNames.faultInjection(), operation, device, millis));
            if (operation.equals("hungIo")) {
                out().println(Values.number(result));
                out().flush();
            }
            return 0;
        }
    }
}
