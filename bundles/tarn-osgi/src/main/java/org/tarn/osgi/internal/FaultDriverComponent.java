package org.tarn.osgi.internal;

import java.io.IOException;

import org.osgi.service.component.annotations.Component;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.vdev.fault.FaultVdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The fault-injecting driver ({@code fault:} paths over files) as a
 * {@link VdevDriver} service. Its injectors are not reachable through the
 * service yet.
 */
@Component(service = VdevDriver.class, property = "tarn.vdev.type=" + FaultVdevDriver.TYPE)
public final class FaultDriverComponent implements VdevDriver {
    private final FaultVdevDriver driver = new FaultVdevDriver(new FileVdevDriver());

    @Override
    public String type() {
        return driver.type();
    }

    @Override
    public boolean accepts(String path) {
        return driver.accepts(path);
    }

    @Override
    public BlockDevice open(String path, boolean readOnly) throws IOException {
        return driver.open(path, readOnly);
    }
}
