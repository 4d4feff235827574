package org.tarn.engine.memory;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;

import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.Engine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The child JVM of {@link BoundedMemoryTest}: {@code SixtyFourDevices DIR MIB}
 * creates a pool of 32 two-way mirrors on 64 sparse files in DIR, writes MIB
 * MiB of random data in 1 MiB transactions (more than the child's heap),
 * syncs, exports, opens the pool again and reads everything back. Prints
 * {@code OK bytes crc} when the data read equals the data written, and exits
 * 0; anything else (an OutOfMemoryError included) exits non-zero.
 */
public final class SixtyFourDevices {
    static final int DEVICES = 64;
    static final long DEVICE_BYTES = 32L * 1024 * 1024;
    static final int CHUNK = 1 << 20;
    static final int OBJECT_MIB = 16;

    private SixtyFourDevices() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int mib = Integer.parseInt(args[1]);
        Files.createDirectories(dir);
        List<String> devices = new ArrayList<>();
        StringBuilder layout = new StringBuilder();
        for (int i = 0; i < DEVICES; i++) {
            String d = FileVdevDriver.createSparseFile(dir.resolve("d" + i), DEVICE_BYTES).toString();
            devices.add(d);
            layout.append(i % 2 == 0 ? " mirror " : " ").append(d);
        }
        Random random = new Random(64);
        byte[] chunk = new byte[CHUNK];
        CRC32C written = new CRC32C();
        List<Long> objects = new ArrayList<>();
        try (Engine engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()))) {
            Pool pool = engine.createPool("wide", VdevLayout.parse(layout.toString().trim()), Map.of(), false);
            pool.createDataset("data");
            try (Dataset ds = pool.openDataset("data")) {
                long object = -1;
                for (int i = 0; i < mib; i++) {
                    random.nextBytes(chunk);
                    written.update(chunk);
                    try (Transaction tx = pool.begin()) {
                        if (i % OBJECT_MIB == 0) {
                            object = ds.createObject(tx);
                            objects.add(object);
                        }
                        ds.write(tx, object, (long) (i % OBJECT_MIB) * CHUNK, ByteBuffer.wrap(chunk));
                    }
                }
            }
            pool.sync();
            engine.exportPool("wide", false);

            Pool again = engine.openPool(devices, true);
            CRC32C read = new CRC32C();
            long bytes = 0;
            try (Dataset ds = again.openDataset("data")) {
                ByteBuffer buf = ByteBuffer.allocate(CHUNK);
                for (int i = 0; i < mib; i++) {
                    buf.clear();
                    ds.read(objects.get(i / OBJECT_MIB), (long) (i % OBJECT_MIB) * CHUNK, buf);
                    buf.flip();
                    bytes += buf.remaining();
                    read.update(buf);
                }
            }
            if (read.getValue() != written.getValue() || bytes != (long) mib * CHUNK) {
                System.out.println("MISMATCH " + bytes + " " + Long.toHexString(read.getValue()) + " "
                        + Long.toHexString(written.getValue()));
                System.exit(2);
            }
            System.out.println("OK " + bytes + " " + Long.toHexString(read.getValue()));
        }
    }
}
