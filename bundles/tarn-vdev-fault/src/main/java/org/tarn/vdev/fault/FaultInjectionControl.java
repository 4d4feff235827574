package org.tarn.dist;

/** The operations of {@code tarn:type=FaultInjection}. */
public interface FaultInjectionControl {
    void hangWrites(String device);

    void failWrites(String device);

    void clear(String device);

    /** Device I/O calls currently hung on the device. */
    int hungIo(String device);
}
