package org.tarn.target;

/**
 * Told of target events: {@code mounted}, {@code recovery-finished},
 * {@code evicted}, {@code unmounted}, {@code failed}. Delivered in order
 * on one target service thread that holds no target lock; keep it short.
 */
@FunctionalInterface
public interface TargetListener {
    void onTargetEvent(Target target, String type, String detail);
}
