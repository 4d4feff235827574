package org.tarn.vdev.fault;

import org.tarn.vdev.fault.FaultRule.Effect;

/**
 * The faults chosen for one I/O: the delays, which the injector applies, and
 * the outcome, which the device applies.
 *
 * @param latencyMillis the total delay before the I/O
 * @param hang whether the I/O hangs until {@code hangGeneration} ends
 * @param hangGeneration the injector's hang generation when the I/O was chosen
 * @param outcome {@link Effect#ERROR}, {@link Effect#NO_SPACE}, {@link Effect#CORRUPT}, or null to do the I/O as asked
 * @param corruptIndex for {@code CORRUPT}, the byte to corrupt, counted from the start of the transfer
 * @param corruptBitMask for {@code CORRUPT}, the bit to flip in that byte
 */
record Injection(long latencyMillis, boolean hang, long hangGeneration, Effect outcome, int corruptIndex,
        int corruptBitMask) {

    static Injection delay(long latencyMillis, boolean hang, long hangGeneration) {
        return new Injection(latencyMillis, hang, hangGeneration, null, 0, 0);
    }

    static Injection fail(long latencyMillis, boolean hang, long hangGeneration, Effect outcome) {
        return new Injection(latencyMillis, hang, hangGeneration, outcome, 0, 0);
    }

    static Injection corrupt(long latencyMillis, boolean hang, long hangGeneration, int corruptIndex,
            int corruptBitMask) {
        return new Injection(latencyMillis, hang, hangGeneration, Effect.CORRUPT, corruptIndex, corruptBitMask);
    }
}
