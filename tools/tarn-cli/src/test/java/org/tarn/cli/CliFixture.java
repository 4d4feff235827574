package org.tarn.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;

import org.tarn.api.PoolManager;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.jmx.TarnMBeans;
import org.tarn.vdev.file.FileVdevDriver;

/** An engine over sparse files with its MBeans in a private MBeanServer, driven through tarnctl. */
final class CliFixture implements AutoCloseable {
    static final long DEVICE_BYTES = 64L * 1024 * 1024;

    final Path dir;
    final Engine engine;
    final MBeanServer server;
    final TarnMBeans mbeans;
    final Backend backend;

    CliFixture(Path dir) {
        this(dir, MBeanServerFactory.newMBeanServer());
    }

    CliFixture(Path dir, MBeanServer server) {
        this.dir = dir;
        this.server = server;
        this.engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()));
        this.mbeans = TarnMBeans.register(engine, server);
        this.backend = new JmxBackend(server, "in-process");
    }

    /** Sparse device files d0, d1, ... in {@code dir}. */
    List<String> devices(int n) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(FileVdevDriver.createSparseFile(dir.resolve("d" + i), DEVICE_BYTES).toString());
        }
        return out;
    }

    /** Runs tarnctl against this fixture's MBeanServer. */
    Result run(String... args) {
        return runWith(backend, args);
    }

    /** Runs tarnctl with a backend (null: connect as the arguments say). */
    static Result runWith(Backend backend, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TarnCtl.run(args, new PrintWriter(out), new PrintWriter(err), backend);
        return new Result(code, out.toString(), err.toString());
    }

    record Result(int exit, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\\R"));
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\\R"));
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    @Override
    public void close() {
        mbeans.close();
        engine.close();
    }
}
