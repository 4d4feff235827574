package org.tarn.api;

import java.time.Instant;

/**
 * The pool's scrub or resilver, as the {@code scan:} line of {@code zpool
 * status} shows it: the last one that ran, or the one running now.
 *
 * @param function       {@link #SCRUB}, {@link #RESILVER}, or {@link #NONE} when no scan ever ran
 * @param state          {@link #SCANNING}, {@link #PAUSED}, {@link #FINISHED}, {@link #CANCELED} (scrubs only), or
 *                       {@link #NONE}
 * @param startTime      when it started; null when none ran
 * @param endTime        when it finished or was canceled; null while it runs
 * @param toExamineBytes bytes allocated in the pool when it started: what it may have to read
 * @param examinedBytes  bytes of blocks walked so far (a resilver skips subtrees born before what it
 *                       copies, so it examines far less than it may)
 * @param issuedBytes    bytes read from devices so far
 * @param repairedBytes  bytes rewritten: bad copies repaired, or copied to the devices being resilvered
 * @param errors         blocks no copy of which could be read and verified ({@link Pool#dataErrors()} lists them)
 * @param bytesPerSecond the recent rate of examined bytes; 0 when not scanning
 * @param secondsLeft    estimated seconds to completion; -1 when unknown or not scanning
 * @param minTxg         the oldest txg whose blocks it visits (1 for a scrub)
 * @param maxTxg         the newest txg whose blocks it visits: blocks written later reached every device
 */
public record ScanStatus(String function, String state, Instant startTime, Instant endTime, long toExamineBytes,
                         long examinedBytes, long issuedBytes, long repairedBytes, long errors, long bytesPerSecond,
                         long secondsLeft, long minTxg, long maxTxg) {
    public static final String NONE = "none";
    public static final String SCRUB = "scrub";
    public static final String RESILVER = "resilver";
    public static final String SCANNING = "scanning";
    public static final String PAUSED = "paused";
    public static final String FINISHED = "finished";
    public static final String CANCELED = "canceled";

    /** No scan ever ran on the pool. */
    public static final ScanStatus NEVER = new ScanStatus(NONE, NONE, null, null, 0, 0, 0, 0, 0, 0, -1, 0, 0);

    /** Whether a scan is in progress (scanning or paused). */
    public boolean active() {
        return SCANNING.equals(state) || PAUSED.equals(state);
    }

    /** Percent of {@link #toExamineBytes} examined, 0..100 (100 once finished). */
    public double percentDone() {
        if (FINISHED.equals(state)) {
            return 100.0;
        }
        return toExamineBytes <= 0 ? 0.0 : Math.min(100.0, 100.0 * examinedBytes / toExamineBytes);
    }
}
