package org.tarn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine demo ({@code mvn -f dist/pom.xml exec:java}) runs to its end and verifies what it wrote. */
class DemoTest {
    @TempDir
    Path dir;

    @Test
    void demo_writes_exports_reopens_and_verifies_pos() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Demo.main(new String[] {dir.resolve("demo").toString()});
        } finally {
            System.setOut(saved);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("created pool 'demo'", "exported pool 'demo'", "reopened pool 'demo'",
                "verified 8 objects: every byte matches", "labels of " + dir.resolve("demo").resolve("d0"));
    }
}
