package org.tarn.vdev.fault;

/** The operations of {@code tarn:type=FaultInjection} ({@link FaultInjection}). */
public interface FaultInjectionControl {
    /** Every later write to the device never returns, like a hung disk. */
    void hangWrites(String device);

    /** Every later write to the device fails with an I/O error. */
    void failWrites(String device);

    /** Every later read of the device fails with an I/O error. */
    void failReads(String device);

    /** Every later write to the device fails with "no space left on device" (ENOSPC). */
    void noSpace(String device);

    /** Every later read, write and flush of the device takes {@code millis} longer. */
    void delayIo(String device, long millis);

    /** Removes every fault of the device and releases its hung I/O. */
    void clear(String device);

    /** Device I/O calls currently hung on the device. */
    int hungIo(String device);
}
