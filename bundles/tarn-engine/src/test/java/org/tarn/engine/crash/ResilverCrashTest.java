package org.tarn.engine.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.ScanStatus;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;

/**
 * A crash during a resilver: a child JVM resilvering a mirror side is
 * SIGKILLed; the next import resumes the resilver from the state the pool
 * recorded, and the side it completes serves every block on its own.
 */
class ResilverCrashTest {
    @TempDir
    Path dir;

    @Test
    void a_resilver_killed_with_its_process_resumes_at_the_next_import_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 2);
        TestPools.Drivers drivers = new TestPools.Drivers();
        List<Long> objects = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        Random rnd = new Random(11);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("tank", VdevLayout.parse("mirror " + d.get(0) + " " + d.get(1)), Map.of(),
                    false);
            pool.createDataset("a");
            pool.offline(d.get(1), false);
            try (Dataset ds = pool.openDataset("a")) {
                for (int i = 0; i < 12; i++) {
                    byte[] data = TestPools.randomBytes(rnd, 1 << 20).array();
                    try (Transaction tx = pool.begin()) {
                        long obj = ds.createObject(tx);
                        ds.write(tx, obj, 0, ByteBuffer.wrap(data));
                        objects.add(obj);
                        contents.add(data);
                    }
                }
            }
            engine.exportPool("tank", false);
        }

        Path stderr = dir.resolve("child.err");
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ResilverChild.class.getName(), d.get(0), d.get(1));
        pb.redirectError(stderr.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process child = pb.start();
        try {
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.US_ASCII))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        if (l.startsWith("RESILVERING")) {
                            return l;
                        }
                    }
                    return "EOF";
                } catch (java.io.IOException e) {
                    return "EOF " + e;
                }
            });
            String got = line.get(60, TimeUnit.SECONDS);
            assertThat(got).as("child said (stderr: %s)", Files.exists(stderr) ? Files.readString(stderr) : "")
                    .isEqualTo("RESILVERING resilver scanning");
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(child.isAlive()).isFalse();

        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.importPool("tank", ImportOptions.defaults().withDirs(List.of(dir.toString()))
                    .withForce(true));
            await().atMost(Duration.ofSeconds(60)).until(() -> !pool.vdevTree().missesTxgs());
            assertThat(pool.events()).filteredOn(e -> e.type().equals(PoolEvent.RESILVER_STARTED))
                    .extracting(PoolEvent::detail).anyMatch(x -> x.contains("resumed after import"));
            assertThat(pool.scanStatus().function()).isEqualTo(ScanStatus.RESILVER);
            assertThat(pool.scanStatus().state()).isEqualTo(ScanStatus.FINISHED);
            pool.offline(d.get(0), true);
            try (Dataset ds = pool.openDataset("a")) {
                for (int i = 0; i < objects.size(); i++) {
                    ByteBuffer b = ByteBuffer.allocate(contents.get(i).length);
                    ds.read(objects.get(i), 0, b);
                    assertThat(b.array()).as("object %d", objects.get(i)).isEqualTo(contents.get(i));
                }
            }
        }
    }
}
