package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tarn.dist.ServerFixture;

/**
 * A pool whose devices hang cannot take the management plane with it: a
 * dozen management calls piling up on it over Jolokia HTTP leave the server
 * answering for the healthy pool and for the force export of the hung one.
 */
class HungPoolManagementTest {
    /** What "at once" means for a call on a healthy pool here: far below any device timeout. */
    private static final long FAST_MILLIS = 5_000;

    private Path data;
    private ServerFixture server;
    private JolokiaHttp jolokia;

    @BeforeEach
    void start() throws Exception {
        data = Files.createTempDirectory("tarn-hung-mgmt");
        server = ServerFixture.start(data, false, true, "fault.injection=true\ndefault.pool=\n");
        jolokia = new JolokiaHttp(server.jolokiaUrl());
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        TestFiles.deleteTree(data);
    }

    private static String pool(String name) {
        return "tarn:type=Pool,name=\"" + name + "\"";
    }

    /** The call's response, which must come within {@link #FAST_MILLIS}. */
    private JolokiaHttp.Response fast(java.util.function.Supplier<JolokiaHttp.Response> call) throws Exception {
        return CompletableFuture.supplyAsync(call).get(FAST_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Test
    void a_dozen_calls_stuck_on_a_hung_pool_leave_the_others_and_force_export_fast_pos() throws Exception {
        String hungDev = server.newDevices("hung", 1).get(0);
        String okDev = server.newDevices("ok", 1).get(0);
        String manager = "tarn:type=PoolManager";
        assertThat(jolokia.exec(manager, "createPool", "hung", "fault:" + hungDev, "").status()).isEqualTo(200);
        assertThat(jolokia.exec(manager, "createPool", "healthy", okDev, "").status()).isEqualTo(200);

        // the hung pool's device stops answering writes, with a change waiting to be synced
        assertThat(jolokia.exec("tarn:type=FaultInjection", "hangWrites", hungDev).status()).isEqualTo(200);
        assertThat(jolokia.exec(pool("hung"), "setProperty", "comment", "never synced").status()).isEqualTo(200);

        // a dozen management calls pile up on it: syncs, exports, clears
        ExecutorService callers = Executors.newFixedThreadPool(12);
        List<CompletableFuture<JolokiaHttp.Response>> stuck = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                String op = i % 3 == 0 ? "export" : "sync";
                stuck.add(CompletableFuture.supplyAsync(() -> jolokia.exec(pool("hung"), op), callers));
            }
            // those beyond the pool's share are refused at once, saying why
            await().atMost(Duration.ofSeconds(20)).until(() -> stuck.stream().filter(CompletableFuture::isDone)
                    .count() >= 10);

            // meanwhile the healthy pool answers reads and a sync at once ...
            JolokiaHttp.Response read = fast(() -> jolokia.read(pool("healthy"), "Health"));
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.value().asText()).isEqualTo("ONLINE");
            assertThat(fast(() -> jolokia.exec(pool("healthy"), "sync")).status()).isEqualTo(200);
            assertThat(fast(() -> jolokia.read(manager, "Pools")).status()).isEqualTo(200);

            // ... and the hung pool can be force-exported at once
            assertThat(fast(() -> jolokia.exec(pool("hung"), "forceExport")).status()).isEqualTo(200);
            JolokiaHttp.Response pools = fast(() -> jolokia.read(manager, "Pools"));
            assertThat(pools.value().toString()).contains("healthy").doesNotContain("hung");

            // every stuck call ended, none of them succeeded, each with a reason an operator can act on
            for (CompletableFuture<JolokiaHttp.Response> f : stuck) {
                JolokiaHttp.Response r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.status()).as(r.body().toString()).isNotEqualTo(200);
                assertThat(r.body().path("error").asText()).matches(".*TARN-(10|11|17|19).*");
            }
            assertThat(stuck.stream().map(f -> f.join().body().path("error").asText())
                    .filter(e -> e.contains("TARN-17"))).as("refused at once as busy").hasSizeGreaterThanOrEqualTo(8);
        } finally {
            assertThat(jolokia.exec("tarn:type=FaultInjection", "clear", hungDev).status()).isIn(200, 400, 500);
            callers.shutdownNow();
        }
    }
}
