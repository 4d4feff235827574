package org.tarn.vdev.fault;

import java.util.Objects;

/**
 * One fault to inject: an {@linkplain Effect effect} and the I/Os it selects.
 * Immutable; start from a factory such as {@link #error()} and narrow it with
 * the {@code on}, {@code range}, {@code probability} and {@code times}
 * methods, each of which returns a new rule:
 *
 * <pre>
 * FaultRule.error().on(Op.WRITE).range(0, 4096).times(3)
 * FaultRule.latency(200).probability(0.1)
 * </pre>
 *
 * <p>By default a rule selects every operation its effect applies to, over the
 * whole device, always, without limit. A rule restricted to a range selects
 * reads and writes that overlap it, and never a flush (which has no offset).
 *
 * @param effect what happens to a selected I/O
 * @param latencyMillis the delay of a {@link Effect#LATENCY} rule; 0 for the others
 * @param op the operations selected
 * @param fromOffset the first byte of the selected range
 * @param toOffset the byte after the selected range, {@link #END_OF_DEVICE} for no end
 * @param probability the chance, from 0 to 1, that a selected I/O is hit
 * @param times how many I/Os the rule hits before it is spent, or {@link #UNLIMITED}
 */
public record FaultRule(Effect effect, long latencyMillis, Op op, long fromOffset, long toOffset, double probability,
        int times) {

    /** The {@link #times} of a rule that is never spent. */
    public static final int UNLIMITED = -1;

    /** The {@link #toOffset} of a range that runs to the end of the device. */
    public static final long END_OF_DEVICE = Long.MAX_VALUE;

    /** The operations a rule can select. */
    public enum Op {
        READ, WRITE, FLUSH,
        /** Every operation the rule's effect applies to. */
        ANY;

        boolean includes(Op actual) {
            return this == ANY || this == actual;
        }
    }

    /** What an injected fault does to the I/O it hits. */
    public enum Effect {
        /** Fails the I/O with an {@link java.io.IOException} without doing it. */
        ERROR,
        /** Fails a write or flush with {@link org.tarn.api.vdev.DeviceFullException} without doing it. */
        NO_SPACE,
        /**
         * Flips one bit of one byte within the selected range: in the data a read
         * returns, or in the data a write stores (the caller's buffer is untouched).
         */
        CORRUPT,
        /** Delays the I/O by {@link #latencyMillis}, then does it. */
        LATENCY,
        /**
         * Blocks the I/O, ignoring interrupts, until {@link FaultInjector#releaseHangs()}
         * or {@link FaultInjector#clear()}; then does it.
         */
        HANG;

        boolean appliesTo(Op actual) {
            return switch (this) {
                case NO_SPACE -> actual != Op.READ;
                case CORRUPT -> actual != Op.FLUSH;
                default -> true;
            };
        }
    }

    /** Validates the rule; see the factories for friendlier construction. */
    public FaultRule {
        Objects.requireNonNull(effect, "effect");
        Objects.requireNonNull(op, "op");
        if (latencyMillis < 0 || (effect != Effect.LATENCY && latencyMillis != 0)) {
            throw new IllegalArgumentException("latency " + latencyMillis + " ms for a " + effect + " rule");
        }
        if (op != Op.ANY && !effect.appliesTo(op)) {
            throw new IllegalArgumentException(effect + " cannot apply to " + op);
        }
        if (fromOffset < 0 || fromOffset >= toOffset) {
            throw new IllegalArgumentException("empty or negative range [" + fromOffset + ", " + toOffset + ")");
        }
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability " + probability + " is not between 0 and 1");
        }
        if (times != UNLIMITED && times <= 0) {
            throw new IllegalArgumentException("times " + times + " is neither positive nor UNLIMITED");
        }
    }

    /** Fails selected I/Os with an {@link java.io.IOException}. */
    public static FaultRule error() {
        return of(Effect.ERROR, 0);
    }

    /** Fails selected writes and flushes with {@link org.tarn.api.vdev.DeviceFullException}. */
    public static FaultRule noSpace() {
        return of(Effect.NO_SPACE, 0);
    }

    /** Silently corrupts the data of selected reads and writes. */
    public static FaultRule corrupt() {
        return of(Effect.CORRUPT, 0);
    }

    /** Delays selected I/Os by {@code latencyMillis}. */
    public static FaultRule latency(long latencyMillis) {
        return of(Effect.LATENCY, latencyMillis);
    }

    /** Hangs selected I/Os until the injector releases them. */
    public static FaultRule hang() {
        return of(Effect.HANG, 0);
    }

    private static FaultRule of(Effect effect, long latencyMillis) {
        return new FaultRule(effect, latencyMillis, Op.ANY, 0, END_OF_DEVICE, 1.0, UNLIMITED);
    }

    /** This rule, selecting only {@code operation}. */
    public FaultRule on(Op operation) {
        return new FaultRule(effect, latencyMillis, operation, fromOffset, toOffset, probability, times);
    }

    /** This rule, selecting only reads and writes that overlap [{@code from}, {@code to}). */
    public FaultRule range(long from, long to) {
        return new FaultRule(effect, latencyMillis, op, from, to, probability, times);
    }

    /** This rule, hitting each selected I/O with the given chance (0 to 1). */
    public FaultRule probability(double chance) {
        return new FaultRule(effect, latencyMillis, op, fromOffset, toOffset, chance, times);
    }

    /** This rule, spent after hitting {@code count} I/Os ({@link #UNLIMITED} for never). */
    public FaultRule times(int count) {
        return new FaultRule(effect, latencyMillis, op, fromOffset, toOffset, probability, count);
    }

    /** This rule, spent after hitting one I/O. */
    public FaultRule once() {
        return times(1);
    }

    /** Whether the rule is restricted to part of the device. */
    public boolean ranged() {
        return fromOffset != 0 || toOffset != END_OF_DEVICE;
    }

    /** Whether this rule selects an I/O of {@code lengthBytes} at {@code offset} (ignored for flush). */
    boolean selects(Op actual, long offset, int lengthBytes) {
        if (!op.includes(actual) || !effect.appliesTo(actual)) {
            return false;
        }
        if (!ranged()) {
            return true;
        }
        if (actual == Op.FLUSH) {
            return false;
        }
        // An empty transfer still touches its offset.
        long endOffset = offset + Math.max(lengthBytes, 1);
        return offset < toOffset && endOffset > fromOffset;
    }
}
