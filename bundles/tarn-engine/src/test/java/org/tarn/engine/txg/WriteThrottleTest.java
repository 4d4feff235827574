package org.tarn.engine.txg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WriteThrottleTest {
    private static final long MAX = 64L << 20;
    private static final long SCALE = 500_000;

    @Test
    void no_delay_at_or_below_the_minimum_neg() {
        assertThat(WriteThrottle.delayNanos(0, MAX, 60, SCALE)).isZero();
        assertThat(WriteThrottle.delayNanos(WriteThrottle.percentOf(MAX, 60), MAX, 60, SCALE)).isZero();
    }

    @Test
    void microseconds_just_past_the_minimum_pos() {
        long min = WriteThrottle.percentOf(MAX, 60);
        long d = WriteThrottle.delayNanos(min + MAX / 100, MAX, 60, SCALE);
        // 500 µs * 1 / 39 ≈ 12.8 µs (the old throttle gave at least 1 ms here)
        assertThat(d).isBetween(1_000L, 20_000L);
    }

    @Test
    void delay_grows_with_dirty_and_is_capped_pos() {
        long min = WriteThrottle.percentOf(MAX, 60);
        long previous = 0;
        for (long dirty = min + 1; dirty < MAX; dirty += MAX / 64) {
            long d = WriteThrottle.delayNanos(dirty, MAX, 60, SCALE);
            assertThat(d).isGreaterThanOrEqualTo(previous).isLessThanOrEqualTo(WriteThrottle.MAX_DELAY_NANOS);
            previous = d;
        }
        // the midpoint between min and max gives the scale
        assertThat(WriteThrottle.delayNanos((min + MAX) / 2, MAX, 60, SCALE)).isBetween(SCALE - 1000, SCALE + 1000);
        assertThat(WriteThrottle.delayNanos(MAX - 1, MAX, 60, SCALE)).isEqualTo(WriteThrottle.MAX_DELAY_NANOS);
        assertThat(WriteThrottle.delayNanos(MAX, MAX, 60, SCALE)).isEqualTo(WriteThrottle.MAX_DELAY_NANOS);
        // no overflow for a large maximum
        long big = 1L << 50;
        assertThat(WriteThrottle.delayNanos(big - (big >> 4), big, 60, SCALE)).isPositive();
    }

    @Test
    void concurrent_writers_are_serialised_like_dp_last_wakeup_pos() {
        WriteThrottle t = new WriteThrottle();
        long start = 1_000_000;
        long d = 10_000;
        assertThat(t.wakeupNanos(start, d)).isEqualTo(start + d);
        // three writers that start together wake one delay apart: together they get one writer's rate
        assertThat(t.wakeupNanos(start, d)).isEqualTo(start + 2 * d);
        assertThat(t.wakeupNanos(start, d)).isEqualTo(start + 3 * d);
        // a writer that starts long after the last wake-up waits only its own delay
        assertThat(t.wakeupNanos(start + 1_000_000, d)).isEqualTo(start + 1_000_000 + d);
        // no delay: proceeds at once and does not move the last wake-up
        assertThat(t.wakeupNanos(start + 2_000_000, 0)).isEqualTo(start + 2_000_000);
        assertThat(t.wakeupNanos(start + 1_000_000, d)).isEqualTo(start + 1_000_000 + 2 * d);
    }
}
