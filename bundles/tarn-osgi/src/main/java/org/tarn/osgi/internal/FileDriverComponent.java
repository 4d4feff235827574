package org.tarn.osgi.internal;

import java.io.IOException;

import org.osgi.service.component.annotations.Component;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.vdev.file.FileVdevDriver;

/** The file and block-device driver as a {@link VdevDriver} service. */
@Component(service = VdevDriver.class, property = "tarn.vdev.type=" + FileVdevDriver.TYPE)
public final class FileDriverComponent implements VdevDriver {
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
