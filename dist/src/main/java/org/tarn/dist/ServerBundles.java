package org.tarn.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The server's bundles as {@code bundles.list} (next to this class in the
 * tarn-dist jar) names them, in install and start order. The build writes
 * that file from the one bundle list, {@code dist/pom.xml}'s execution
 * {@code server-bundles}, and copies each jar next to it as
 * {@code bundles/<artifactId>.jar}. The server installs them from there; the
 * Pax Exam and Karaf tests read the same list and jars.
 */
public final class ServerBundles {
    /** The list's resource name, relative to this class. */
    public static final String LIST = "bundles.list";

    /** One bundle: its Maven coordinates. */
    public record Bundle(String groupId, String artifactId, String version) {
        /** The jar's resource name, relative to this class. */
        public String resource() {
            return "bundles/" + artifactId + ".jar";
        }
    }

    private ServerBundles() {
    }

    /** The bundles of this jar's {@code bundles.list}, in order. */
    public static List<Bundle> list() throws IOException {
        try (InputStream in = ServerBundles.class.getResourceAsStream(LIST)) {
            if (in == null) {
                throw new IllegalStateException(LIST + " is missing next to " + ServerBundles.class.getName()
                        + "; build dist with mvn install (it writes it)");
            }
            return parse(in);
        }
    }

    /**
     * Parses a {@code bundles.list}: one {@code groupId:artifactId:version} a
     * line, {@code #} comments and blank lines skipped.
     */
    public static List<Bundle> parse(InputStream in) throws IOException {
        List<Bundle> out = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        int n = 0;
        for (String line = r.readLine(); line != null; line = r.readLine()) {
            n++;
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) {
                continue;
            }
            String[] gav = s.split(":");
            if (gav.length != 3 || gav[2].startsWith("${")) {
                throw new IllegalStateException(LIST + " line " + n + ": expected groupId:artifactId:version, got '"
                        + s + "'");
            }
            out.add(new Bundle(gav[0], gav[1], gav[2]));
        }
        return out;
    }
}
