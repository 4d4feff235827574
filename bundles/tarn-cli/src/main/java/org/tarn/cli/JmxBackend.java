package org.tarn.cli;

import java.io.IOException;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.RuntimeErrorException;
import javax.management.RuntimeMBeanException;
import javax.management.RuntimeOperationsException;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A {@link Backend} over an {@link MBeanServerConnection}: a remote JMX
 * connector ({@link #connect(String)}), the local management agent of a JVM
 * started through the attach API ({@link #attach(String)}), or any connection
 * (an in-process MBeanServer in tests).
 */
public final class JmxBackend implements Backend {
    private final MBeanServerConnection connection;
    private final AutoCloseable resource;
    private final String target;

    public JmxBackend(MBeanServerConnection connection, String target) {
        this(connection, null, target);
    }

    private JmxBackend(MBeanServerConnection connection, AutoCloseable resource, String target) {
        this.connection = connection;
        this.resource = resource;
        this.target = target;
    }

    /**
     * Connects to a JMX service URL; {@code host:port} is short for
     * {@code service:jmx:rmi:///jndi/rmi://host:port/jmxrmi}.
     */
    public static JmxBackend connect(String serviceUrl) {
        String url = serviceUrl.startsWith("service:") ? serviceUrl
                : "service:jmx:rmi:///jndi/rmi://" + serviceUrl + "/jmxrmi";
        JMXServiceURL jmxUrl;
        try {
            jmxUrl = new JMXServiceURL(url);
        } catch (IOException e) {
            throw new CliException("bad JMX service URL '" + serviceUrl + "': " + e.getMessage());
        }
        try {
            JMXConnector connector = JMXConnectorFactory.connect(jmxUrl);
            return new JmxBackend(connector.getMBeanServerConnection(), connector, url);
        } catch (IOException | RuntimeException e) {
            throw new CliException("cannot connect to " + url + ": " + rootMessage(e));
        }
    }

    /** Attaches to a local JVM by process id, starting its local management agent if needed. */
    public static JmxBackend attach(String pid) {
        String address;
        try {
            com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(pid);
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
        } catch (com.sun.tools.attach.AttachNotSupportedException | IOException | RuntimeException e) {
            throw new CliException("cannot attach to process " + pid + ": " + rootMessage(e));
        }
        JmxBackend viaUrl = connect(address);
        return new JmxBackend(viaUrl.connection, viaUrl.resource, "process " + pid);
    }

    @Override
    public Object read(ObjectName mbean, String attribute) {
        try {
            return plain(connection.getAttribute(mbean, attribute));
        } catch (JMException | IOException | RuntimeException e) {
            throw failure(mbean, e);
        }
    }

    @Override
    public Object exec(ObjectName mbean, String operation, Object... args) {
        String[] signature = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            signature[i] = args[i] instanceof Boolean ? "boolean"
                    : args[i] instanceof Long ? "long" : String.class.getName();
        }
        try {
            return plain(connection.invoke(mbean, operation, args, signature));
        } catch (JMException | IOException | RuntimeException e) {
            throw failure(mbean, e);
        }
    }

    @Override
    public String target() {
        return target;
    }

    @Override
    public void close() {
        if (resource != null) {
            try {
                resource.close();
            } catch (Exception ignored) {
                // closing a connection that failed is not worth an error
            }
        }
    }

    /** Converts open data to the plain shapes of {@link Backend}. */
    static Object plain(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof CompositeData c) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (String key : c.getCompositeType().keySet()) {
                row.put(key, plain(c.get(key)));
            }
            return row;
        }
        if (v instanceof TabularData t) {
            List<String> index = t.getTabularType().getIndexNames();
            Map<String, Object> table = new LinkedHashMap<>();
            for (Object o : t.values()) {
                CompositeData row = (CompositeData) o;
                List<String> key = new ArrayList<>();
                index.forEach(i -> key.add(String.valueOf(row.get(i))));
                table.put(String.join(",", key), plain(row));
            }
            return table;
        }
        if (v.getClass().isArray()) {
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) {
                list.add(plain(Array.get(v, i)));
            }
            return list;
        }
        return v.toString();
    }

    private CliException failure(ObjectName mbean, Exception e) {
        if (e instanceof InstanceNotFoundException) {
            return new CliException(Pools.notRegistered(mbean, target), e);
        }
        Throwable cause = e;
        if (e instanceof RuntimeMBeanException r) {
            cause = r.getTargetException();
        } else if (e instanceof RuntimeOperationsException r) {
            cause = r.getTargetException();
        } else if (e instanceof RuntimeErrorException r) {
            cause = r.getTargetError();
        } else if (e instanceof MBeanException m) {
            cause = m.getTargetException();
        } else if (e instanceof ReflectionException r) {
            cause = r.getTargetException();
        } else if (e instanceof IOException) {
            return new CliException("lost connection to " + target + ": " + rootMessage(e), e);
        }
        if (cause == null) {
            cause = e;
        }
        String text = cause.getMessage();
        if (text == null || !(cause instanceof IllegalArgumentException || cause instanceof IllegalStateException)) {
            text = cause.toString();
        }
        return new CliException(CliException.clean(text), e);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : CliException.clean(t.toString());
    }
}
