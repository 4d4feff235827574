package org.tarn.ha;

/**
 * A pool the cluster manages.
 *
 * @param pool          the pool's name
 * @param owner         the server id holding its lease; empty while nobody does
 * @param importOptions the options every import of it uses ({@code dir=...}), as ImportOptions parses them
 * @param moveTarget    the server an operator asked to move it to; empty when none
 * @param lastError     why the last server that tried could not import it; empty when none
 */
public record PoolLease(String pool, String owner, String importOptions, String moveTarget, String lastError) {
}
