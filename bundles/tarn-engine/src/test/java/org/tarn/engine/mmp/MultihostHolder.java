package org.tarn.engine.mmp;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.tarn.api.Dataset;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.Transaction;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * A host holding a {@code multihost=on} pool, in its own JVM, for
 * {@link SeparateHostsMultihostTest}: {@code MultihostHolder STATE_DIR POOL SEED DEVICE...}
 * creates POOL as a mirror of the devices, writes {@link #data} to an
 * object, syncs, prints {@code SYNCED txg object} and then writes nothing
 * more: only its heartbeats move (an idle holder is the hard case for an
 * importer), until it is killed or its stdin closes.
 */
public final class MultihostHolder {
    public static final String DATASET = "ds";

    private MultihostHolder() {
    }

    /** The content of the first object. */
    public static byte[] data(long seed) {
        byte[] b = new byte[200_000];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[0]);
        String name = args[1];
        long seed = Long.parseLong(args[2]);
        List<String> devices = Arrays.asList(args).subList(3, args.length);
        Engine engine = TarnEngine.start(EngineSettings.persistent(state).withIoTimeoutMillis(20_000),
                List.of(new FileVdevDriver()));
        System.out.println("HOST " + engine.settings().host().hex());
        Pool pool = engine.createPool(name, VdevLayout.parse("mirror " + String.join(" ", devices)),
                Map.of(PoolProperty.MULTIHOST, "on", PoolProperty.TXG_TIMEOUT_MILLIS, "3600000"), false);
        pool.createDataset(DATASET);
        try (Dataset ds = pool.openDataset(DATASET)) {
            long obj;
            try (Transaction tx = pool.begin()) {
                obj = ds.createObject(tx);
                ds.write(tx, obj, 0, ByteBuffer.wrap(data(seed)));
            }
            pool.sync();
            System.out.println("SYNCED " + pool.syncedTxg() + " " + obj);
            System.out.flush();
            System.in.read(); // until killed, or the test closes stdin
            Runtime.getRuntime().halt(0);
        }
    }
}
