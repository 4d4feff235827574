package org.tarn.api;

/**
 * Told of every pool event of an engine: created, imported, suspended,
 * resumed, vdev-faulted, exported, force-exported, ... Called on an engine
 * thread that holds no pool lock, in the order the events happened; keep it
 * short.
 */
@FunctionalInterface
public interface PoolEventListener {
    void onEvent(String pool, long poolGuid, PoolEvent event);
}
