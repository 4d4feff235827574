package org.tarn.ha.ocf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces joined by a veth pair, as two hosts on one wire:
 * each has its own loopback (so two servers listen on the same port, each
 * reached by its node's agent at {@code 127.0.0.1}) and one address on the
 * link ({@link #ADDRESS_A}, {@link #ADDRESS_B}). Nothing is addressed outside
 * the two namespaces. Closing deletes both, and with them the link.
 */
final class NetnsPair implements AutoCloseable {
    static final String ADDRESS_A = "10.213.0.1";
    static final String ADDRESS_B = "10.213.0.2";

    final String a;
    final String b;

    private NetnsPair(String a, String b) {
        this.a = a;
        this.b = b;
    }

    static NetnsPair create() throws IOException, InterruptedException {
        long id = ProcessHandle.current().pid() % 100_000;
        String a = "tarnha-" + id + "-a";
        String b = "tarnha-" + id + "-b";
        String vethA = "th" + id + "a";
        String vethB = "th" + id + "b";
        NetnsPair pair = new NetnsPair(a, b);
        try {
            ip("netns", "add", a);
            ip("netns", "add", b);
            ip("link", "add", vethA, "type", "veth", "peer", "name", vethB);
            ip("link", "set", vethA, "netns", a);
            ip("link", "set", vethB, "netns", b);
            for (String[] side : List.of(new String[] {a, vethA, ADDRESS_A}, new String[] {b, vethB, ADDRESS_B})) {
                ip("-n", side[0], "link", "set", "lo", "up");
                ip("-n", side[0], "addr", "add", side[2] + "/24", "dev", side[1]);
                ip("-n", side[0], "link", "set", side[1], "up");
            }
        } catch (IOException | RuntimeException | AssertionError e) {
            pair.close();
            throw e;
        }
        return pair;
    }

    static void ip(String... args) throws IOException, InterruptedException {
        String out = run(args);
        assertThat(out).as("ip %s", String.join(" ", args)).doesNotStartWith("FAILED");
    }

    private static String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            return "FAILED " + out;
        }
        return out;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("netns", "delete", a);
        run("netns", "delete", b);
    }
}
