package org.tarn.api.vdev;

import java.io.IOException;

/**
 * A device driver: turns a path into an open {@link BlockDevice}. The engine
 * asks each registered driver in turn whether it {@linkplain #accepts accepts}
 * a path; the file driver accepts plain paths, others use a prefix such as
 * {@code fault:}.
 */
public interface VdevDriver {

    /** The driver's type, shown as the leaf type in a vdev tree (e.g. {@code file}). */
    String type();

    /** Whether this driver handles the given path. */
    boolean accepts(String path);

    /**
     * Opens a device.
     *
     * @throws java.nio.file.NoSuchFileException when the device does not exist
     * @throws java.nio.file.AccessDeniedException when it cannot be opened for writing
     * @throws IOException on any other failure
     */
    BlockDevice open(String path, boolean readOnly) throws IOException;
}
