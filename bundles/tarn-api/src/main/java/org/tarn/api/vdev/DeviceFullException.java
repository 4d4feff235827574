package org.tarn.api.vdev;

import java.io.IOException;

/** A write failed because the device (or the file system under it) is full: ENOSPC. */
public class DeviceFullException extends IOException {
    private static final long serialVersionUID = 1L;

    public DeviceFullException(String message) {
        super(message);
    }
}
