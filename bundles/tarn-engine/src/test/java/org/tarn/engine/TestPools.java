package org.tarn.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.tarn.api.vdev.VdevDriver;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/** Fixtures for engine tests: sparse device files and engines over the file and fault drivers. */
public final class TestPools {
    public static final long DEVICE_BYTES = 64L * 1024 * 1024;

    private TestPools() {
    }

    /** Creates {@code n} sparse device files named d0, d1, ... in {@code dir}. */
    public static List<String> devices(Path dir, int n) throws IOException {
        return devices(dir, n, DEVICE_BYTES);
    }

    public static List<String> devices(Path dir, int n, long bytes) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path p = dir.resolve("d" + i);
            FileVdevDriver.createSparseFile(p, bytes);
            out.add(p.toString());
        }
        return out;
    }

    /** The file driver plus a fault driver wrapping it (paths {@code fault:/...}). */
    public static final class Drivers {
        public final FileVdevDriver file = new FileVdevDriver();
        public final FaultVdevDriver fault = new FaultVdevDriver(file);

        public List<VdevDriver> list() {
            return List.of(fault, file);
        }
    }

    public static Engine engine(Drivers drivers) {
        return TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(2000), drivers.list());
    }

    public static ByteBuffer randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return ByteBuffer.wrap(b);
    }
}
