/**
 * JMX management of Tarn: the MBean interfaces (open types only, so JConsole,
 * VisualVM and Jolokia need no Tarn classes), the one builder of every
 * {@link javax.management.ObjectName}, the notification types, the metadata
 * annotations, and {@link org.tarn.jmx.TarnMBeans}, which registers the
 * MBeans of an engine in a caller-supplied {@link javax.management.MBeanServer}.
 * The implementation lives in {@code org.tarn.jmx.internal} and is private.
 */
@Export
@Version("0.1.0")
package org.tarn.jmx;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
