package org.tarn.engine.txg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tarn.api.CommitStatus;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.api.Transaction;

class TxgManagerTest {
    private final List<Long> synced = new CopyOnWriteArrayList<>();
    private final List<String> suspensions = new CopyOnWriteArrayList<>();
    private final AtomicBoolean failSyncs = new AtomicBoolean();
    private volatile CountDownLatch blockSync = new CountDownLatch(0);
    private volatile long dirtyMax = 1 << 20;
    private volatile boolean failFast;
    /** A single group whose sync fails, besides failSyncs. */
    private volatile long failTxg = -1;
    /** Dirty bytes at which the open group closes early (the pool's share of its free space). */
    private volatile long closeEarly = Long.MAX_VALUE;
    /** Percent of dirtyMax at which the open group starts to sync. */
    private volatile int syncPercent = 100;
    private TxgManager txgs;

    private TxgManager start(long timeoutMillis) {
        txgs = new TxgManager("t", 5, new TxgManager.Syncer() {
            @Override
            public boolean hasChanges(long txg) {
                return false;
            }

            @Override
            public void syncTxg(long txg) {
                try {
                    blockSync.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (failSyncs.get() || txg == failTxg) {
                    throw new TarnException(ErrorCode.IO_ERROR, "injected");
                }
                synced.add(txg);
            }
        }, new TxgManager.SuspendListener() {
            @Override
            public void suspended(long txg, TarnException cause) {
                suspensions.add("suspended " + txg);
            }

            @Override
            public void resumed(long txg) {
                suspensions.add("resumed " + txg);
            }
        }, new TxgManager.Limits() {
            @Override
            public long txgDirtyLimitBytes() {
                return 1 << 30;
            }

            @Override
            public long txgTimeoutMillis() {
                return timeoutMillis;
            }

            @Override
            public long dirtyMaxBytes() {
                return dirtyMax;
            }

            @Override
            public boolean failFastWhenSuspended() {
                return failFast;
            }

            @Override
            public long closeEarlyDirtyBytes() {
                return closeEarly;
            }

            @Override
            public int dirtySyncPercent() {
                return syncPercent;
            }
        });
        txgs.start();
        return txgs;
    }

    @AfterEach
    void stop() {
        if (txgs != null) {
            txgs.abort(new TarnException(ErrorCode.POOL_EXPORTED, "test over"));
        }
    }

    @Test
    void groups_advance_open_to_synced_in_order_pos() {
        start(60_000);
        assertThat(txgs.openTxg()).isEqualTo(6);
        assertThat(txgs.syncedTxg()).isEqualTo(5);
        Transaction tx = txgs.begin();
        assertThat(tx.txg()).isEqualTo(6);
        txgs.addDirty(6, 100);
        tx.commit();
        txgs.syncNow();
        assertThat(synced).containsExactly(6L);
        assertThat(txgs.syncedTxg()).isEqualTo(6);
        assertThat(txgs.openTxg()).isEqualTo(7);
        assertThat(txgs.totalDirty()).isZero();
    }

    @Test
    void quiescing_waits_for_holds_pos() throws Exception {
        start(60_000);
        Transaction tx = txgs.begin();
        CompletableFuture<Void> sync = CompletableFuture.runAsync(txgs::syncNow);
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.openTxg() == 7);
        assertThat(sync).isNotDone();
        assertThat(synced).isEmpty();
        Transaction next = txgs.begin();
        assertThat(next.txg()).as("new transactions join the next group while one quiesces").isEqualTo(7);
        next.commit();
        tx.commit();
        sync.get(5, TimeUnit.SECONDS);
        assertThat(synced).containsExactly(6L);
    }

    @Test
    void timeout_syncs_a_group_with_changes_pos() {
        start(50);
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 10);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> synced.contains(6L));
    }

    @Test
    void callbacks_report_committed_then_aborted_pos() {
        start(60_000);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Transaction tx = txgs.begin()) {
            tx.onCommit((t, s) -> seen.add(t + " " + s));
        }
        txgs.syncNow();
        try (Transaction tx = txgs.begin()) {
            tx.onCommit((t, s) -> seen.add(t + " " + s));
        }
        assertThat(txgs.abort(new TarnException(ErrorCode.POOL_EXPORTED, "gone"))).isEqualTo(1);
        assertThat(seen).containsExactly("6 " + CommitStatus.COMMITTED, "7 " + CommitStatus.ABORTED);
        assertThatThrownBy(txgs::begin).extracting(e -> ((TarnException) e).code())
                .isEqualTo(ErrorCode.POOL_EXPORTED);
    }

    @Test
    void writers_block_at_dirty_max_until_a_sync_frees_room_pos() throws Exception {
        dirtyMax = 1000;
        blockSync = new CountDownLatch(1);
        start(60_000);
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 2000);
        }
        CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> {
            try (Transaction tx = txgs.begin()) {
                return tx.txg();
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.openTxg() == 7);
        assertThat(blocked).isNotDone();
        blockSync.countDown();
        assertThat(blocked.get(5, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(7);
        assertThat(synced).startsWith(6L);
    }

    @Test
    void throttle_delays_then_admits_writers_pos() throws Exception {
        dirtyMax = 1000;
        blockSync = new CountDownLatch(1);
        start(60_000);
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 800); // above the throttle start, below the max
        }
        long t0 = System.nanoTime();
        try (Transaction tx = txgs.begin()) {
            assertThat(tx.txg()).isGreaterThanOrEqualTo(6);
        }
        // 80 % of the maximum is the curve's midpoint: the delay is the scale, 500 µs
        assertThat(txgs.throttleCounters()[0]).as("one writer delayed").isEqualTo(1);
        assertThat(txgs.throttleCounters()[1]).isEqualTo(500_000);
        assertThat(System.nanoTime() - t0).as("a throttled writer waits out its delay")
                .isGreaterThanOrEqualTo(500_000);
        blockSync.countDown();
    }

    @Test
    void failed_sync_suspends_and_resume_retries_pos() {
        failFast = true;
        start(60_000);
        failSyncs.set(true);
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 1);
        }
        assertThatThrownBy(txgs::syncNow).extracting(e -> ((TarnException) e).code())
                .isEqualTo(ErrorCode.POOL_SUSPENDED);
        assertThat(txgs.suspended()).isTrue();
        assertThat(suspensions).containsExactly("suspended 6");
        assertThatThrownBy(txgs::begin).hasMessageContaining("injected");
        failSyncs.set(false);
        txgs.resume();
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.syncedTxg() == 6);
        assertThat(suspensions).containsExactly("suspended 6", "resumed 6");
        assertThat(txgs.suspended()).isFalse();
    }

    @Test
    void abort_wakes_blocked_writers_and_waiters_neg() throws Exception {
        dirtyMax = 10;
        failSyncs.set(true);
        start(60_000);
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 100);
        }
        AtomicInteger woken = new AtomicInteger();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                txgs.begin();
            } catch (TarnException e) {
                if (e.code() == ErrorCode.POOL_EXPORTED) {
                    woken.incrementAndGet();
                }
            }
        });
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
            try {
                txgs.waitSynced(6);
            } catch (TarnException e) {
                if (e.code() == ErrorCode.POOL_EXPORTED) {
                    woken.incrementAndGet();
                }
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(txgs::suspended);
        txgs.abort(new TarnException(ErrorCode.POOL_EXPORTED, "force export"));
        writer.get(5, TimeUnit.SECONDS);
        waiter.get(5, TimeUnit.SECONDS);
        assertThat(woken.get()).isEqualTo(2);
    }

    /**
     * A clean stop syncs a group a transaction begun before it still held;
     * when that sync fails the stop is called off (POOL_SUSPENDED), the
     * manager takes transactions again, and resume syncs the parked group.
     */
    @Test
    void clean_stop_meeting_a_failed_sync_is_called_off_and_resumes_neg() throws Exception {
        start(60_000);
        failTxg = 7;
        Transaction tx6 = txgs.begin();
        CompletableFuture<Void> stop = CompletableFuture.runAsync(txgs::stopClean);
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.openTxg() == 7);
        Transaction tx7 = txgs.begin();
        txgs.addDirty(tx7.txg(), 10);
        tx6.commit();
        tx7.commit();
        assertThatThrownBy(() -> stop.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(TarnException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.POOL_SUSPENDED));
        assertThat(synced).containsExactly(6L);
        assertThat(suspensions).containsExactly("suspended 7");
        try (Transaction again = txgs.begin()) {
            assertThat(again.txg()).isEqualTo(8);
        }
        failTxg = -1;
        txgs.resume();
        await().atMost(Duration.ofSeconds(5)).until(() -> synced.contains(7L));
        assertThat(suspensions).containsExactly("suspended 7", "resumed 7");
    }

    @Test
    void new_transactions_are_refused_once_a_clean_stop_began_neg() throws Exception {
        start(60_000);
        Transaction held = txgs.begin();
        CompletableFuture<Void> stop = CompletableFuture.runAsync(txgs::stopClean);
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.openTxg() == 7);
        held.commit();
        stop.get(10, TimeUnit.SECONDS);
        assertThatThrownBy(txgs::begin).isInstanceOfSatisfying(TarnException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY));
    }

    /** Multihost: a suspension from outside any sync parks the next sync until resumed, without losing it. */
    @Test
    void suspension_from_outside_parks_the_next_sync_until_resumed_pos() throws Exception {
        start(60_000);
        txgs.suspend(new TarnException(ErrorCode.IO_ERROR, "heartbeat"));
        assertThat(txgs.suspended()).isTrue();
        assertThat(suspensions).containsExactly("suspended 6");
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 10);
        }
        CompletableFuture<Void> sync = CompletableFuture.runAsync(txgs::syncNow);
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.syncingTxg() == 6);
        assertThat(sync).isNotDone();
        assertThat(synced).isEmpty();
        txgs.resume();
        sync.get(10, TimeUnit.SECONDS);
        assertThat(synced).containsExactly(6L);
        assertThat(txgs.suspended()).isFalse();

        // with nothing parked, resume lifts the suspension by itself
        txgs.suspend(new TarnException(ErrorCode.IO_ERROR, "heartbeat again"));
        txgs.resume();
        assertThat(txgs.suspended()).isFalse();
        assertThat(suspensions).endsWith("suspended 7", "resumed 6");
    }

    @Test
    void a_group_closes_early_when_its_dirty_data_reaches_the_space_share_pos() {
        start(3_600_000);
        closeEarly = 1000;
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 600);
            txgs.addDirty(tx.txg(), 600);
        }
        // neither the timeout (an hour) nor the dirty limit (1 GiB) closes it: the space share does
        await().atMost(Duration.ofSeconds(5)).until(() -> synced.contains(6L));
        assertThat(txgs.totalDirty()).isZero();
    }

    @Test
    void a_new_transaction_joins_the_next_group_while_the_full_open_one_cannot_close_pos() throws Exception {
        start(3_600_000);
        closeEarly = 1000;
        blockSync = new CountDownLatch(1);
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 2000);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.syncingTxg() == 6);
        try (Transaction tx = txgs.begin()) {
            assertThat(tx.txg()).isEqualTo(7);
            txgs.addDirty(tx.txg(), 2000);
        }
        CompletableFuture<Long> next = CompletableFuture.supplyAsync(() -> {
            Transaction tx = txgs.begin();
            tx.commit();
            return tx.txg();
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.spaceWaiters() == 1);
        assertThat(next).isNotDone();
        blockSync.countDown();
        assertThat(next.get(10, TimeUnit.SECONDS)).as("group 7 was full: it joins 8").isEqualTo(8L);
        assertThat(txgs.spaceWaiters()).isZero();
    }

    @Test
    void waiting_for_earlier_groups_returns_once_they_synced_pos() throws Exception {
        start(3_600_000);
        blockSync = new CountDownLatch(1);
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 100);
        }
        CompletableFuture.runAsync(txgs::syncNow);
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.syncingTxg() == 6);
        Transaction mine = txgs.begin();
        assertThat(mine.txg()).isEqualTo(7);
        CompletableFuture<Boolean> waited = CompletableFuture.supplyAsync(() -> txgs.awaitEarlierGroups(7,
                System.nanoTime() + TimeUnit.SECONDS.toNanos(30), "short"));
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.spaceWaiters() == 1);
        blockSync.countDown();
        assertThat(waited.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(txgs.syncedTxg()).isEqualTo(6);
        // nothing older than 7 is unsynced now: no reason to wait, the caller decides at once
        assertThat(txgs.awaitEarlierGroups(7, System.nanoTime() + TimeUnit.SECONDS.toNanos(30), "short")).isFalse();
        mine.commit();
    }

    @Test
    void waiting_for_earlier_groups_is_bounded_and_woken_by_abort_neg() throws Exception {
        start(3_600_000);
        blockSync = new CountDownLatch(1);
        try (Transaction tx = txgs.begin()) {
            txgs.addDirty(tx.txg(), 100);
        }
        CompletableFuture.runAsync(txgs::syncNow);
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.syncingTxg() == 6);
        Transaction mine = txgs.begin();
        assertThatThrownBy(() -> txgs.awaitEarlierGroups(mine.txg(), System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(200), "pool 't' is out of space"))
                .isInstanceOfSatisfying(TarnException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE);
                    assertThat(e.getMessage()).contains("txg 6 did not sync in time");
                });
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> txgs.awaitEarlierGroups(
                mine.txg(), System.nanoTime() + TimeUnit.SECONDS.toNanos(60), "short"));
        await().atMost(Duration.ofSeconds(5)).until(() -> txgs.spaceWaiters() == 1);
        txgs.abort(new TarnException(ErrorCode.POOL_EXPORTED, "force-exported"));
        assertThatThrownBy(() -> waiter.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(TarnException.class)
                .hasMessageContaining("force-exported");
        blockSync.countDown();
    }

    @Test
    void sync_starts_at_the_dirty_sync_percentage_pos() {
        syncPercent = 20;
        start(600_000);
        Transaction tx = txgs.begin();
        txgs.addDirty(6, dirtyMax / 10);
        tx.commit();
        assertThat(txgs.openTxg()).as("10 %% dirty: the group stays open").isEqualTo(6);
        Transaction tx2 = txgs.begin();
        txgs.addDirty(6, dirtyMax / 10 + 100);
        tx2.commit();
        // neither the timeout (10 min) nor a full group nor a sync request: the percentage starts it
        await().atMost(Duration.ofSeconds(10)).until(() -> synced.contains(6L));
        assertThat(txgs.throttleCounters()[0]).as("20 %% is below the delay minimum").isZero();
    }

    @Test
    void throttle_delays_past_the_minimum_along_the_curve_pos() throws Exception {
        syncPercent = 20;
        blockSync = new CountDownLatch(1);
        start(600_000);
        Transaction tx = txgs.begin();
        long dirty = dirtyMax / 2;
        txgs.addDirty(6, dirty);
        tx.commit();
        await().atMost(Duration.ofSeconds(10)).until(() -> txgs.syncingTxg() == 6);
        // 50 %: below the 60 % minimum, no delay
        txgs.begin().commit();
        assertThat(txgs.throttleCounters()[0]).isZero();
        // 80 %: each new transaction gets the curve's delay (held: the sync is blocked)
        txgs.addDirty(7, dirtyMax * 3 / 10);
        long expected = WriteThrottle.delayNanos(txgs.totalDirty(), dirtyMax, 60, 500_000);
        assertThat(expected).isPositive().isLessThan(WriteThrottle.MAX_DELAY_NANOS);
        for (int i = 0; i < 5; i++) {
            txgs.begin().commit();
        }
        long[] c = txgs.throttleCounters();
        assertThat(c[0]).isEqualTo(5);
        assertThat(c[1]).isEqualTo(5 * expected);
        assertThat(c[2]).as("below the maximum nobody waits for room").isZero();
        blockSync.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> txgs.totalDirty() == 0);
        txgs.begin().commit();
        assertThat(txgs.throttleCounters()[0]).as("no delay once synced").isEqualTo(5);
    }
}
