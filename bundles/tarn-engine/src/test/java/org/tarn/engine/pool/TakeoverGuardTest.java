package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportablePool;
import org.tarn.api.TakeoverGuard;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;

/** Taking over a pool another host still claims asks the HA layer's guards first. */
class TakeoverGuardTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private ImportOptions forced() {
        return ImportOptions.defaults().withDirs(List.of(dir.toString())).withForce(true);
    }

    @Test
    void a_guard_refuses_a_takeover_of_an_unfenced_host_and_nothing_is_touched_neg() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine a = TestPools.engine(drivers); Engine b = TestPools.engine(drivers)) {
            a.createPool("ost1", VdevLayout.parse(d.get(0)), Map.of(), false);
            a.forceExport("ost1"); // the labels still say ACTIVE on host a
            List<ImportablePool> asked = new CopyOnWriteArrayList<>();
            TakeoverGuard unfenced = pool -> {
                asked.add(pool);
                throw new TarnException(ErrorCode.POOL_IN_USE_ELSEWHERE, "host " + pool.hostname()
                        + " is not fenced yet");
            };
            b.addTakeoverGuard(unfenced);
            assertThatThrownBy(() -> b.importPool("ost1", forced())).hasMessageContaining("not fenced")
                    .extracting(e -> ((TarnException) e).code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE);
            assertThat(asked).singleElement().satisfies(p -> {
                assertThat(p.name()).isEqualTo("ost1");
                assertThat(p.hostId()).isEqualTo(a.hostId());
            });
            assertThat(b.pools()).isEmpty();
            // the labels are untouched: the pool is still claimed by a
            assertThat(b.scan(List.of(dir.toString())).pools()).singleElement()
                    .satisfies(p -> assertThat(p.hostId()).isEqualTo(a.hostId()));

            b.removeTakeoverGuard(unfenced);
            b.addTakeoverGuard(pool -> asked.add(pool)); // fenced now: the guard lets it through
            b.importPool("ost1", forced());
            assertThat(b.pools()).containsExactly("ost1");
            assertThat(asked).hasSize(2);
            // the takeover is on disk when the import returns: the labels name host b now
            assertThat(a.scan(List.of(dir.toString())).pools()).singleElement()
                    .satisfies(p -> assertThat(p.hostId()).isEqualTo(b.hostId()));
        }
    }

    @Test
    void guards_are_not_asked_for_pools_nobody_else_claims_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        List<ImportablePool> asked = new CopyOnWriteArrayList<>();
        try (Engine a = TestPools.engine(drivers)) {
            a.addTakeoverGuard(asked::add);
            a.createPool("ost1", VdevLayout.parse(d.get(0)), Map.of(), false);
            a.exportPool("ost1", false);
            a.importPool("ost1", forced());
            assertThat(a.pools()).containsExactly("ost1");
        }
        assertThat(asked).isEmpty();
    }
}
