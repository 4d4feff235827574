package org.tarn.cli;

import java.io.IOException;
import java.lang.reflect.Array;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanException;
import javax.management.MBeanServerConnection;
import javax.management.NotificationListener;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.RuntimeErrorException;
import javax.management.RuntimeMBeanException;
import javax.management.RuntimeOperationsException;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnectionNotification;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import javax.rmi.ssl.SslRMIClientSocketFactory;

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
        return connect(serviceUrl, ClientSecurity.NONE);
    }

    /**
     * Connects with credentials ({@code jmx.remote.credentials}) and, with
     * {@link ClientSecurity#tls()}, looks the connector up in an RMI registry
     * that speaks TLS ({@code com.sun.jndi.rmi.factory.socket}); the
     * connector's own TLS comes with its stub.
     */
    static JmxBackend connect(String serviceUrl, ClientSecurity security) {
        String url = serviceUrl.startsWith("service:") ? serviceUrl
                : "service:jmx:rmi:///jndi/rmi://" + serviceUrl + "/jmxrmi";
        JMXServiceURL jmxUrl;
        try {
            jmxUrl = new JMXServiceURL(url);
        } catch (IOException e) {
            throw new CliException("bad JMX service URL '" + serviceUrl + "': " + e.getMessage());
        }
        Map<String, Object> env = new HashMap<>();
        if (security.user() != null) {
            env.put(JMXConnector.CREDENTIALS, new String[] {security.user(), security.password()});
        }
        if (security.tls()) {
            env.put("com.sun.jndi.rmi.factory.socket", new SslRMIClientSocketFactory());
        }
        try {
            JMXConnector connector = JMXConnectorFactory.connect(jmxUrl, env);
            return new JmxBackend(connector.getMBeanServerConnection(), connector, url);
        } catch (SecurityException e) {
            throw new CliException("cannot connect to " + url + ": authentication failed: "
                    + CliException.clean(e.getMessage()).replaceFirst("^Authentication failed! ", "")
                    + (security.user() == null ? " (give --user and --password-file)" : ""));
        } catch (IOException | RuntimeException e) {
            throw new CliException("cannot connect to " + url + ": " + rootMessage(e) + tlsHint(e, security));
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

    /** One getAttributes call per MBean (a pattern is queried first); RMI has no bulk request across MBeans. */
    @Override
    public BulkRead readAll(Map<ObjectName, List<String>> requests) {
        Map<ObjectName, Map<String, Object>> values = new LinkedHashMap<>();
        Map<ObjectName, CliException> failures = new LinkedHashMap<>();
        for (Map.Entry<ObjectName, List<String>> request : requests.entrySet()) {
            ObjectName pattern = request.getKey();
            String[] names = request.getValue().toArray(String[]::new);
            List<ObjectName> matches;
            try {
                matches = pattern.isPattern() ? connection.queryNames(pattern, null).stream().sorted().toList()
                        : List.of(pattern);
            } catch (IOException | RuntimeException e) {
                throw failure(pattern, e);
            }
            for (ObjectName on : matches) {
                try {
                    javax.management.AttributeList got = connection.getAttributes(on, names);
                    if (got.size() < names.length) {
                        // getAttributes leaves out what failed: read those singly for the reason
                        for (String a : names) {
                            if (got.asList().stream().noneMatch(x -> x.getName().equals(a))) {
                                connection.getAttribute(on, a);
                            }
                        }
                    }
                    Map<String, Object> row = new LinkedHashMap<>();
                    got.asList().forEach(a -> row.put(a.getName(), plain(a.getValue())));
                    values.put(on, row);
                } catch (JMException | IOException | RuntimeException e) {
                    CliException f = failure(on, e);
                    if (e instanceof IOException) {
                        throw f;
                    }
                    failures.put(on, f);
                }
            }
        }
        return new BulkRead(values, failures);
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

    /**
     * A {@link NotificationListener} that queues what it gets; a failed or
     * closed connector (JMX connection notifications) ends the subscription
     * with "lost connection".
     */
    @Override
    public Subscription subscribe(ObjectName mbean) {
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        Object lost = new Object();
        NotificationListener listener = (n, handback) -> queue.add(new Notice(n.getType(), n.getSequenceNumber(),
                n.getTimeStamp(), n.getMessage(), plain(n.getUserData())));
        NotificationListener connectionListener = (n, handback) -> {
            if (JMXConnectionNotification.FAILED.equals(n.getType())
                    || JMXConnectionNotification.CLOSED.equals(n.getType())) {
                queue.add(lost);
            }
        };
        try {
            connection.addNotificationListener(mbean, listener, null, null);
        } catch (JMException | IOException | RuntimeException e) {
            throw failure(mbean, e);
        }
        if (resource instanceof JMXConnector connector) {
            connector.addConnectionNotificationListener(connectionListener, null, null);
        }
        return new Subscription() {
            @Override
            public List<Notice> poll(Duration wait) throws InterruptedException {
                List<Object> got = new ArrayList<>();
                Object first = queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    return List.of();
                }
                got.add(first);
                queue.drainTo(got);
                List<Notice> out = new ArrayList<>();
                for (Object o : got) {
                    if (o == lost) {
                        throw new CliException("lost connection to " + target);
                    }
                    out.add((Notice) o);
                }
                return out;
            }

            @Override
            public void close() {
                try {
                    connection.removeNotificationListener(mbean, listener);
                } catch (JMException | IOException | RuntimeException ignored) {
                    // the MBean or the connection is gone: nothing left to remove
                }
                if (resource instanceof JMXConnector connector) {
                    try {
                        connector.removeConnectionNotificationListener(connectionListener);
                    } catch (javax.management.ListenerNotFoundException ignored) {
                        // never added
                    }
                }
            }
        };
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
        if (v instanceof TabularData t && isMap(t)) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Object o : t.values()) {
                CompositeData row = (CompositeData) o;
                map.put(String.valueOf(row.get("key")), plain(row.get("value")));
            }
            return map;
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

    /** Whether a table is a map as the MXBean mapping writes one: items key and value, indexed by key. */
    private static boolean isMap(TabularData t) {
        return t.getTabularType().getIndexNames().equals(List.of("key"))
                && t.getTabularType().getRowType().keySet().equals(java.util.Set.of("key", "value"));
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

    /** What to try when a connection failed on TLS: plain client and TLS server, or the reverse, or no trust. */
    private static String tlsHint(Throwable e, ClientSecurity security) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            chain.append(t).append('\n');
        }
        String text = chain.toString();
        if (text.contains("PKIX") || text.contains("certificate")) {
            return " (the server's certificate is not trusted: --truststore FILE)";
        }
        if (!security.tls() && (text.contains("non-JRMP server") || text.contains("Connection reset")
                || text.contains("SSL") || text.contains("EOFException"))) {
            return " (does the server use TLS? try --tls with --truststore FILE)";
        }
        if (security.tls() && (text.contains("Unsupported or unrecognized SSL message")
                || text.contains("plaintext connection"))) {
            return " (the server does not speak TLS: drop --tls)";
        }
        return "";
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : CliException.clean(t.toString());
    }
}
