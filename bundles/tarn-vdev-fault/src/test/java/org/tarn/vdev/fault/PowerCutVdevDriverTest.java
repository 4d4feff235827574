package org.tarn.vdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.vdev.file.FileVdevDriver;

class PowerCutVdevDriverTest {
    private static final int UNIT = PowerCutVdevDriver.UNIT_BYTES;
    /** Not a multiple of the unit: the last unit is short. */
    private static final long DEVICE_BYTES = (1L << 20) + 1000;

    @TempDir
    Path dir;

    private final PowerCutVdevDriver driver = new PowerCutVdevDriver(new FileVdevDriver());
    private Path file;
    private String path;

    @BeforeEach
    void device() throws IOException {
        file = FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);
        path = PowerCutVdevDriver.PREFIX + file;
    }

    @Test
    void accepts_pos_onlyItsPrefixOverAnInnerPath() {
        assertThat(driver.accepts(path)).isTrue();
        assertThat(driver.accepts(file.toString())).isFalse();
        assertThat(driver.accepts("fault:" + file)).isFalse();
        assertThatThrownBy(() -> driver.open(file.toString(), false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unflushed_writes_are_read_back_by_every_handle_but_not_on_the_medium_pos() throws IOException {
        try (BlockDevice a = driver.open(path, false); BlockDevice b = driver.open(path, true)) {
            byte[] data = bytes(10_000, 1);
            a.write(3000, ByteBuffer.wrap(data));
            assertThat(read(a, 3000, data.length)).isEqualTo(data);
            assertThat(read(b, 3000, data.length)).as("another handle on the same disk").isEqualTo(data);
            a.readUncached(3000, ByteBuffer.allocate(10));
            assertThat(onMedium(3000, data.length)).containsOnly(0);
            assertThat(driver.volatileBytes()).isEqualTo(4L * UNIT);
            a.flush();
            assertThat(onMedium(3000, data.length)).isEqualTo(data);
            assertThat(driver.volatileBytes()).isZero();
        }
    }

    @Test
    void cut_keeping_nothing_loses_every_unflushed_write_and_keeps_the_flushed_ones_pos() throws IOException {
        BlockDevice dev = driver.open(path, false);
        byte[] flushed = bytes(5000, 2);
        dev.write(0, ByteBuffer.wrap(flushed));
        dev.flush();
        dev.write(100, ByteBuffer.wrap(bytes(200, 3)));
        dev.writeUncached(2 * UNIT, ByteBuffer.wrap(bytes(UNIT, 4)));
        PowerCutVdevDriver.Cut cut = driver.cut(new Random(1), 0.0);
        assertThat(cut).isEqualTo(new PowerCutVdevDriver.Cut(1, 2, 0));
        assertThat(onMedium(0, 5000)).isEqualTo(flushed);
        assertThat(onMedium(2 * UNIT, UNIT)).containsOnly(0);
        dev.close();
    }

    @Test
    void handles_opened_before_a_cut_fail_and_new_ones_work_neg() throws IOException {
        BlockDevice old = driver.open(path, false);
        old.write(0, ByteBuffer.wrap(bytes(10, 5)));
        driver.cut(new Random(2), 1.0);
        assertThatThrownBy(() -> old.read(0, ByteBuffer.allocate(10))).hasMessageContaining("power cut");
        assertThatThrownBy(() -> old.write(0, ByteBuffer.allocate(10))).hasMessageContaining("power cut");
        assertThatThrownBy(old::flush).hasMessageContaining("power cut");
        old.close();
        try (BlockDevice fresh = driver.open(path, false)) {
            assertThat(read(fresh, 0, 10)).as("kept with probability 1").isEqualTo(bytes(10, 5));
            fresh.write(0, ByteBuffer.wrap(bytes(10, 6)));
            assertThat(read(fresh, 0, 10)).isEqualTo(bytes(10, 6));
        }
    }

    @Test
    void cut_tears_a_long_write_at_unit_boundaries_and_never_inside_a_unit_pos() throws IOException {
        int units = 64;
        try (BlockDevice dev = driver.open(path, false)) {
            dev.write(0, ByteBuffer.wrap(bytes(units * UNIT, 7)));
            PowerCutVdevDriver.Cut cut = driver.cut(new Random(3), 0.5);
            assertThat(cut.unitsCached()).isEqualTo(units);
            assertThat(cut.unitsKept()).isBetween(1L, units - 1L);
        }
        byte[] medium = onMedium(0, units * UNIT);
        int kept = 0;
        for (int u = 0; u < units; u++) {
            byte[] unit = Arrays.copyOfRange(medium, u * UNIT, (u + 1) * UNIT);
            boolean isNew = Arrays.equals(unit, Arrays.copyOfRange(bytes(units * UNIT, 7), u * UNIT, (u + 1) * UNIT));
            boolean isOld = Arrays.equals(unit, new byte[UNIT]);
            assertThat(isNew || isOld).as("unit %d is whole: old or new", u).isTrue();
            kept += isNew ? 1 : 0;
        }
        assertThat(kept).isBetween(1, units - 1);
    }

    @Test
    void cut_may_keep_an_older_version_of_a_unit_written_twice_pos() throws IOException {
        int units = 64;
        try (BlockDevice dev = driver.open(path, false)) {
            dev.write(0, ByteBuffer.wrap(bytes(units * UNIT, 8)));
            dev.write(0, ByteBuffer.wrap(bytes(units * UNIT, 9)));
            driver.cut(new Random(4), 1.0);
        }
        byte[] medium = onMedium(0, units * UNIT);
        int older = 0;
        int newer = 0;
        for (int u = 0; u < units; u++) {
            byte[] unit = Arrays.copyOfRange(medium, u * UNIT, (u + 1) * UNIT);
            if (Arrays.equals(unit, Arrays.copyOfRange(bytes(units * UNIT, 8), u * UNIT, (u + 1) * UNIT))) {
                older++;
            } else {
                assertThat(Arrays.equals(unit, Arrays.copyOfRange(bytes(units * UNIT, 9), u * UNIT, (u + 1) * UNIT)))
                        .as("unit %d is the newer version", u).isTrue();
                newer++;
            }
        }
        assertThat(older).isPositive();
        assertThat(newer).isPositive();
    }

    @Test
    void partial_unit_writes_keep_the_rest_of_the_unit_and_the_short_last_unit_works_pos() throws IOException {
        byte[] around = bytes(UNIT, 10);
        Files.write(file, around, java.nio.file.StandardOpenOption.WRITE);
        try (BlockDevice dev = driver.open(path, false)) {
            dev.write(1024, ByteBuffer.wrap(bytes(1024, 11)));
            dev.write(DEVICE_BYTES - 10, ByteBuffer.wrap(bytes(10, 12)));
            dev.flush();
        }
        byte[] want = around.clone();
        System.arraycopy(bytes(1024, 11), 0, want, 1024, 1024);
        assertThat(onMedium(0, UNIT)).isEqualTo(want);
        assertThat(onMedium(DEVICE_BYTES - 10, 10)).isEqualTo(bytes(10, 12));
        assertThat(Files.size(file)).isEqualTo(DEVICE_BYTES);
    }

    @Test
    void writes_outside_the_device_or_on_a_read_only_handle_are_refused_neg() throws IOException {
        try (BlockDevice ro = driver.open(path, true); BlockDevice rw = driver.open(path, false)) {
            assertThatThrownBy(() -> ro.write(0, ByteBuffer.allocate(1))).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> rw.write(DEVICE_BYTES - 1, ByteBuffer.allocate(2)))
                    .isInstanceOf(EOFException.class);
            assertThat(driver.volatileBytes()).isZero();
        }
    }

    private static byte[] read(BlockDevice dev, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        dev.read(offset, b);
        assertThat(b.hasRemaining()).isFalse();
        return b.array();
    }

    private byte[] onMedium(long offset, int length) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return Arrays.copyOfRange(all, (int) offset, (int) offset + length);
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
