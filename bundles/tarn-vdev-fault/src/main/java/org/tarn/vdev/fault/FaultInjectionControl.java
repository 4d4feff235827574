package org.tarn.vdev.fault;

/** The operations of {@code tarn:type=FaultInjection} ({@link FaultInjection}). */
public interface FaultInjectionControl {
    void hangWrites(String device);

    void failWrites(String device);

    void clear(String device);

    /** Device I/O calls currently hung on the device. */
    int hungIo(String device);
}
