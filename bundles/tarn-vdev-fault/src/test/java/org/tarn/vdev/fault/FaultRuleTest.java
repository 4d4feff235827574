package org.tarn.vdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tarn.vdev.fault.FaultRule.Effect;
import org.tarn.vdev.fault.FaultRule.Op;

class FaultRuleTest {

    @Test
    void factories_pos_defaultsSelectEverythingAlways() {
        FaultRule rule = FaultRule.error();

        assertThat(rule.effect()).isEqualTo(Effect.ERROR);
        assertThat(rule.op()).isEqualTo(Op.ANY);
        assertThat(rule.ranged()).isFalse();
        assertThat(rule.probability()).isEqualTo(1.0);
        assertThat(rule.times()).isEqualTo(FaultRule.UNLIMITED);
        assertThat(FaultRule.latency(25).latencyMillis()).isEqualTo(25);
    }

    @Test
    void withers_pos_returnNewRulesAndLeaveTheOriginal() {
        FaultRule base = FaultRule.corrupt();

        FaultRule narrowed = base.on(Op.READ).range(4096, 8192).probability(0.5).times(3);

        assertThat(narrowed).isEqualTo(new FaultRule(Effect.CORRUPT, 0, Op.READ, 4096, 8192, 0.5, 3));
        assertThat(base).isEqualTo(FaultRule.corrupt());
        assertThat(base.once().times()).isEqualTo(1);
    }

    @Test
    void validation_neg() {
        assertThatThrownBy(() -> FaultRule.error().probability(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FaultRule.error().probability(-0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FaultRule.error().probability(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FaultRule.error().range(10, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FaultRule.error().range(-1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FaultRule.error().times(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FaultRule.latency(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FaultRule(Effect.ERROR, 5, Op.ANY, 0, FaultRule.END_OF_DEVICE, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FaultRule.noSpace().on(Op.READ))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NO_SPACE cannot apply to READ");
        assertThatThrownBy(() -> FaultRule.corrupt().on(Op.FLUSH)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FaultRule.error().on(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void selects_pos_overlappingReadsAndWrites() {
        FaultRule rule = FaultRule.error().range(4096, 8192);

        assertThat(rule.selects(Op.READ, 4096, 1)).isTrue();
        assertThat(rule.selects(Op.WRITE, 8191, 100)).isTrue();
        assertThat(rule.selects(Op.READ, 4000, 97)).as("straddles the start").isTrue();
        assertThat(rule.selects(Op.READ, 0, 100_000)).as("covers the range").isTrue();
        assertThat(rule.selects(Op.READ, 5000, 0)).as("empty, inside").isTrue();
    }

    @Test
    void selects_neg_outsideRangeOtherOpOrFlush() {
        FaultRule rule = FaultRule.error().on(Op.WRITE).range(4096, 8192);

        assertThat(rule.selects(Op.WRITE, 0, 4096)).as("ends where the range starts").isFalse();
        assertThat(rule.selects(Op.WRITE, 8192, 1)).as("starts where the range ends").isFalse();
        assertThat(rule.selects(Op.READ, 4096, 1)).isFalse();
        assertThat(rule.on(Op.ANY).selects(Op.FLUSH, 0, 0)).as("a ranged rule never selects flush").isFalse();
        assertThat(FaultRule.error().selects(Op.FLUSH, 0, 0)).isTrue();
    }

    @Test
    void selects_neg_effectsThatCannotApply() {
        assertThat(FaultRule.noSpace().selects(Op.READ, 0, 1)).isFalse();
        assertThat(FaultRule.noSpace().selects(Op.WRITE, 0, 1)).isTrue();
        assertThat(FaultRule.noSpace().selects(Op.FLUSH, 0, 0)).isTrue();
        assertThat(FaultRule.corrupt().selects(Op.FLUSH, 0, 0)).isFalse();
    }
}
