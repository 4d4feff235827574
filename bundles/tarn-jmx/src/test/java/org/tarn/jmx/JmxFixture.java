package org.tarn.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

import org.tarn.api.PoolManager;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * An engine over sparse files and the fault driver, with its MBeans in a
 * private MBeanServer. Everything is reached through {@link #server} except
 * where a test sets up a situation (open handles, injected faults).
 */
final class JmxFixture implements AutoCloseable {
    static final long DEVICE_BYTES = 64L * 1024 * 1024;

    final Path dir;
    final FileVdevDriver file = new FileVdevDriver();
    final FaultVdevDriver fault = new FaultVdevDriver(file);
    final Engine engine;
    final MBeanServer server = MBeanServerFactory.newMBeanServer();
    final TarnMBeans mbeans;

    JmxFixture(Path dir) {
        this.dir = dir;
        this.engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(2000), List.of(fault, file));
        this.mbeans = TarnMBeans.register(engine, server);
    }

    /** Creates {@code n} sparse device files d0, d1, ... in the fixture's directory. */
    List<String> devices(int n) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path p = dir.resolve("d" + i);
            FileVdevDriver.createSparseFile(p, DEVICE_BYTES);
            out.add(p.toString());
        }
        return out;
    }

    Object invokeManager(String op, Object... args) throws Exception {
        return invoke(ObjectNames.poolManager(), op, args);
    }

    Object invokePool(String pool, String op, Object... args) throws Exception {
        return invoke(ObjectNames.pool(pool), op, args);
    }

    /** Invokes an operation, deriving the signature from the argument classes (String; Boolean, Long as primitives). */
    Object invoke(ObjectName on, String op, Object... args) throws Exception {
        String[] sig = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            sig[i] = args[i] instanceof Boolean ? "boolean" : args[i] instanceof Long ? "long" : String.class.getName();
        }
        return server.invoke(on, op, args, sig);
    }

    Object attribute(ObjectName on, String name) throws Exception {
        return server.getAttribute(on, name);
    }

    void setAttribute(ObjectName on, String name, Object value) throws Exception {
        server.setAttribute(on, new Attribute(name, value));
    }

    /** The runtime exception an MBean threw, unwrapped from the RuntimeMBeanException JMX wraps it in. */
    static Throwable failure(ThrowingCallable call) {
        Throwable t = catchThrowable(call::call);
        assertThat(t).as("expected a failure").isInstanceOf(RuntimeMBeanException.class);
        Throwable cause = t.getCause();
        assertThat(cause).isNotNull();
        assertThat(cause.getClass().getName()).as("only JDK exceptions cross JMX").startsWith("java.");
        assertThat(cause.getCause()).as("no engine cause crosses JMX").isNull();
        return cause;
    }

    /** Whether a value is built of open types only. */
    static boolean isOpen(Object v) {
        if (v == null || v instanceof String || v instanceof Long || v instanceof Integer || v instanceof Boolean) {
            return true;
        }
        if (v instanceof String[] || v instanceof Double || v instanceof long[]) {
            return true; // long[]: a one-dimensional array of the primitive open type long
        }
        if (v instanceof CompositeData[] rows) {
            return java.util.Arrays.stream(rows).allMatch(JmxFixture::isOpen);
        }
        if (v instanceof CompositeData c) {
            return c.values().stream().allMatch(JmxFixture::isOpen);
        }
        if (v instanceof TabularData t) {
            return t.values().stream().allMatch(JmxFixture::isOpen);
        }
        return false;
    }

    @FunctionalInterface
    interface ThrowingCallable {
        void call() throws Exception;
    }

    @Override
    public void close() {
        mbeans.close();
        engine.close();
    }
}
