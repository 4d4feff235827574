package org.tarn.engine.crash;

import java.util.List;

import org.tarn.api.Pool;
import org.tarn.api.ScanStatus;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;
import org.tarn.vdev.fault.FaultRule;

/**
 * The child JVM of {@link ResilverCrashTest}: opens the pool on {@code d0}
 * and {@code fault:d1}, makes d1's writes slow, brings d1 online (a resilver
 * starts), has the resilver's state synced, prints {@code RESILVERING} and
 * waits to be killed.
 */
public final class ResilverChild {
    private ResilverChild() {
    }

    public static void main(String[] args) throws Exception {
        try {
            String d0 = args[0];
            String f1 = "fault:" + args[1];
            TestPools.Drivers drivers = new TestPools.Drivers();
            Engine engine = TarnEngine.start(EngineSettings.ephemeral().withIoTimeoutMillis(10_000), drivers.list());
            Pool pool = engine.openPool(List.of(d0, f1), false);
            drivers.fault.injector(f1).add(FaultRule.latency(100).on(FaultRule.Op.WRITE));
            pool.online(f1);
            pool.sync(); // the directory of this txg records the resilver in progress
            ScanStatus s = pool.scanStatus();
            System.out.println("RESILVERING " + s.function() + " " + s.state());
            System.out.flush();
            Thread.currentThread().join(); // until killed
        } catch (Throwable e) {
            e.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }
    }
}
