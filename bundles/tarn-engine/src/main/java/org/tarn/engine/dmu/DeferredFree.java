package org.tarn.engine.dmu;

/**
 * A block freed in {@code txg}, whose space becomes reusable only when
 * {@code txg + FREE_DEFER_TXGS} syncs.
 *
 * @param txg        the group that freed it
 * @param vdev       top-level vdev index
 * @param offset     device offset
 * @param sizeBytes  allocated size
 */
public record DeferredFree(long txg, int vdev, long offset, int sizeBytes) {
}
