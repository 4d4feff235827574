package org.tarn.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.engine.EngineDefaults;

/**
 * The block cache's budget holds (issue 14): a child JVM with a 64 MiB heap
 * writes 96 MiB into each of two pools and reads it all back twice (six
 * times its heap in all). Its cache, at the default budget for that heap,
 * stays within the budget, is really used (near full, with hits and
 * evictions) and the JVM never runs out of memory.
 */
class CacheBudgetTest {
    private static final int MIB_PER_POOL = 96;

    @TempDir
    Path dir;

    @Test
    void default_budget_holds_in_a_64_MiB_heap_with_two_pools_pos() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path err = dir.resolve("child-stderr.log");
        Process child = new ProcessBuilder(List.of(java, "-Xmx64m", "-XX:+UseSerialGC",
                "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                CacheBudgetChild.class.getName(), dir.resolve("devices").toString(),
                Integer.toString(MIB_PER_POOL)))
                .redirectError(err.toFile()).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(240, TimeUnit.SECONDS)).as("child finished").isTrue();
        String stderr = Files.readString(err);
        assertThat(child.exitValue()).as("child exit; stdout %s; stderr %s", out, stderr).isZero();
        assertThat(stderr).doesNotContain("OutOfMemoryError");
        assertThat(out).startsWith("OK ");
        String[] f = out.trim().split(" ");
        long maxHeap = Long.parseLong(f[1]);
        long budget = Long.parseLong(f[2]);
        long size = Long.parseLong(f[3]);
        long hits = Long.parseLong(f[4]);
        long evictions = Long.parseLong(f[5]);
        assertThat(budget).isEqualTo(EngineDefaults.blockCacheBytes(maxHeap)).isEqualTo(16L << 20);
        assertThat(size).isLessThanOrEqualTo(budget).isGreaterThan(budget / 2);
        assertThat(hits).isPositive();
        assertThat(evictions).isPositive();
    }
}
