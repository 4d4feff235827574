package org.tarn.metrics;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.prometheus.metrics.model.snapshots.Labels;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.metrics.TarnMetrics.Families;
import org.tarn.target.RecoveryStatus;
import org.tarn.target.Target;
import org.tarn.target.TargetService;
import org.tarn.target.TargetState;

/**
 * The target part of {@link TarnMetrics}. Only {@link Reader} names target
 * types, and it is loaded only once a target service is there, so the
 * metrics work where the target bundle is not deployed.
 */
final class TargetMetrics {
    private final Supplier<?> service;

    private TargetMetrics(Supplier<?> service) {
        this.service = service;
    }

    static Supplier<TargetMetrics> over(Supplier<?> service) {
        TargetMetrics m = new TargetMetrics(service == null ? () -> null : service);
        return () -> m;
    }

    void collect(Families f, AtomicLong errors) {
        Object s = service.get();
        if (s != null) {
            Reader.collect(f, s, errors);
        }
    }

    private static final class Reader {
        private static final Logger LOG = LoggerFactory.getLogger(TargetMetrics.class);

        static void collect(Families f, Object service, AtomicLong errors) {
            for (Target t : ((TargetService) service).targets()) {
                try {
                    target(f, t);
                } catch (RuntimeException e) {
                    errors.incrementAndGet();
                    LOG.debug("metrics: cannot read target '{}/{}': {}", t.pool(), t.name(), e.toString());
                }
            }
        }

        private static void target(Families f, Target t) {
            Labels l = Labels.of("pool", t.pool(), "target", t.name());
            f.info("tarn_target", "A storage target known here",
                    Labels.of("pool", t.pool(), "target", t.name(), "role", t.role() == null ? "" : t.role().name()));
            f.stateSet("tarn_target_state", "The target's state", l, TargetState.class, t.state());
            f.gauge("tarn_target_last_transno", "The highest transaction number given out", l, t.lastTransno(), null);
            f.gauge("tarn_target_last_committed", "Every transaction number up to this one is on disk", l,
                    t.lastCommitted(), null);
            RecoveryStatus r = t.recovery();
            f.stateSet("tarn_target_recovery_status", "The recovery window of the current mount", l,
                    RecoveryStatus.Phase.class, r.phase());
            f.gauge("tarn_target_recovery_remaining_seconds", "Time left in the recovery window", l,
                    r.remainingMillis() / 1000.0, null);
            f.gauge("tarn_target_recovery_known_clients", "Clients on record at mount, that recovery waits for", l,
                    r.knownClients(), null);
            f.gauge("tarn_target_recovery_connected_clients", "Known clients that reconnected in the window", l,
                    r.connectedClients(), null);
            f.gauge("tarn_target_recovery_completed_clients", "Known clients that finished replaying", l,
                    r.completedClients(), null);
            f.gauge("tarn_target_recovery_evicted_clients", "Clients evicted in or after the window", l,
                    r.evictedClients(), null);
            f.gauge("tarn_target_recovery_replayed_requests", "Replayed requests executed in the window", l,
                    r.replayedRequests(), null);
        }
    }
}
