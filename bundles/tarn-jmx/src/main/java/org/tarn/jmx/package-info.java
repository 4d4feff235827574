/**
 * JMX management of Tarn: the MBean interfaces (open types only, so JConsole,
 * VisualVM and Jolokia need no Tarn classes), the one builder of every
 * {@link javax.management.ObjectName}, the notification types, the metadata
 * annotations, and {@link org.tarn.jmx.TarnMBeans}, which registers the
 * MBeans of an engine in a caller-supplied {@link javax.management.MBeanServer},
 * and {@link org.tarn.jmx.DescribedMBeans}, which gives other bundles' MBeans
 * (e.g. tarn-ha's) the same described metadata.
 * The implementation lives in {@code org.tarn.jmx.internal} and is private.
 */
@Export
@Version("0.2.0")
package org.tarn.jmx;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
