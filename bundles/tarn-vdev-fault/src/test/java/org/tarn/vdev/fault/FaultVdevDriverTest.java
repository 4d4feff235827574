package org.tarn.vdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.vdev.fault.FaultRule.Op;
import org.tarn.vdev.file.FileVdevDriver;

class FaultVdevDriverTest {

    private static final long DEVICE_BYTES = 1L << 20;

    private final FaultVdevDriver driver = new FaultVdevDriver(new FileVdevDriver());

    @TempDir
    Path dir;

    private Path file;

    @BeforeEach
    void createFile() throws IOException {
        file = FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);
    }

    @Test
    void type_pos_isFault() {
        assertThat(driver.type()).isEqualTo("fault");
    }

    @Test
    void accepts_pos_faultPrefixOverAnInnerPath() {
        assertThat(driver.accepts("fault:/tmp/d0")).isTrue();
        assertThat(driver.accepts("fault:file:/tmp/d0")).isTrue();
    }

    @Test
    void accepts_neg() {
        assertThat(driver.accepts(null)).isFalse();
        assertThat(driver.accepts("/tmp/d0")).isFalse();
        assertThat(driver.accepts("file:/tmp/d0")).isFalse();
        assertThat(driver.accepts("fault:")).isFalse();
        assertThat(driver.accepts("fault:http://host/d0")).isFalse();
    }

    @Test
    void open_pos_wrapsTheInnerDevice() throws Exception {
        try (FaultBlockDevice device = driver.open("fault:" + file, false)) {
            assertThat(device.path()).isEqualTo("fault:" + file);
            assertThat(device.sizeBytes()).isEqualTo(DEVICE_BYTES);
            assertThat(device.readOnly()).isFalse();
            assertThat(device.injector()).isSameAs(driver.injector(file.toString()));
        }
        try (FaultBlockDevice device = driver.open("fault:" + file, true)) {
            assertThat(device.readOnly()).isTrue();
        }
    }

    @Test
    void open_neg_innerFailurePassesThrough() {
        Path missing = dir.resolve("missing");

        assertThatThrownBy(() -> driver.open("fault:" + missing, false))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void open_neg_pathNotAccepted() {
        assertThatThrownBy(() -> driver.open(file.toString(), false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void injector_pos_sameWithOrWithoutPrefix() {
        FaultInjector injector = driver.injector(file.toString());

        assertThat(driver.injector("fault:" + file)).isSameAs(injector);
        assertThat(injector.path()).isEqualTo("fault:" + file);
        assertThat(driver.injector(dir.resolve("other").toString())).isNotSameAs(injector);
    }

    @Test
    void injector_neg_noPath() {
        assertThatThrownBy(() -> driver.injector("fault:")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> driver.injector(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void injector_pos_armedBeforeOpenAndSurvivesReopen() throws Exception {
        FaultInjector injector = driver.injector("fault:" + file).add(FaultRule.error().on(Op.READ));

        for (int opening = 0; opening < 2; opening++) {
            try (FaultBlockDevice device = driver.open("fault:" + file, true)) {
                assertThatThrownBy(() -> device.read(0, ByteBuffer.allocate(1)))
                        .isInstanceOf(IOException.class)
                        .hasMessage("injected I/O error on fault:" + file + " at offset 0");
            }
        }
        assertThat(injector.injectedCount()).isEqualTo(2);
        assertThat(injector.ioCount(Op.READ)).isEqualTo(2);
    }
}
