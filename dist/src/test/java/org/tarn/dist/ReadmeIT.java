package org.tarn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README as a script: every {@code ```sh} block a user would type runs,
 * in order, against the built distribution, from a clean directory laid out
 * like the tree ({@code dist/target/tarn} is the tar.gz unpacked), as a user
 * with two terminals would:
 * <ul>
 * <li>the first block (build and start the server) runs in the background,
 * "terminal 1"; the build part is this build, so {@code mvn ... install
 * -DskipTests} is a no-op there, and the test waits for
 * {@code Tarn server running} as the README says;</li>
 * <li>the second block ({@code mvn -B verify}) is what runs this test and is
 * not run again;</li>
 * <li>every other block runs in one shell, "terminal 2", with {@code set -e}:
 * each command must succeed, except lines whose comment starts with
 * {@code # refused}, which must fail;</li>
 * <li>blocks whose first line starts with {@code # not run} are skipped (the
 * comment says why: a GUI, a secured server, your application).</li>
 * </ul>
 * The README's fixed ports (8778, 9010, 8781, 8782, 8783) become free ports:
 * the unpacked {@code etc/tarn.properties} gets the first server's, and the
 * blocks' text is rewritten. At the end the first server gets SIGTERM and must
 * print what it exported.
 */
class ReadmeIT {
    private static final List<Integer> README_PORTS = List.of(8778, 9010, 8781, 8782, 8783, 9405);
    private static final Pattern FENCE = Pattern.compile("^( *)```(\\S*)\\s*$");
    private static final Pattern REFUSED = Pattern.compile("^(.*?\\S)\\s+# refused\\b.*$");

    @TempDir
    Path tree;

    /** A fenced block: its info string and its lines (indentation removed). */
    record Block(int line, String info, List<String> lines) {
        String text() {
            return String.join("\n", lines) + "\n";
        }
    }

    static List<Block> blocks(List<String> readme) {
        List<Block> out = new ArrayList<>();
        for (int i = 0; i < readme.size(); i++) {
            Matcher open = FENCE.matcher(readme.get(i));
            if (!open.matches()) {
                continue;
            }
            String indent = open.group(1);
            List<String> lines = new ArrayList<>();
            int start = i;
            for (i++; i < readme.size() && !readme.get(i).equals(indent + "```"); i++) {
                String l = readme.get(i);
                lines.add(l.startsWith(indent) ? l.substring(indent.length()) : l.strip());
            }
            out.add(new Block(start + 1, open.group(2), lines));
        }
        return out;
    }

    @Test
    void every_shell_block_of_the_readme_runs_in_order_pos() throws Exception {
        List<Block> sh = blocks(Files.readAllLines(Path.of(System.getProperty("tarn.readme")))).stream()
                .filter(b -> b.info().equals("sh")).toList();
        assertThat(sh.size()).isGreaterThan(6);
        Block first = sh.get(0);
        assertThat(first.text()).isEqualTo("mvn -B -q install -DskipTests && dist/target/tarn/bin/tarn-server\n");
        assertThat(sh.get(1).text()).isEqualTo("mvn -B verify\n");

        Map<Integer, Integer> ports = new LinkedHashMap<>();
        for (int p : README_PORTS) {
            ports.put(p, Distribution.freePort());
        }
        try (Distribution dist = Distribution.unpack(tree.resolve("dist/target"), "tarn")) {
            Files.writeString(dist.home.resolve("etc/tarn.properties"), "jolokia.port=" + ports.get(8778)
                    + "\njmx.port=" + ports.get(9010) + "\n", java.nio.file.StandardOpenOption.APPEND);
            String noBuild = "mvn() { case \" $* \" in *\" install \"*-DskipTests*) return 0 ;; *) echo \"ReadmeIT:"
                    + " mvn $* is not run here\" >&2; return 1 ;; esac; }\n";

            // terminal 1: the server
            Path serverLog = tree.resolve("terminal-1.log");
            Files.writeString(tree.resolve("terminal-1.sh"), "set -e\n" + noBuild + ports(first.text(), ports));
            Process server = dist.start(tree, serverLog, Map.of(), List.of("setsid", "bash", "terminal-1.sh"));
            Distribution.awaitLog(server, serverLog, "Tarn server running", Duration.ofSeconds(120));

            // terminal 2: everything else, in order
            StringBuilder script = new StringBuilder("set -e\n").append(noBuild)
                    .append("PS4='+ README: '\nset -x\n");
            List<Integer> ran = new ArrayList<>();
            for (Block b : sh.subList(2, sh.size())) {
                if (b.lines().get(0).startsWith("# not run")) {
                    continue;
                }
                ran.add(b.line());
                script.append("# README.md line ").append(b.line()).append('\n');
                for (String line : ports(b.text(), ports).split("\n")) {
                    Matcher refused = REFUSED.matcher(line);
                    script.append(refused.matches() ? "if " + refused.group(1) + "; then echo 'ReadmeIT: expected to"
                            + " be refused' >&2; exit 99; fi" : line).append('\n');
                }
            }
            // let the background jobs the README started (servers it stopped with kill) finish
            script.append("wait\n");
            Files.writeString(tree.resolve("terminal-2.sh"), script);
            Path log = tree.resolve("terminal-2.log");
            Process terminal = dist.start(tree, log, Map.of(), List.of("setsid", "bash", "terminal-2.sh"));
            boolean ended = terminal.waitFor(5, TimeUnit.MINUTES);
            keep(log);
            try {
                assertThat(ended).as("the README's commands did not end within 5 minutes:\n%s", tail(log)).isTrue();
                assertThat(terminal.exitValue()).as("README blocks at lines %s:\n%s", ran, tail(log)).isZero();
            } finally {
                killGroup(terminal.pid());
            }
            String out = Files.readString(log);
            // a few outputs the README promises
            assertThat(out).contains("ONLINE", "EXPORTED", "DESTROYED", "TARN-22", "before-the-fault",
                    "Tarn agent running");
            // the drill's stuck sync: force-exported, or suspended first when its I/O deadline passed before
            assertThat(out).containsPattern("cannot sync 'ost1': TARN-1[01] ");
            assertThat(Files.readString(tree.resolve("drill/A.log"))).contains("Tarn server stopped; exported [tank]");
            assertThat(Files.readString(tree.resolve("drill/B.log"))).contains("Tarn server stopped; exported [ost1]");

            // Ctrl-C or SIGTERM in terminal 1: the server exports its pools and says so
            ProcessHandle java = server.toHandle().descendants().filter(h -> h.info().command().orElse("")
                    .endsWith("java")).findFirst().orElseThrow();
            java.destroy();
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
            keep(serverLog);
            assertThat(Files.readString(serverLog)).contains("Tarn server stopped; exported [", "ost0", "tank");
            killGroup(server.pid());
        }
    }

    /** A copy of a terminal's log in target/readme-it (system property tarn.readme.logs), to read after a run. */
    private static void keep(Path log) throws IOException {
        String dir = System.getProperty("tarn.readme.logs");
        if (dir != null) {
            Files.createDirectories(Path.of(dir));
            Files.copy(log, Path.of(dir).resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String ports(String text, Map<Integer, Integer> ports) {
        for (Map.Entry<Integer, Integer> e : ports.entrySet()) {
            text = text.replaceAll("\\b" + e.getKey() + "\\b", Integer.toString(e.getValue()));
        }
        return text;
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    /** Ends what a terminal left running: its process group (setsid made the shell its leader). */
    private static void killGroup(long pgid) throws IOException, InterruptedException {
        for (String signal : List.of("-TERM", "-KILL")) {
            new ProcessBuilder("kill", signal, "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
    }
}
