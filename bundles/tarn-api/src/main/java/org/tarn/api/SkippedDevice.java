package org.tarn.api;

/**
 * A file in the search path that is not usable as a device of any pool.
 *
 * @param path   the file
 * @param reason why it was skipped: not a Tarn device, truncated, every label corrupt, unreadable
 */
public record SkippedDevice(String path, String reason) {
}
