package org.tarn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's bundle-list tool ({@code src/build/BundleList.java}, run as a
 * source file as the build runs it) on small poms of its own.
 */
class BundleListTest {
    private static final Path TOOL = Path.of("src/build/BundleList.java").toAbsolutePath();

    @TempDir
    Path dir;

    private Path pom(String dependencies, String items) throws IOException {
        return Files.writeString(dir.resolve("pom-" + System.nanoTime() + ".xml"), """
                <project><dependencies>%s</dependencies><build><plugins><plugin><executions>
                <execution><id>other</id><configuration><artifactItems><artifactItem><groupId>x</groupId>
                <artifactId>not-this</artifactId><version>1</version></artifactItem></artifactItems></configuration>
                </execution>
                <execution><id>server-bundles</id><configuration><artifactItems>%s</artifactItems></configuration>
                </execution></executions></plugin></plugins></build></project>
                """.formatted(dependencies, items));
    }

    private static String dep(String artifactId) {
        return "<dependency><groupId>org.tarn</groupId><artifactId>" + artifactId + "</artifactId></dependency>";
    }

    private static String item(String groupId, String artifactId, String version) {
        return "<artifactItem><groupId>" + groupId + "</groupId><artifactId>" + artifactId + "</artifactId><version>"
                + version + "</version></artifactItem>";
    }

    private record Run(int exit, String output) {
    }

    private static Run run(Object... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                TOOL.toString()));
        for (Object a : args) {
            cmd.add(a.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("BundleList finished").isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void list_writes_the_server_bundles_in_their_order_pos() throws Exception {
        Path pom = pom(dep("tarn-api") + dep("tarn-osgi"), item("org.ow2.asm", "asm", "${asm.version}")
                + item("org.tarn", "tarn-api", "${project.version}") + item("org.tarn", "tarn-osgi", "1.0"));
        Path out = dir.resolve("out/bundles.list");
        Run r = run("list", pom, out);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(Files.readAllLines(out).stream().filter(l -> !l.startsWith("#")))
                .containsExactly("org.ow2.asm:asm:${asm.version}", "org.tarn:tarn-api:${project.version}",
                        "org.tarn:tarn-osgi:1.0");
    }

    @Test
    void list_refuses_a_tarn_bundle_the_pom_does_not_depend_on_neg() throws Exception {
        Path pom = pom(dep("tarn-api"), item("org.tarn", "tarn-api", "1") + item("org.tarn", "tarn-console", "1"));
        Path out = dir.resolve("bundles.list");
        Run r = run("list", pom, out);
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("missing: [tarn-console]");
        assertThat(out).doesNotExist();
    }

    @Test
    void list_refuses_a_bundle_listed_twice_neg() throws Exception {
        Path pom = pom(dep("tarn-api"), item("org.tarn", "tarn-api", "1") + item("org.tarn", "tarn-api", "2"));
        Run r = run("list", pom, dir.resolve("bundles.list"));
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("tarn-api is listed twice");
    }

    @Test
    void feature_names_the_tarn_and_netty_bundles_but_those_excepted_pos() throws Exception {
        Path pom = pom(dep("tarn-api") + dep("tarn-metrics"), item("org.apache.felix", "org.apache.felix.scr", "2")
                + item("io.netty", "netty-common", "${netty.version}") + item("org.tarn", "tarn-api", "1")
                + item("org.tarn", "tarn-metrics", "1"));
        Path template = Files.writeString(dir.resolve("feature.xml"),
                "<features>\n    <feature name=\"tarn\">\n        <!-- @server-bundles@ -->\n    </feature>\n</features>\n");
        Path out = dir.resolve("gen/feature.xml");
        Run r = run("feature", pom, template, out, pom, "--except", "tarn-metrics");
        assertThat(r.exit()).as(r.output()).isZero();
        String feature = Files.readString(out);
        assertThat(feature).contains("        <bundle>mvn:io.netty/netty-common/${netty.version}</bundle>\n"
                + "        <bundle>mvn:org.tarn/tarn-api/1</bundle>\n").doesNotContain("scr", "tarn-metrics",
                "@server-bundles@");
    }

    @Test
    void feature_refuses_a_template_without_its_marker_neg() throws Exception {
        Path pom = pom(dep("tarn-api"), item("org.tarn", "tarn-api", "1"));
        Path template = Files.writeString(dir.resolve("feature.xml"), "<features/>\n");
        Run r = run("feature", pom, template, dir.resolve("out.xml"), pom);
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("needs exactly one line with @server-bundles@");
    }
}
