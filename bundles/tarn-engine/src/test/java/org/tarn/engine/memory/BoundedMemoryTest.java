package org.tarn.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN.md, resource bounds: memory is bounded by configuration, never by
 * pool size or by the amount written. A child JVM with a 256 MiB heap creates
 * a pool of 64 devices, writes 384 MiB through it (more than its heap) in
 * 1 MiB transactions, exports it, opens it again and reads every byte back.
 */
class BoundedMemoryTest {
    private static final int WRITE_MIB = 384;

    @TempDir
    Path dir;

    @Test
    void sixty_four_devices_and_more_data_than_heap_in_a_256_MiB_heap_pos() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path err = dir.resolve("child-stderr.log");
        Process child = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                SixtyFourDevices.class.getName(), dir.resolve("devices").toString(), Integer.toString(WRITE_MIB)))
                .redirectError(err.toFile()).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(240, TimeUnit.SECONDS)).as("child finished").isTrue();
        String stderr = Files.readString(err);
        assertThat(child.exitValue()).as("child exit; stdout %s; stderr %s", out, stderr).isZero();
        assertThat(out).startsWith("OK " + (long) WRITE_MIB * SixtyFourDevices.CHUNK + " ");
        assertThat(stderr).doesNotContain("OutOfMemoryError");
    }
}
