package org.tarn.api;

/**
 * Where a pool property's value comes from, as the SOURCE column of
 * {@code zpool get}: the engine's default, or set on this pool (at create or
 * later) and kept in the pool.
 *
 * @since 0.4.0
 */
public enum PropertySource {
    /** Not set on this pool: the engine's default (it follows the engine's default if that changes). */
    DEFAULT,
    /** Set on this pool, at create or with {@code set}; kept in the pool and carried to every import. */
    LOCAL
}
