package org.tarn.engine.mmp;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.Label;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelException;
import org.tarn.engine.label.LabelLayout;
import org.tarn.engine.label.LabelSet;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.vdev.Vdev;

/**
 * Whether another host took a pool while this host had it suspended by
 * multihost ({@code zpool clear} refuses then, in OpenZFS): after this host
 * stopped its heartbeat, an importer elsewhere may have found it silent and
 * imported the pool, and resuming here would make two writers.
 *
 * <p>Reads every label of every leaf from the device itself (uncached), each
 * leaf on a daemon thread of its own and bounded by the I/O deadline: the
 * leaf's I/O threads may be pinned by the very heartbeat writes that hung and
 * suspended the pool, and a read that hangs too pins only its own thread. It
 * reports another host when a valid config of the pool names another host id
 * with a txg at or above this host's last uberblock, or when a valid
 * uberblock of the pool is newer than this host's last one.
 */
public final class RemoteActivity {
    private RemoteActivity() {
    }

    /**
     * Refuses, with {@code POOL_IN_USE_ELSEWHERE}, when another host has
     * written the pool since {@code mine}; also when no leaf could be read, as
     * nothing then shows that no other host did.
     */
    public static void refuseIfTaken(String pool, long poolGuid, IoPipeline io, List<Vdev> leaves, long myHostId,
                                     Uberblock mine) {
        Optional<String> other = find(poolGuid, io, leaves, myHostId, mine);
        other.ifPresent(why -> {
            throw new TarnException(ErrorCode.POOL_IN_USE_ELSEWHERE, "pool '" + pool + "' was suspended by "
                    + "multihost and " + why + " since: it cannot be resumed here; force-export it (tarnctl export "
                    + "-F " + pool + ") and leave it to that host");
        });
    }

    private static ByteBuffer readOnOwnThread(org.tarn.api.vdev.BlockDevice dev, long at, long deadlineMillis)
            throws java.io.IOException, java.util.concurrent.TimeoutException {
        CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                ByteBuffer b = ByteBuffer.allocate(LabelLayout.LABEL_BYTES);
                dev.readUncached(at, b);
                f.complete(b.flip());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "tarn-mmp-remote-check " + dev.path());
        t.setDaemon(true);
        t.start();
        try {
            return f.get(deadlineMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException("interrupted reading the labels of " + dev.path(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof java.io.IOException io ? io : new java.io.IOException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new java.util.concurrent.TimeoutException("no answer within " + deadlineMillis + " ms");
        }
    }

    static Optional<String> find(long poolGuid, IoPipeline io, List<Vdev> leaves, long myHostId, Uberblock mine) {
        int read = 0;
        List<String> errors = new ArrayList<>();
        for (Vdev leaf : leaves) {
            if (leaf.device() == null) {
                continue;
            }
            org.tarn.api.vdev.BlockDevice dev = leaf.device();
            long size = dev.sizeBytes();
            for (int index : LabelSet.ALL.indexes()) {
                long at = LabelLayout.labelOffset(size, index);
                ByteBuffer label;
                try {
                    label = readOnOwnThread(dev, at, io.ioTimeoutMillis());
                } catch (java.io.IOException e) {
                    errors.add(leaf.path() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                    continue;
                } catch (java.util.concurrent.TimeoutException e) {
                    errors.add(leaf.path() + ": " + e.getMessage());
                    break; // a leaf that does not answer one label will not answer the others: one deadline each
                }
                read++;
                try {
                    LabelConfig c = Label.decodeConfig(label.slice(0, LabelLayout.CONFIG_BYTES));
                    if (c.poolGuid() == poolGuid && c.state() == PoolLabelState.ACTIVE && c.hostid() != myHostId
                            && c.txg() >= mine.txg()) {
                        return Optional.of("host " + c.hostname() + " (hostid " + String.format("%08x", c.hostid())
                                + ") imported it at txg " + c.txg());
                    }
                } catch (LabelException e) {
                    // a torn or foreign config says nothing about who holds the pool
                }
                for (int slot = 0; slot < LabelLayout.UBERBLOCK_SLOTS; slot++) {
                    int off = LabelLayout.UBERBLOCK_RING_OFFSET + slot * LabelLayout.UBERBLOCK_SLOT_BYTES;
                    ByteBuffer bytes = label.slice(off, LabelLayout.UBERBLOCK_SLOT_BYTES);
                    if (Uberblock.isBlank(bytes)) {
                        continue;
                    }
                    try {
                        Uberblock ub = Uberblock.decode(bytes);
                        if (ub.guidSum() == mine.guidSum() && ub.txg() > mine.txg()) {
                            return Optional.of("another host synced txg " + ub.txg() + " (this host's last is "
                                    + mine.txg() + ")");
                        }
                    } catch (LabelException e) {
                        // not a valid uberblock: nobody's
                    }
                }
            }
        }
        if (read == 0) {
            throw new TarnException(ErrorCode.IO_ERROR, "cannot tell whether another host imported the pool: no "
                    + "label could be read " + errors);
        }
        return Optional.empty();
    }
}
