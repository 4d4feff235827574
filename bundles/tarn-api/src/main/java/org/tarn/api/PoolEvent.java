package org.tarn.api;

import java.time.Instant;

/**
 * One entry of a pool's bounded event history.
 *
 * @param time   when it happened
 * @param type   what happened: {@code created}, {@code imported}, {@code suspended}, {@code resumed},
 *               {@code vdev-faulted}, {@code exported}, {@code force-exported}, ...
 * @param detail why, for an operator
 */
public record PoolEvent(Instant time, String type, String detail) {
}
