package org.tarn.engine.txg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.tarn.api.SyncTimes;
import org.tarn.engine.EngineDefaults;

class SyncTimeHistogramTest {

    @Test
    void durations_land_in_the_first_bucket_whose_bound_they_do_not_exceed_pos() {
        SyncTimeHistogram h = new SyncTimeHistogram();
        h.record(1_000_000L);      // exactly 1 ms: the 1 ms bucket (bounds are inclusive)
        h.record(1_000_001L);      // just above: the 2 ms bucket
        h.record(0);
        h.record(-5);              // a clock step back counts as 0, never as a negative time
        h.record(60_000_000_000L); // 60 s: above the last bound
        SyncTimes t = h.snapshot();
        assertThat(t.upperBoundsSeconds()).hasSize(EngineDefaults.SYNC_TIME_BUCKETS_MILLIS.size())
                .startsWith(0.001, 0.002);
        assertThat(t.bucketCounts()).hasSize(t.upperBoundsSeconds().size() + 1);
        assertThat(t.bucketCounts().get(0)).isEqualTo(3);
        assertThat(t.bucketCounts().get(1)).isEqualTo(1);
        assertThat(t.bucketCounts().get(t.bucketCounts().size() - 1)).isEqualTo(1);
        assertThat(t.count()).isEqualTo(5);
        assertThat(t.sumSeconds()).isCloseTo(60.002, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void sync_times_refuse_counts_that_do_not_fit_their_bounds_neg() {
        assertThatThrownBy(() -> new SyncTimes(List.of(0.1, 1.0), List.of(1L, 2L), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("need 3 bucket counts");
        assertThatThrownBy(() -> new SyncTimes(List.of(1.0, 0.1), List.of(1L, 2L, 3L), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must ascend");
        assertThat(SyncTimes.NONE.count()).isZero();
    }
}
