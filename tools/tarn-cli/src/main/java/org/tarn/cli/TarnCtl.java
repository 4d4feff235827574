package org.tarn.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tarnctl}: manages the pools of a Tarn engine the way {@code zpool}
 * manages ZFS pools. Exit status 0 on success, 1 on an error (one line on
 * stderr), 2 on bad usage.
 */
@Command(name = "tarnctl", mixinStandardHelpOptions = true, versionProvider = TarnCtl.Version.class,
        description = "Manages the pools of a Tarn engine over Jolokia (default " + JolokiaBackend.DEFAULT_URL
                + "), JMX or local attach.",
        subcommands = {
            Commands.Create.class, Commands.ListCmd.class, Commands.Status.class, Commands.Import.class,
            Commands.Export.class, Commands.Destroy.class, Commands.Clear.class, Commands.Get.class, Commands.SetCmd.class,
            Commands.Events.class, Commands.Sync.class, Commands.Label.class,
            TargetCommands.ListTargets.class, TargetCommands.TargetCmd.class, FaultCommands.Inject.class,
            LoadCommand.class,
            HaCommands.Ha.class,
            DeviceCommands.Scrub.class, DeviceCommands.Resilver.class, DeviceCommands.Attach.class,
            DeviceCommands.Detach.class, DeviceCommands.Replace.class, DeviceCommands.Online.class,
            DeviceCommands.Offline.class, DeviceCommands.Add.class, DeviceCommands.IoStat.class,
            DeviceCommands.History.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Exit status: 0 success, 1 error, 2 usage error."})
public final class TarnCtl implements Callable<Integer> {
    /** Exit status of a failed command. */
    public static final int EXIT_ERROR = 1;
    /** Exit status of bad usage. */
    public static final int EXIT_USAGE = 2;
    /** Environment variable with the default Jolokia URL (bin/tarnctl sets it from etc/tarn.properties). */
    public static final String JOLOKIA_ENV = "TARN_JOLOKIA";
    /**
     * Subcommand options that may also be written before the subcommand,
     * as with {@code zpool}'s habits: {@code tarnctl -H list}.
     */
    static final java.util.Set<String> LEADING_SUBCOMMAND_FLAGS = java.util.Set.of("-H", "-p", "-Hp", "-pH");

    // Global options: scope INHERIT makes picocli accept them before or after the subcommand
    // (tarnctl --jolokia URL list, tarnctl list --jolokia URL). How to reach the engine: at most one of
    // --jolokia, --jmx, --pid (checked in backend(): picocli argument groups cannot be inherited).
    @Option(names = "--jolokia", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Jolokia agent URL (default $" + JOLOKIA_ENV + ", else " + JolokiaBackend.DEFAULT_URL + ")")
    String jolokia;

    @Option(names = "--jmx", paramLabel = "SERVICE_URL", scope = ScopeType.INHERIT,
            description = "JMX service URL, e.g. service:jmx:rmi:///jndi/rmi://127.0.0.1:9010/jmxrmi, "
                    + "or HOST:PORT of an RMI registry")
    String jmx;

    @Option(names = "--pid", paramLabel = "PID", scope = ScopeType.INHERIT,
            description = "attach to the local JVM with this process id")
    String pid;

    @Option(names = "--user", paramLabel = "USER", scope = ScopeType.INHERIT,
            description = "authenticate as USER (JMX password file user, "
            + "Jolokia basic authentication); the password comes from --password-file or $"
            + ClientSecurity.PASSWORD_ENV + ", never from the command line")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "file whose first line is the password of --user")
    java.nio.file.Path passwordFile;

    @Option(names = "--tls", scope = ScopeType.INHERIT,
            description = "JMX over TLS (RMI registry and connector), for a server with jmx.ssl=true")
    boolean tls;

    @Option(names = "--truststore", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "keystore with the server certificates to "
            + "trust (JMX over TLS, https Jolokia); implies --tls; its password, if any, from $"
            + ClientSecurity.TRUSTSTORE_PASSWORD_ENV + ". Default: the JDK's (javax.net.ssl.trustStore)")
    java.nio.file.Path truststore;

    @Spec
    CommandSpec spec;

    private final Backend fixed;
    private final Map<String, String> env;
    private Backend backend;

    /**
     * @param fixed the backend to use whatever the options say (tests); null to connect per the options
     * @param env the environment ({@code TARN_PASSWORD}, {@code TARN_TRUSTSTORE_PASSWORD})
     */
    TarnCtl(Backend fixed, Map<String, String> env) {
        this.fixed = fixed;
        this.env = env;
    }

    /**
     * Runs tarnctl.
     *
     * @param backend null to connect as the options say, else the backend every command uses
     * @return the exit status
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Backend backend) {
        return run(args, out, err, backend, System.getenv());
    }

    /** As {@link #run(String[], PrintWriter, PrintWriter, Backend)}, with the environment given. */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Backend backend, Map<String, String> env) {
        TarnCtl app = new TarnCtl(backend, env);
        CommandLine cl = new CommandLine(app);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, rest) -> {
            CommandLine failed = ex.getCommandLine();
            err.println(failed.getCommandName() + ": " + CliException.clean(ex.getMessage()));
            err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for usage.");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, failed, parsed) -> {
            String message = ex instanceof CliException ? ex.getMessage() : CliException.clean(ex.toString());
            err.println(message);
            err.flush();
            return EXIT_ERROR;
        });
        try {
            return cl.execute(subcommandFlagsAfterSubcommand(args, cl));
        } finally {
            out.flush();
            err.flush();
            app.closeBackend();
        }
    }

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("tarnctl: missing command");
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** The backend, connected on first use. */
    Backend backend() {
        int given = (jolokia != null ? 1 : 0) + (jmx != null ? 1 : 0) + (pid != null ? 1 : 0);
        if (given > 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--jolokia, --jmx and --pid are mutually exclusive: give one");
        }
        if (fixed != null) {
            return fixed;
        }
        if (backend == null) {
            ClientSecurity security = ClientSecurity.of(user, passwordFile, tls, truststore, env);
            if (jmx != null) {
                backend = JmxBackend.connect(jmx, security);
            } else if (pid != null) {
                backend = JmxBackend.attach(pid);
            } else {
                String url = jolokia != null ? jolokia : env.getOrDefault(JOLOKIA_ENV, "").isBlank()
                        ? JolokiaBackend.DEFAULT_URL : env.get(JOLOKIA_ENV).strip();
                backend = new JolokiaBackend(url, security);
            }
        }
        return backend;
    }

    /**
     * {@code tarnctl -H list} as {@code tarnctl list -H}: the subcommand
     * flags of {@link #LEADING_SUBCOMMAND_FLAGS} written before the
     * subcommand move right after it (the subcommand then accepts or refuses
     * them as usual). Global options stay where they are: they are inherited
     * by every subcommand.
     */
    static String[] subcommandFlagsAfterSubcommand(String[] args, CommandLine cl) {
        List<String> moved = new ArrayList<>();
        List<String> out = new ArrayList<>();
        int i = 0;
        for (; i < args.length; i++) {
            String a = args[i];
            if (cl.getSubcommands().containsKey(a)) {
                break;
            }
            if (LEADING_SUBCOMMAND_FLAGS.contains(a)) {
                moved.add(a);
                continue;
            }
            out.add(a);
            CommandLine.Model.OptionSpec o = a.startsWith("-") && !a.contains("=")
                    ? cl.getCommandSpec().findOption(a) : null;
            if (o != null && o.arity().max() > 0 && i + 1 < args.length) {
                out.add(args[++i]);
            }
        }
        if (i >= args.length) {
            // no subcommand: leave the arguments as they were, so the usage error names what was given
            return args;
        }
        out.add(args[i]);
        out.addAll(moved);
        out.addAll(Arrays.asList(args).subList(i + 1, args.length));
        return out.toArray(String[]::new);
    }

    private void closeBackend() {
        if (backend != null) {
            backend.close();
            backend = null;
        }
    }

    /** The version from the jar manifest, if any. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = TarnCtl.class.getPackage().getImplementationVersion();
            return new String[] {"tarnctl " + (v == null ? "(development build)" : v)};
        }
    }
}
