package org.tarn.vdev.file.internal;

import java.io.IOException;

import org.osgi.service.component.annotations.Component;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/**
 * The file and block-device driver as a {@link VdevDriver} service (service
 * property {@code tarn.vdev.type=file}), so the engine can use it when this
 * bundle is deployed and lets go of it when the bundle leaves. OSGi wiring
 * only: plain Java users construct {@link FileVdevDriver} themselves.
 */
@Component(service = VdevDriver.class, property = FileDriverComponent.TYPE_PROPERTY + "=" + FileVdevDriver.TYPE)
public final class FileDriverComponent implements VdevDriver {
    /** The service property that names a driver's type. */
    static final String TYPE_PROPERTY = "tarn.vdev.type";

    private final FileVdevDriver driver = new FileVdevDriver();

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
