package org.tarn.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.target.protocol.TargetOp;
import org.tarn.vdev.fault.FaultRule;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/** Many requests at a time: numbers follow the order changes were applied; a blocked begin() locks nothing. */
class ConcurrencyTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void concurrent_requests_get_gapless_transnos_in_the_order_they_were_applied_pos() throws Exception {
        int clients = 6;
        int each = 150;
        try (TargetFixture fx = new TargetFixture(dir, 60_000)) {
            fx.createPool("tank");
            Target t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
            for (int c = 0; c < clients; c++) {
                t.connect("c" + c);
            }
            long log = TargetFixture.id(t.execute("c0", TargetFixture.createLog()));
            Map<Long, String> byTransno = new ConcurrentHashMap<>();
            AtomicBoolean done = new AtomicBoolean();
            // syncs meanwhile, so requests straddle transaction group boundaries
            CompletableFuture<Void> syncs = CompletableFuture.runAsync(() -> {
                while (!done.get()) {
                    fx.pool("tank").sync();
                }
            });
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                String id = "c" + c;
                all.add(CompletableFuture.runAsync(() -> {
                    for (int i = 1; i <= each; i++) {
                        String tag = id + "-" + i;
                        Reply r = t.execute(id, RequestContext.of(i, i - 1), TargetFixture.append(log, tag));
                        assertThat(byTransno.put(r.transno(), tag)).isNull();
                    }
                }, pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            done.set(true);
            syncs.get(60, TimeUnit.SECONDS);
            pool.shutdown();

            long total = (long) clients * each;
            assertThat(t.lastTransno()).isEqualTo(total + 1);
            assertThat(new TreeMap<>(byTransno).keySet()).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(2, total + 1).boxed().toList());
            // the log holds every change once, in transaction-number order
            StringBuilder expected = new StringBuilder();
            new TreeMap<>(byTransno).values().forEach(tag -> expected.append(tag).append(';'));
            assertThat(TargetFixture.log(t, log)).isEqualTo(expected.toString());
            fx.pool("tank").sync();
            await().atMost(WAIT).until(() -> t.lastCommitted() == total + 1);
        }
    }

    @Test
    void a_change_blocked_in_begin_holds_no_target_lock_and_a_resend_waits_for_it_pos() throws Exception {
        FileVdevDriver file = new FileVdevDriver();
        FaultVdevDriver fault = new FaultVdevDriver(file);
        Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(120_000),
                List.of(fault, file));
        TargetService targets = Targets.start(engine, TargetSettings.defaults());
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            Path dev = FileVdevDriver.createSparseFile(dir.resolve("d0"), TargetFixture.DEVICE_BYTES);
            String path = "fault:" + dev;
            Pool pool = engine.createPool("tank", VdevLayout.parse(path), Map.of(PoolProperty.FAILMODE, "wait",
                    PoolProperty.DIRTY_MAX_BYTES, Long.toString(1 << 20),
                    PoolProperty.TXG_DIRTY_LIMIT_BYTES, Long.toString(256 << 10),
                    PoolProperty.TXG_TIMEOUT_MILLIS, "3600000"), false);
            Target t = targets.createTarget("tank", "ost0", TargetRole.OST);
            t.connect("writer");
            t.connect("reader");
            long obj = TargetOp.decodeLong(t.execute("writer", RequestContext.of(1, 0), new TargetOp.CreateObject())
                    .data());
            fault.injector(dev.toString()).add(FaultRule.hang().on(FaultRule.Op.WRITE));
            // write until a begin() blocks: the sync hangs on the device, dirty data reaches its maximum
            AtomicLong xid = new AtomicLong(1);
            AtomicLong offset = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                byte[] chunk = new byte[128 << 10];
                while (true) {
                    long x = xid.incrementAndGet();
                    t.execute("writer", RequestContext.of(x, x - 1), new TargetOp.Write(obj,
                            offset.getAndAdd(chunk.length), chunk));
                    if (x > 200) {
                        return;
                    }
                }
            }, threads);
            await().atMost(WAIT).until(() -> pool.dirtyBytes() >= (1 << 20) && !writer.isDone());
            long blockedXid = xid.get();
            long transnoBefore = t.lastTransno();
            await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> t.lastTransno() == transnoBefore);

            // with the writer stuck in begin(), the target still answers what needs no transaction (a read of
            // blocks still in memory: the device's reads queue behind its hung writes)
            assertThat(t.connect("reader").recovering()).isFalse();
            Reply read = t.execute("reader", new TargetOp.Read(obj, 0, 16));
            assertThat(read.data()).hasSize(16);
            assertThat(t.recovery().phase()).isEqualTo(RecoveryStatus.Phase.NONE);

            // a resend of the blocked request waits for the first one instead of running twice
            CompletableFuture<Reply> resend = CompletableFuture.supplyAsync(() -> t.execute("writer",
                    RequestContext.of(blockedXid, blockedXid - 1), new TargetOp.Write(obj, 0,
                            "never".getBytes(StandardCharsets.UTF_8))), threads);
            await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> !resend.isDone());

            fault.injector(dev.toString()).clear();
            writer.get(120, TimeUnit.SECONDS);
            Reply r = resend.get(60, TimeUnit.SECONDS);
            assertThat(r.kind()).isEqualTo(Reply.Kind.RECONSTRUCTED);
            // the resend's own bytes never landed: the first execution's zeros did
            assertThat(t.execute("reader", new TargetOp.Read(obj, 0, 5)).data()).containsOnly((byte) 0);
        } finally {
            threads.shutdownNow();
            targets.close();
            engine.close();
        }
    }
}
