package org.tarn.cli;

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
 * simple index: index value to row, as Jolokia renders it.</li>
 * </ul>
 * Failures arrive as {@link CliException} with a one-line, operator-readable
 * message (the engine's {@code TARN-n ...} text where there is one).
 */
public interface Backend extends AutoCloseable {

    /** Reads one attribute. */
    Object read(ObjectName mbean, String attribute);

    /** Invokes an operation; arguments are String, Boolean or Long (typed as boolean / long). */
    Object exec(ObjectName mbean, String operation, Object... args);

    /** Where this backend connects to, for messages. */
    String target();

    @Override
    void close();
}
