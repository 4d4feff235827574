package org.tarn.api;

import java.time.Instant;

/**
 * One entry of a pool's command history, kept in the pool itself ({@code
 * zpool history}): what an operator or client asked of the pool, or (when
 * {@code internal}) what the engine did on its own, such as a resilver
 * finishing or a replace completing.
 *
 * @param time     when it happened
 * @param command  the command, as {@code zpool history} shows it: {@code create tank mirror /d0 /d1},
 *                 {@code set failmode=continue tank}, {@code attach tank /d0 /d2}
 * @param internal whether the engine recorded it on its own
 * @param hostname the host that ran it
 */
public record HistoryEntry(Instant time, String command, boolean internal, String hostname) {
}
