package org.tarn.engine.mmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.label.Uberblock;

class ActivityCheckTest {
    private static final Uberblock UB = Uberblock.of(9, 1_000, 42, BlockPointer.HOLE);

    @Test
    void duration_outlasts_the_holders_give_up_time_from_interval_leaves_and_delay_pos() {
        long min = ActivityCheck.minimumMillis();
        assertThat(ActivityCheck.durationMillis(null, 3)).isEqualTo(min);
        assertThat(ActivityCheck.durationMillis(UB, 3)).as("an uberblock without timing").isEqualTo(min);
        // the defaults: 4 x 500 ms give-up time, heartbeats landing on time on one leaf
        Uberblock healthy = UB.withMmp(new Uberblock.Mmp(500, 4, 500));
        assertThat(ActivityCheck.durationMillis(healthy, 1)).isEqualTo(4000).isGreaterThan(4 * 500);
        // slow heartbeats: 900 ms apart on any of 2 leaves, so 1.8 s apart on each
        Uberblock slow = UB.withMmp(new Uberblock.Mmp(500, 4, 900));
        assertThat(ActivityCheck.durationMillis(slow, 2)).isEqualTo(2 * 4 * 1800);
        // many intervals before the holder gives up
        assertThat(ActivityCheck.durationMillis(UB.withMmp(new Uberblock.Mmp(1000, 10, 100)), 4))
                .isEqualTo(20_000);
    }

    @Test
    void check_refuses_as_soon_as_the_uberblock_moves_neg() {
        AtomicInteger reads = new AtomicInteger();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ActivityCheck.check("p", "host h", UB, 1, () -> Optional.of(
                reads.incrementAndGet() < 2 ? UB : UB.withHeartbeat(3, 2_000)), left -> { }))
                .isInstanceOfSatisfying(TarnException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.POOL_IN_USE_ELSEWHERE))
                .hasMessageContaining("heartbeat moved").hasMessageContaining("host h");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("refused early")
                .isLessThan(ActivityCheck.minimumMillis());
    }

    @Test
    void check_of_a_still_pool_waits_its_duration_counting_down_to_zero_pos() {
        List<Long> remaining = new ArrayList<>();
        long t0 = System.nanoTime();
        ActivityCheck.check("p", "host h", UB, 1, () -> Optional.of(UB), remaining::add);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(tookMillis).isGreaterThanOrEqualTo(ActivityCheck.minimumMillis());
        assertThat(remaining).hasSizeGreaterThan(5).isSortedAccordingTo((x, y) -> Long.compare(y, x));
        assertThat(remaining.get(remaining.size() - 1)).isZero();
        assertThat(remaining.get(0)).isGreaterThan(ActivityCheck.minimumMillis() - 200);
    }
}
