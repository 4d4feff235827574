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
    /** Default recovery window: one minute. */
    public static final long RECOVERY_WINDOW_MILLIS = 60_000;
    /** Default wait of an unmount for a change in progress. */
    public static final long UNMOUNT_WAIT_MILLIS = 30_000;
    /** Longest client id, in UTF-8 bytes. */
    public static final int MAX_CLIENT_ID_BYTES = 128;
    /** Longest target name, in characters. */
    public static final int MAX_NAME_CHARS = 64;
    /** Longest reply kept in a client's record; longer ones are answered but not kept. */
    public static final int MAX_REPLY_BYTES = 768;
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
