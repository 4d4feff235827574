package org.tarn.itests;

import javax.management.ObjectName;

/**
 * One way of reaching Tarn's MBeans (in-process, remote JMX, Jolokia HTTP),
 * as small as the contract suite needs. Values come back in one neutral
 * shape whatever the path, so the same assertions hold for all of them:
 * String, Long (every integral number), Boolean, null, {@code List} (arrays),
 * and {@code Map<String, Object>} (CompositeData by item name; single-index
 * TabularData by its index value, and a key/value TabularData as a flat map
 * from key to value, as Jolokia renders them).
 *
 * <p>A failure of the MBean arrives as {@link ManagementFailure}, carrying the
 * exception type the MBean threw and, for Jolokia, the response status.
 */
public interface MBeanAccess extends AutoCloseable {

    /** Which path this is, for messages. */
    String name();

    Object getAttribute(ObjectName mbean, String attribute);

    /**
     * Invokes an operation; the signature is derived from the arguments:
     * Boolean as {@code boolean}, everything else as {@code String}.
     */
    Object invoke(ObjectName mbean, String operation, Object... args);

    boolean isRegistered(ObjectName mbean);

    @Override
    void close();
}
