package org.tarn.vdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.UncachedMode;
import org.tarn.testkit.HostFs;
import org.tarn.vdev.fault.FaultRule.Op;
import org.tarn.vdev.file.FileVdevDriver;

/** The fault driver over the file driver on two hostfs "hosts": uncached transfers cross, faults apply to them. */
class SeparateHostsFaultTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void fuseIsThere() {
        assertThat(HostFs.unavailableReason()).as("hostfs prerequisites (CI installs them in .ci/run)").isEmpty();
    }

    @Test
    void uncached_write_through_the_fault_driver_reaches_the_other_host_unless_faulted_pos() throws IOException {
        Path disk = Files.createDirectories(dir.resolve("disk"));
        FileVdevDriver.createSparseFile(disk.resolve("dev"), 1L << 20);
        FaultVdevDriver onA = new FaultVdevDriver(new FileVdevDriver());
        FileVdevDriver onB = new FileVdevDriver();
        try (HostFs a = HostFs.mount(disk, dir.resolve("a"), "a"); HostFs b = HostFs.mount(disk, dir.resolve("b"), "b");
             BlockDevice writer = onA.open("fault:" + a.resolve("dev"), false);
             BlockDevice reader = onB.open(b.resolve("dev").toString(), true)) {
            assertThat(writer.uncachedMode()).isEqualTo(UncachedMode.DIRECT);
            assertThat(writer.uncachedUnitBytes()).isEqualTo(4096);

            writer.writeUncached(4096 + 1024, ByteBuffer.wrap("beat 1".getBytes(StandardCharsets.US_ASCII)));
            assertThat(read(reader, 4096 + 1024)).isEqualTo("beat 1");

            onA.injector(a.resolve("dev").toString()).add(FaultRule.error().on(Op.WRITE).once());
            assertThatThrownBy(() -> writer.writeUncached(4096 + 1024,
                    ByteBuffer.wrap("beat 2".getBytes(StandardCharsets.US_ASCII)))).isInstanceOf(IOException.class);
            assertThat(read(reader, 4096 + 1024)).as("a failed heartbeat never reaches the disk").isEqualTo("beat 1");
        }
    }

    private static String read(BlockDevice dev, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(6);
        dev.readUncached(offset, b);
        return new String(b.array(), StandardCharsets.US_ASCII);
    }
}
