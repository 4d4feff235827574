package org.tarn.target;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;

/**
 * Settings of a target service, with every default of the targets layer.
 *
 * @param recoveryWindowMillis how long a mounted target waits for its known clients to reconnect and
 *                             replay before it evicts the missing ones
 * @param unmountWaitMillis    how long an unmount waits for a change in progress before it gives up
 */
public record TargetSettings(long recoveryWindowMillis, long unmountWaitMillis) {
    /**
     * Default recovery window: 15 s. Clients of a failed-over target notice at once (a refused or
     * reset connection, an error reply) or within their ping timeout, and retry the partners every
     * second at most, so they reconnect within seconds of the mount; the window closes as soon as
     * every known client has replayed, and only a client that is gone waits it out (Lustre's
     * 150-300 s are sized for RPC timeouts of 100 s).
     */
    public static final long RECOVERY_WINDOW_MILLIS = 15_000;
    /** Default wait of an unmount for a change in progress. */
    public static final long UNMOUNT_WAIT_MILLIS = 30_000;
    /** Longest client id, in UTF-8 bytes. */
    public static final int MAX_CLIENT_ID_BYTES = 128;
    /** Longest target name, in characters. */
    public static final int MAX_NAME_CHARS = 64;
    /** Longest reply kept in a client's records; longer ones are answered but not kept. */
    public static final int MAX_REPLY_BYTES = 224;
    /**
     * Records of executed requests kept per client: a client may have at most this many
     * requests numbered above its oldest unanswered one (its window).
     */
    public static final int REPLY_RECORDS_PER_CLIENT = 256;
    /** Prefix of the dataset that holds a target: target {@code ost0} lives in dataset {@code target:ost0}. */
    public static final String DATASET_PREFIX = "target:";

    public TargetSettings {
        if (recoveryWindowMillis < 1 || unmountWaitMillis < 1) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "target timeouts must be positive, got recovery "
                    + recoveryWindowMillis + " ms, unmount " + unmountWaitMillis + " ms");
        }
    }

    /** The defaults. */
    public static TargetSettings defaults() {
        return new TargetSettings(RECOVERY_WINDOW_MILLIS, UNMOUNT_WAIT_MILLIS);
    }

    public TargetSettings withRecoveryWindowMillis(long millis) {
        return new TargetSettings(millis, unmountWaitMillis);
    }

    public TargetSettings withUnmountWaitMillis(long millis) {
        return new TargetSettings(recoveryWindowMillis, millis);
    }
}
