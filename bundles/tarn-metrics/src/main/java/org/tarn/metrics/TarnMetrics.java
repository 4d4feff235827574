package org.tarn.metrics;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.StateSetSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.Health;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolEventListener;
import org.tarn.api.PoolManager;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.SyncTimes;
import org.tarn.api.VdevIoStats;
import org.tarn.api.VdevState;
import org.tarn.api.VdevStatus;

/**
 * The Prometheus metrics of one engine (and, when given, its storage
 * targets), read from the API at every scrape: a {@link MultiCollector} for
 * a Prometheus registry. Nothing here does I/O, takes a pool lock across
 * device I/O or blocks on a hung pool: every value is one the engine keeps in
 * memory, so a scrape stays fast while a pool's devices hang.
 *
 * <p>Metric families (labels in braces):
 * <ul>
 * <li>{@code tarn_pool_info{pool,guid}}; state sets
 * {@code tarn_pool_state{pool,tarn_pool_state}} (IMPORTING, ACTIVE,
 * SUSPENDED, EXPORTING, EXPORTED) and {@code tarn_pool_health{pool,tarn_pool_health}}
 * (ONLINE, DEGRADED, FAULTED, SUSPENDED);</li>
 * <li>gauges {@code tarn_pool_size_bytes}, {@code tarn_pool_allocated_bytes},
 * {@code tarn_pool_free_bytes}, {@code tarn_pool_dirty_bytes},
 * {@code tarn_pool_dirty_max_bytes}, {@code tarn_pool_synced_txg},
 * {@code tarn_pool_read_only} by {@code pool};</li>
 * <li>per vdev ({@code pool,vdev,type}; {@code vdev} is the zpool status name:
 * the pool, mirror-N or the device path): the state set
 * {@code tarn_vdev_state} and the counters
 * {@code tarn_vdev_read_errors_total}, {@code tarn_vdev_write_errors_total},
 * {@code tarn_vdev_checksum_errors_total} (reset by {@code clear}, which
 * Prometheus reads as a counter reset);</li>
 * <li>per vdev ({@code pool,vdev}) since import, from {@link Pool#ioStats()}
 * ({@code zpool iostat -v -l}): counters {@code tarn_vdev_read_ops_total},
 * {@code _write_ops_total}, {@code _flush_ops_total}, {@code _read_bytes_total},
 * {@code _written_bytes_total}, {@code _read_seconds_total},
 * {@code _write_seconds_total}, {@code _flush_seconds_total} (latency sums),
 * {@code _scan_bytes_total}, and gauges {@code tarn_vdev_queued_ios},
 * {@code tarn_vdev_active_ios};</li>
 * <li>counters over the collector's life, kept after a pool is gone:
 * {@code tarn_pool_events_total{pool,type}} (every engine event) and
 * {@code tarn_pool_force_exports_total{pool}};</li>
 * <li>per mounted target ({@code pool,target}): {@code tarn_target_info{role}},
 * the state sets {@code tarn_target_state} and {@code tarn_target_recovery_status},
 * gauges {@code tarn_target_last_transno}, {@code tarn_target_last_committed},
 * {@code tarn_target_recovery_remaining_seconds},
 * {@code tarn_target_recovery_known_clients},
 * {@code tarn_target_recovery_connected_clients},
 * {@code tarn_target_recovery_completed_clients},
 * {@code tarn_target_recovery_evicted_clients},
 * {@code tarn_target_recovery_replayed_requests};</li>
 * <li>{@code tarn_scrape_errors_total}: pools or targets that could not be
 * read in a scrape (e.g. exported meanwhile).</li>
 * </ul>
 *
 * <p>On the class path this is the entry point for embedders
 * ({@code registry.register(TarnMetrics.start(engine, () -> targets))}); in
 * OSGi the {@code org.tarn.metrics} component serves it over HTTP.
 */
public final class TarnMetrics implements MultiCollector, PoolEventListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TarnMetrics.class);

    private final PoolManager engine;
    private final Supplier<TargetMetrics> targets;
    /** pool + '\0' + event type to count. */
    private final Map<String, AtomicLong> events = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> forceExports = new ConcurrentHashMap<>();
    private final AtomicLong scrapeErrors = new AtomicLong();

    private TarnMetrics(PoolManager engine, Supplier<TargetMetrics> targets) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.targets = targets;
    }

    /**
     * Starts counting the engine's events and returns the collector.
     *
     * @param targetService the target service to report on, or a supplier of
     *     null when there is none (it may come and go: read at each scrape);
     *     its type is {@code org.tarn.target.TargetService}, taken as Object so
     *     that this class loads where the target bundle is absent
     */
    public static TarnMetrics start(PoolManager engine, Supplier<?> targetService) {
        TarnMetrics m = new TarnMetrics(engine, TargetMetrics.over(targetService));
        engine.addEventListener(m);
        return m;
    }

    /** Stops counting events; the collector keeps answering from the API. */
    @Override
    public void close() {
        engine.removeEventListener(this);
    }

    @Override
    public void onEvent(String pool, long poolGuid, PoolEvent event) {
        events.computeIfAbsent(pool + '\0' + event.type(), k -> new AtomicLong()).incrementAndGet();
        if (PoolEvent.FORCE_EXPORTED.equals(event.type())) {
            forceExports.computeIfAbsent(pool, k -> new AtomicLong()).incrementAndGet();
        }
    }

    @Override
    public MetricSnapshots collect() {
        Families f = new Families();
        for (String name : engine.pools()) {
            try {
                engine.pool(name).ifPresent(p -> pool(f, p));
            } catch (RuntimeException e) {
                scrapeErrors.incrementAndGet();
                LOG.debug("metrics: cannot read pool '{}': {}", name, e.toString());
            }
        }
        events.forEach((key, n) -> {
            int sep = key.indexOf('\0');
            f.counter("tarn_pool_events", "Pool events since the metrics started, by engine event type",
                    Labels.of("pool", key.substring(0, sep), "type", key.substring(sep + 1)), n.get());
        });
        forceExports.forEach((pool, n) -> f.counter("tarn_pool_force_exports",
                "Force exports of the pool since the metrics started", Labels.of("pool", pool), n.get()));
        TargetMetrics t = targets.get();
        if (t != null) {
            t.collect(f, scrapeErrors);
        }
        f.counter("tarn_scrape_errors", "Pools or targets that could not be read during a scrape", Labels.EMPTY,
                scrapeErrors.get());
        return f.snapshots();
    }

    private static void pool(Families f, Pool p) {
        Labels pool = Labels.of("pool", p.name());
        f.info("tarn_pool", "An imported pool", Labels.of("pool", p.name(), "guid", Long.toUnsignedString(p.guid())));
        PoolState state = p.state();
        f.stateSet("tarn_pool_state", "The pool's lifecycle state", pool, PoolState.class, state);
        f.stateSet("tarn_pool_health", "The pool's health", pool, Health.class, p.health());
        f.gauge("tarn_pool_size_bytes", "Usable capacity", pool, p.sizeBytes(), Unit.BYTES);
        f.gauge("tarn_pool_allocated_bytes", "Bytes allocated to blocks", pool, p.allocatedBytes(), Unit.BYTES);
        f.gauge("tarn_pool_free_bytes", "Capacity not allocated", pool,
                Math.max(0, p.sizeBytes() - p.allocatedBytes()), Unit.BYTES);
        f.gauge("tarn_pool_dirty_bytes", "Changes not yet on disk", pool, p.dirtyBytes(), Unit.BYTES);
        String max = p.properties().get(PoolProperty.DIRTY_MAX_BYTES);
        if (max != null && max.trim().matches("\\d+")) {
            f.gauge("tarn_pool_dirty_max_bytes", "Dirty bytes at which writers block (property dirtyMaxBytes)",
                    pool, Long.parseLong(max.trim()), Unit.BYTES);
        }
        f.gauge("tarn_pool_synced_txg", "The newest transaction group on disk", pool, p.syncedTxg(), null);
        f.gauge("tarn_pool_read_only", "1 when the pool was imported read-only", pool, p.readOnly() ? 1 : 0, null);
        SyncTimes syncs = p.syncTimes();
        if (!syncs.upperBoundsSeconds().isEmpty()) {
            f.histogram("tarn_pool_txg_sync_seconds", "Duration of the pool's completed transaction group syncs "
                    + "since import", pool, syncs);
        }
        vdevs(f, p.name(), p.vdevTree(), 0, 0);
        for (VdevIoStats io : p.ioStats().vdevs()) {
            ioCounters(f, p.name(), io);
        }
    }

    /** A vdev's I/O counters since import ({@code zpool iostat -v -l}); a rate is the difference of two scrapes. */
    private static void ioCounters(Families f, String pool, VdevIoStats io) {
        Labels l = Labels.of("pool", pool, "vdev", io.name());
        f.counter("tarn_vdev_read_ops", "Reads completed since import", l, io.readOps());
        f.counter("tarn_vdev_write_ops", "Writes completed since import (a mirror's on each child)", l,
                io.writeOps());
        f.counter("tarn_vdev_flush_ops", "Cache flushes completed since import", l, io.flushOps());
        f.counter("tarn_vdev_read_bytes", "Bytes read since import", l, io.readBytes());
        f.counter("tarn_vdev_written_bytes", "Bytes written since import", l, io.writeBytes());
        f.counter("tarn_vdev_read_seconds", "Total latency of the reads (submission to completion)", l,
                io.readNanos() / 1e9);
        f.counter("tarn_vdev_write_seconds", "Total latency of the writes (submission to completion)", l,
                io.writeNanos() / 1e9);
        f.counter("tarn_vdev_flush_seconds", "Total latency of the cache flushes", l, io.flushNanos() / 1e9);
        f.counter("tarn_vdev_scan_bytes", "Bytes of the totals moved by scrubs and resilvers", l, io.scanBytes());
        f.gauge("tarn_vdev_queued_ios", "Device calls waiting for a device thread now", l, io.queued(), null);
        f.gauge("tarn_vdev_active_ios", "Device calls running on the device now", l, io.active(), null);
    }

    private static void vdevs(Families f, String pool, VdevStatus v, int depth, int index) {
        String name = depth == 0 ? pool : v.isLeaf() ? v.path() : v.type() + "-" + index;
        Labels l = Labels.of("pool", pool, "vdev", name, "type", v.type());
        f.stateSet("tarn_vdev_state", "The vdev's state", l, VdevState.class, v.state());
        f.counter("tarn_vdev_read_errors", "Failed reads since import or the last clear", l, v.readErrors());
        f.counter("tarn_vdev_write_errors", "Failed writes since import or the last clear", l, v.writeErrors());
        f.counter("tarn_vdev_checksum_errors", "Reads whose data did not match its checksum", l,
                v.checksumErrors());
        int i = 0;
        for (VdevStatus c : v.children()) {
            vdevs(f, pool, c, depth + 1, i++);
        }
    }

    /** The data points of one scrape, grouped into metric families in first-seen order. */
    static final class Families {
        private final Map<String, Object> builders = new java.util.LinkedHashMap<>();

        void gauge(String name, String help, Labels labels, double value, Unit unit) {
            GaugeSnapshot.Builder b = (GaugeSnapshot.Builder) builders.computeIfAbsent(name, n -> {
                GaugeSnapshot.Builder nb = GaugeSnapshot.builder().name(n).help(help);
                return unit == null ? nb : nb.unit(unit);
            });
            b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        void histogram(String name, String help, Labels labels, SyncTimes t) {
            HistogramSnapshot.Builder b = (HistogramSnapshot.Builder) builders.computeIfAbsent(name,
                    n -> HistogramSnapshot.builder().name(n).help(help).unit(Unit.SECONDS));
            List<Double> bounds = new ArrayList<>(t.upperBoundsSeconds());
            bounds.add(Double.POSITIVE_INFINITY);
            HistogramSnapshot.HistogramDataPointSnapshot.Builder p = HistogramSnapshot.HistogramDataPointSnapshot
                    .builder().classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, t.bucketCounts()));
            p.labels(labels);
            p.sum(t.sumSeconds());
            b.dataPoint(p.build());
        }

        void counter(String name, String help, Labels labels, double value) {
            CounterSnapshot.Builder b = (CounterSnapshot.Builder) builders.computeIfAbsent(name,
                    n -> CounterSnapshot.builder().name(n).help(help));
            b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        void info(String name, String help, Labels labels) {
            InfoSnapshot.Builder b = (InfoSnapshot.Builder) builders.computeIfAbsent(name,
                    n -> InfoSnapshot.builder().name(n).help(help));
            b.dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(labels).build());
        }

        <E extends Enum<E>> void stateSet(String name, String help, Labels labels, Class<E> states, E current) {
            StateSetSnapshot.Builder b = (StateSetSnapshot.Builder) builders.computeIfAbsent(name,
                    n -> StateSetSnapshot.builder().name(n).help(help));
            StateSetSnapshot.StateSetDataPointSnapshot.Builder p = StateSetSnapshot.StateSetDataPointSnapshot.builder()
                    .labels(labels);
            for (E s : EnumSet.allOf(states)) {
                p.state(s.name(), s == current);
            }
            b.dataPoint(p.build());
        }

        MetricSnapshots snapshots() {
            List<MetricSnapshot> out = new ArrayList<>();
            for (Object b : builders.values()) {
                out.add(((MetricSnapshot.Builder<?>) b).build());
            }
            return new MetricSnapshots(out);
        }
    }
}
