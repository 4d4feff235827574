package org.tarn.engine.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.ImportablePool;
import org.tarn.api.Pool;
import org.tarn.api.PoolState;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.engine.Engine;

/**
 * Failover between two JVMs on one machine, each with its own state
 * directory and so its own host id: a child process ({@link PoolHolder})
 * holds a pool with synced and unsynced data and then either force-exports it
 * while its devices hang, or dies by SIGKILL. This JVM, the other host, then
 * finds the pool ACTIVE under the child's host id, is refused without force,
 * and with force imports it at the child's last synced txg with that txg's data.
 */
class CrossProcessImportTest {
    private static final String POOL = "ost1";
    private static final Duration CHILD_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    @Test
    void import_after_child_force_exported_with_hung_devices_pos() throws Exception {
        Path devDir = Files.createDirectories(tmp.resolve("devices"));
        List<String> devices = TestPools.devices(devDir, 2);
        long seed = 11;
        ChildHost child = ChildHost.start(tmp, POOL, seed, devices);
        try (Engine engine = parentEngine()) {
            String[] host = child.awaitLine("HOST ").split(" ");
            String childHostHex = host[1];
            String childHostname = host[2];
            assertThat(childHostHex).isNotEqualTo(String.format("%08x", engine.hostId()));
            String[] synced = child.awaitLine("SYNCED ").split(" ");
            long syncedTxg = Long.parseLong(synced[1]);
            long obj = Long.parseLong(synced[2]);
            long unsyncedObj = Long.parseLong(child.awaitLine("UNSYNCED ").split(" ")[1]);
            child.awaitLine("DIRTY ");

            child.send("hang");
            assertThat(Integer.parseInt(child.awaitLine("HUNG ").split(" ")[1]))
                    .as("writes hung in the child; %s", child).isPositive();
            long forceMillis = Long.parseLong(child.awaitLine("FORCE_EXPORTED ").split(" ")[1]);
            assertThat(forceMillis).as("force export with hung devices took %d ms", forceMillis).isLessThan(1000);
            assertThat(child.awaitLine("SYNC_FAILED ")).isEqualTo("SYNC_FAILED " + ErrorCode.POOL_EXPORTED);
            assertThat(child.awaitLine("WRITER_STOPPED ")).isEqualTo("WRITER_STOPPED " + ErrorCode.POOL_EXPORTED);
            assertThat(child.process.isAlive()).as("the child survives its force export").isTrue();

            assertTakeover(engine, devDir, childHostHex, childHostname, syncedTxg, obj, unsyncedObj, seed);
        } finally {
            child.kill();
        }
    }

    @Test
    void import_after_child_killed_with_sigkill_pos() throws Exception {
        Path devDir = Files.createDirectories(tmp.resolve("devices"));
        List<String> devices = TestPools.devices(devDir, 2);
        long seed = 12;
        ChildHost child = ChildHost.start(tmp, POOL, seed, devices);
        try (Engine engine = parentEngine()) {
            String[] host = child.awaitLine("HOST ").split(" ");
            String[] synced = child.awaitLine("SYNCED ").split(" ");
            long syncedTxg = Long.parseLong(synced[1]);
            long obj = Long.parseLong(synced[2]);
            long unsyncedObj = Long.parseLong(child.awaitLine("UNSYNCED ").split(" ")[1]);
            child.awaitLine("DIRTY ");

            // while the child lives and writes, its pool is not ours to take
            assertThatThrownBy(() -> engine.importPool(POOL, ImportOptions.parse("dir=" + devDir)))
                    .isInstanceOf(TarnException.class)
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE);

            child.process.destroyForcibly();
            assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).as("child died").isTrue();

            assertTakeover(engine, devDir, host[1], host[2], syncedTxg, obj, unsyncedObj, seed);
        } finally {
            child.kill();
        }
    }

    @Test
    void import_without_force_is_refused_while_child_holds_the_pool_neg() throws Exception {
        Path devDir = Files.createDirectories(tmp.resolve("devices"));
        List<String> devices = TestPools.devices(devDir, 2);
        ChildHost child = ChildHost.start(tmp, POOL, 13, devices);
        try (Engine engine = parentEngine()) {
            String hostHex = child.awaitLine("HOST ").split(" ")[1];
            child.awaitLine("SYNCED ");
            assertThatThrownBy(() -> engine.importPool(POOL, ImportOptions.parse("dir=" + devDir)))
                    .isInstanceOf(TarnException.class)
                    .hasMessageContaining(POOL).hasMessageContaining(hostHex).hasMessageContaining("force")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE);
            // refused by GUID too: the check is on the pool, not on how it is named
            ImportablePool found = onlyPool(engine.scan(List.of(devDir.toString())));
            assertThatThrownBy(() -> engine.importPool("0x" + Long.toHexString(found.guid()),
                    ImportOptions.parse("dir=" + devDir)))
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE);
            assertThat(engine.pools()).isEmpty();
            assertThat(child.process.isAlive()).isTrue();
        } finally {
            child.kill();
        }
    }

    /** The second host's view and takeover of the child's pool. */
    private void assertTakeover(Engine engine, Path devDir, String childHostHex, String childHostname,
                                long syncedTxg, long obj, long unsyncedObj, long seed) {
        ImportablePool found = onlyPool(engine.scan(List.of(devDir.toString())));
        assertThat(found.name()).isEqualTo(POOL);
        assertThat(found.state()).isEqualTo("ACTIVE");
        assertThat(String.format("%08x", found.hostId())).isEqualTo(childHostHex);
        assertThat(found.hostname()).isEqualTo(childHostname);
        assertThat(found.importable()).isTrue();
        assertThat(found.txg()).as("newest txg on disk").isEqualTo(syncedTxg);
        assertThat(found.problems()).anySatisfy(p -> assertThat(p)
                .contains("in use by host " + childHostname).contains(childHostHex).contains("force"));

        assertThatThrownBy(() -> engine.importPool(POOL, ImportOptions.parse("dir=" + devDir)))
                .isInstanceOf(TarnException.class)
                .hasMessageContaining(childHostHex)
                .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE);
        assertThat(engine.pools()).isEmpty();

        Pool pool = engine.importPool(POOL, ImportOptions.parse("force=true,dir=" + devDir));
        assertThat(pool.state()).isEqualTo(PoolState.ACTIVE);
        // nothing synced after the child reported its txg (its txg timeout and dirty limits forbid it), so
        // the pool is loaded at exactly that txg; the import may sync one more to claim the labels
        assertThat(pool.events()).filteredOn(e -> e.type().equals("imported")).singleElement()
                .satisfies(e -> assertThat(e.detail()).isEqualTo("at txg " + syncedTxg));
        assertThat(pool.syncedTxg()).as("synced txg after the import").isBetween(syncedTxg, syncedTxg + 1);
        try (Dataset ds = pool.openDataset(PoolHolder.DATASET)) {
            assertThat(ds.objects()).as("only the synced object; %d was never synced", unsyncedObj)
                    .containsExactly(obj);
            byte[] expected = PoolHolder.syncedData(seed);
            ByteBuffer back = ByteBuffer.allocate(expected.length);
            assertThat(ds.size(obj)).isEqualTo(expected.length);
            assertThat(ds.read(obj, 0, back)).isEqualTo(expected.length);
            assertThat(back.array()).as("the synced data, not the unsynced overwrites").isEqualTo(expected);
            // the pool is ours now: it takes writes and exports cleanly under our host id
            try (Transaction tx = pool.begin()) {
                ds.write(tx, obj, 0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            }
        }
        pool.sync();
        assertThat(pool.syncedTxg()).isGreaterThan(syncedTxg);
        engine.exportPool(POOL, false);
        ImportablePool after = onlyPool(engine.scan(List.of(devDir.toString())));
        assertThat(after.state()).isEqualTo("EXPORTED");
        assertThat(after.hostId()).isEqualTo(engine.hostId());
        assertThat(after.problems()).isEmpty();
    }

    private static ImportablePool onlyPool(ImportScan scan) {
        assertThat(scan.pools()).as("pools found; skipped %s", scan.skipped()).hasSize(1);
        return scan.pools().get(0);
    }

    private Engine parentEngine() {
        return TarnEngine.start(EngineSettings.persistent(tmp.resolve("parent-state")).withIoTimeoutMillis(10_000),
                drivers.list());
    }

    /** The child JVM, its stdout as lines and its stderr in a file. */
    static final class ChildHost {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();
        final Path log;
        private final Writer stdin;

        private ChildHost(Process process, Path log) {
            this.process = process;
            this.log = log;
            this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("(stdout closed: " + e + ")");
                }
            }, "child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        static ChildHost start(Path tmp, String pool, long seed, List<String> devices) throws IOException {
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), PoolHolder.class.getName(),
                    tmp.resolve("child-state").toString(), pool, Long.toString(seed)));
            cmd.addAll(devices);
            Path log = tmp.resolve("child-stderr.log");
            Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
            return new ChildHost(p, log);
        }

        /** Waits for the first line starting with {@code prefix}; fails at once if the child dies. */
        String awaitLine(String prefix) {
            try {
                await().atMost(CHILD_WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
                    if (find(prefix).isPresent()) {
                        return true;
                    }
                    if (!process.isAlive()) {
                        throw new AssertionError("child exited (" + process.exitValue() + ") before printing '"
                                + prefix + "'; " + this);
                    }
                    return false;
                });
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("child did not print '" + prefix + "' within " + CHILD_WAIT + "; " + this,
                        e);
            }
            return find(prefix).orElseThrow();
        }

        private Optional<String> find(String prefix) {
            return lines.stream().filter(l -> l.startsWith(prefix)).findFirst();
        }

        void send(String command) throws IOException {
            stdin.write(command + "\n");
            stdin.flush();
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        @Override
        public String toString() {
            String err;
            try {
                List<String> all = Files.readAllLines(log);
                err = String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
            } catch (IOException e) {
                err = "(no stderr: " + e + ")";
            }
            return "child stdout " + lines + "\nchild stderr (tail):\n" + err;
        }
    }
}
