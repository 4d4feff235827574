package org.tarn.itests;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.management.JMException;
import javax.management.MBeanException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

/**
 * Access through an {@link MBeanServerConnection}: a private MBeanServer in
 * process, or a remote connector's connection. Open-type values are turned
 * into the neutral shape of {@link MBeanAccess}.
 */
public class JmxAccess implements MBeanAccess {
    private final String name;
    private final MBeanServerConnection connection;
    private final AutoCloseable resource;

    public JmxAccess(String name, MBeanServerConnection connection, AutoCloseable resource) {
        this.name = name;
        this.connection = connection;
        this.resource = resource;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Object getAttribute(ObjectName mbean, String attribute) {
        try {
            return neutral(connection.getAttribute(mbean, attribute));
        } catch (JMException | IOException e) {
            throw failure(e);
        } catch (RuntimeMBeanException e) {
            throw failure(e);
        }
    }

    @Override
    public Object invoke(ObjectName mbean, String operation, Object... args) {
        String[] sig = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            sig[i] = args[i] instanceof Boolean ? "boolean" : String.class.getName();
        }
        try {
            return neutral(connection.invoke(mbean, operation, args, sig));
        } catch (JMException | IOException e) {
            throw failure(e);
        } catch (RuntimeMBeanException e) {
            throw failure(e);
        }
    }

    @Override
    public boolean isRegistered(ObjectName mbean) {
        try {
            return connection.isRegistered(mbean);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The exception the MBean threw, unwrapped from the JMX wrapper around it. */
    private static ManagementFailure failure(Exception e) {
        Throwable cause = e;
        if ((e instanceof RuntimeMBeanException || e instanceof MBeanException) && e.getCause() != null) {
            cause = e.getCause();
        }
        return new ManagementFailure(cause.getClass().getName(), cause.getMessage(), null);
    }

    /** Open types to the neutral shape. */
    static Object neutral(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Object[] array) {
            List<Object> out = new ArrayList<>();
            for (Object o : array) {
                out.add(neutral(o));
            }
            return out;
        }
        if (v instanceof CompositeData c) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (String key : c.getCompositeType().keySet()) {
                out.put(key, neutral(c.get(key)));
            }
            return out;
        }
        if (v instanceof TabularData t) {
            List<String> index = t.getTabularType().getIndexNames();
            if (index.size() != 1) {
                throw new IllegalStateException("Tarn tables have one simple index, got " + index);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            // a key/value table (an MXBean-style map) is a flat map, as Jolokia renders it
            boolean isMap = index.equals(List.of("key"))
                    && t.getTabularType().getRowType().keySet().equals(java.util.Set.of("key", "value"));
            for (Object row : t.values()) {
                CompositeData c = (CompositeData) row;
                out.put(String.valueOf(c.get(index.get(0))), isMap ? neutral(c.get("value")) : neutral(c));
            }
            return out;
        }
        return v;
    }

    @Override
    public void close() {
        if (resource != null) {
            try {
                resource.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + name + ": " + e, e);
            }
        }
    }
}
