package org.tarn.jmx;

import java.util.Objects;

import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * Builds every ObjectName of Tarn; values are passed through
 * {@link ObjectName#quote} so any pool or target name is legal.
 */
public final class ObjectNames {
    /** The JMX domain of Tarn. */
    public static final String DOMAIN = "tarn";
    /** The {@code type} of the manager MBean. */
    public static final String TYPE_POOL_MANAGER = "PoolManager";
    /** The {@code type} of a pool MBean. */
    public static final String TYPE_POOL = "Pool";
    /** The {@code type} of a target MBean. */
    public static final String TYPE_TARGET = "Target";
    /** The {@code type} of the target manager MBean. */
    public static final String TYPE_TARGET_MANAGER = "TargetManager";
    /** The {@code type} of the fault injection MBean (registered by the fault driver's owner, for drills). */
    public static final String TYPE_FAULT_INJECTION = "FaultInjection";
    /** The {@code type} of the ZooKeeper HA MBean (registered by the optional tarn-ha bundle). */
    public static final String TYPE_HA_MANAGER = "HaManager";
    /** The {@code type} of the Java agent's MBean. */
    public static final String TYPE_AGENT = "Agent";

    private ObjectNames() {
    }

    /** {@code tarn:type=PoolManager}. */
    public static ObjectName poolManager() {
        return of(DOMAIN + ":type=" + TYPE_POOL_MANAGER);
    }

    /** {@code tarn:type=Pool,name="<pool>"}. */
    public static ObjectName pool(String pool) {
        return of(DOMAIN + ":type=" + TYPE_POOL + ",name=" + ObjectName.quote(Objects.requireNonNull(pool, "pool")));
    }

    /** The pattern {@code tarn:type=Pool,*} matching every pool MBean. */
    public static ObjectName allPools() {
        return of(DOMAIN + ":type=" + TYPE_POOL + ",*");
    }

    /** {@code tarn:type=Target,pool="<pool>",name="<target>"}. */
    public static ObjectName target(String pool, String target) {
        return of(DOMAIN + ":type=" + TYPE_TARGET + ",pool=" + ObjectName.quote(Objects.requireNonNull(pool, "pool"))
                + ",name=" + ObjectName.quote(Objects.requireNonNull(target, "target")));
    }

    /** The pattern {@code tarn:type=Target,*} matching every target MBean. */
    public static ObjectName allTargets() {
        return of(DOMAIN + ":type=" + TYPE_TARGET + ",*");
    }

    /**
     * {@code tarn:type=FaultInjection}; the fault driver (which cannot depend
     * on this bundle) spells the same name in {@code FaultInjection.OBJECT_NAME}.
     */
    public static ObjectName faultInjection() {
        return of(DOMAIN + ":type=" + TYPE_FAULT_INJECTION);
    }

    /** {@code tarn:type=HaManager}: this server's view of the ZooKeeper HA cluster (tarn-ha). */
    public static ObjectName haManager() {
        return of(DOMAIN + ":type=" + TYPE_HA_MANAGER);
    }

    /** {@code tarn:type=Agent}, the Java agent running in this JVM. */
    public static ObjectName agent() {
        return of(DOMAIN + ":type=" + TYPE_AGENT);
    }

    /** {@code tarn:type=TargetManager}. */
    public static ObjectName targetManager() {
        return of(DOMAIN + ":type=" + TYPE_TARGET_MANAGER);
    }

    /** The pool name of a pool (or target) ObjectName, unquoted; null when it has none. */
    public static String poolName(ObjectName name) {
        String value = name.getKeyProperty(TYPE_POOL.equals(name.getKeyProperty("type")) ? "name" : "pool");
        return value == null ? null : ObjectName.unquote(value);
    }

    private static ObjectName of(String text) {
        try {
            return new ObjectName(text);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("bad ObjectName " + text + ": " + e.getMessage(), e);
        }
    }
}
