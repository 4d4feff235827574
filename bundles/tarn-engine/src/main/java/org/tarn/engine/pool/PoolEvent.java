package org.tarn.engine.pool;

import java.time.Instant;

/**
 * One entry of a pool's bounded event history.
 *
 * @param time   when it happened
 * @param type   what happened, e.g. {@code imported}, {@code suspended}
 * @param detail why, for an operator
 */
public record PoolEvent(Instant time, String type, String detail) {
}
