package org.tarn.cli;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.management.ObjectName;

/**
 * How tarnctl reaches a Tarn engine's MBeans: read an attribute, invoke an
 * operation. Both implementations return the same plain shapes, so commands
 * never see transport types:
 * <ul>
 * <li>String, Boolean, Long (every integral number), Double;</li>
 * <li>{@code List<Object>} for arrays;</li>
 * <li>{@code Map<String, Object>} for a CompositeData (item name to value);</li>
 * <li>{@code Map<String, Map<String, Object>>} for a TabularData with one
 * simple index: index value to row, as Jolokia renders it;</li>
 * <li>{@code Map<String, Object>} for a TabularData that is a map (items
 * {@code key} and {@code value}, index {@code key}): key to value, flat, as
 * Jolokia renders an MXBean map.</li>
 * </ul>
 * Failures arrive as {@link CliException} with a one-line, operator-readable
 * message (the engine's {@code TARN-n ...} text where there is one).
 */
public interface Backend extends AutoCloseable {

    /** Reads one attribute. */
    Object read(ObjectName mbean, String attribute);

    /**
     * Reads attributes of several MBeans (each key: an MBean and the
     * attributes to read of it) in as few round trips as the transport
     * allows (Jolokia: one bulk request). An MBean name may be a pattern: its
     * matches are read. A failure of one MBean (not registered, an attribute
     * that cannot be read) is reported for that MBean only.
     */
    BulkRead readAll(Map<ObjectName, List<String>> requests);

    /** Invokes an operation; arguments are String, Boolean or Long (typed as boolean / long). */
    Object exec(ObjectName mbean, String operation, Object... args);

    /**
     * Subscribes to the notifications of an MBean; they queue up in the
     * subscription until {@linkplain Subscription#poll polled}.
     */
    Subscription subscribe(ObjectName mbean);

    /** Where this backend connects to, for messages. */
    String target();

    @Override
    void close();

    /**
     * What {@link #readAll} read: attribute values by MBean (pattern matches
     * under their own names), and the MBeans that could not be read, with why.
     */
    record BulkRead(Map<ObjectName, Map<String, Object>> values, Map<ObjectName, CliException> failures) {
    }

    /** One JMX notification; the user data in the plain shapes above. */
    record Notice(String type, long sequence, long timeMillis, String message, Object userData) {
    }

    /** Notifications of one MBean as they arrive; closing it removes the listener. */
    interface Subscription extends AutoCloseable {
        /**
         * The notifications that arrived, oldest first, waiting at most
         * {@code wait} for the first; empty when none came.
         *
         * @throws CliException when the connection is lost
         */
        List<Notice> poll(Duration wait) throws InterruptedException;

        @Override
        void close();
    }
}
