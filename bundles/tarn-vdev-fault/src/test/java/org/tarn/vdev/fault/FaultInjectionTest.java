package org.tarn.vdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.vdev.file.FileVdevDriver;

/** {@code tarn:type=FaultInjection} over a private MBeanServer. */
class FaultInjectionTest {
    @TempDir
    Path dir;

    @Test
    void hang_then_clear_through_the_mbean_pos() throws Exception {
        FaultVdevDriver driver = new FaultVdevDriver(new FileVdevDriver());
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        server.registerMBean(new FaultInjection(driver), FaultInjection.objectName());
        String path = FileVdevDriver.createSparseFile(dir.resolve("d0"), 1 << 20).toString();
        String[] sig = {String.class.getName()};

        try (FaultBlockDevice dev = driver.open("fault:" + path, false)) {
            server.invoke(FaultInjection.objectName(), "hangWrites", new Object[] {path}, sig);
            CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
                try {
                    dev.write(0, ByteBuffer.allocate(512));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> (Integer) server.invoke(FaultInjection.objectName(),
                    "hungIo", new Object[] {"fault:" + path}, sig) == 1);
            server.invoke(FaultInjection.objectName(), "clear", new Object[] {path}, sig);
            write.get(10, TimeUnit.SECONDS);
            assertThat(driver.injector(path).hungCount()).isZero();
        }
    }

    @Test
    void every_operation_is_described_pos() throws Exception {
        MBeanInfo info = new FaultInjection(new FaultVdevDriver(new FileVdevDriver())).getMBeanInfo();
        assertThat(info.getDescription()).isNotBlank();
        assertThat(info.getOperations()).extracting(MBeanOperationInfo::getName)
                .containsExactlyInAnyOrder("hangWrites", "failWrites", "failReads", "noSpace", "delayIo", "clear",
                        "hungIo");
        for (MBeanOperationInfo op : info.getOperations()) {
            assertThat(op.getDescription()).as(op.getName()).isNotEqualTo(op.getName());
            assertThat(op.getSignature()[0].getName()).isEqualTo("device");
            assertThat(op.getSignature()).allSatisfy(p -> assertThat(p.getDescription()).isNotBlank());
        }
        MBeanOperationInfo delay = java.util.Arrays.stream(info.getOperations())
                .filter(o -> o.getName().equals("delayIo")).findFirst().orElseThrow();
        assertThat(delay.getSignature()[1].getName()).isEqualTo("millis");
    }

    @Test
    void no_space_and_failed_reads_through_the_mbean_pos() throws Exception {
        FaultVdevDriver driver = new FaultVdevDriver(new FileVdevDriver());
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        server.registerMBean(new FaultInjection(driver), FaultInjection.objectName());
        String path = FileVdevDriver.createSparseFile(dir.resolve("d1"), 1 << 20).toString();
        String[] sig = {String.class.getName()};
        try (FaultBlockDevice dev = driver.open("fault:" + path, false)) {
            server.invoke(FaultInjection.objectName(), "noSpace", new Object[] {path}, sig);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.write(0, ByteBuffer.allocate(512)))
                    .isInstanceOf(org.tarn.api.vdev.DeviceFullException.class);
            dev.read(0, ByteBuffer.allocate(512)); // reads still work
            server.invoke(FaultInjection.objectName(), "failReads", new Object[] {path}, sig);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.read(0, ByteBuffer.allocate(512)))
                    .isInstanceOf(java.io.IOException.class);
            server.invoke(FaultInjection.objectName(), "clear", new Object[] {path}, sig);
            dev.write(0, ByteBuffer.allocate(512));
            dev.read(0, ByteBuffer.allocate(512));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> server.invoke(FaultInjection.objectName(),
                    "delayIo", new Object[] {path, -1L}, new String[] {String.class.getName(), "long"}))
                    .hasRootCauseInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void a_rule_for_a_device_no_pool_has_open_is_refused_neg() throws Exception {
        FaultVdevDriver driver = new FaultVdevDriver(new FileVdevDriver());
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        server.registerMBean(new FaultInjection(driver), FaultInjection.objectName());
        String path = FileVdevDriver.createSparseFile(dir.resolve("d2"), 1 << 20).toString();
        String other = FileVdevDriver.createSparseFile(dir.resolve("d3"), 1 << 20).toString();
        String[] sig = {String.class.getName()};
        try (FaultBlockDevice dev = driver.open("fault:" + other, false)) {
            for (String op : java.util.List.of("hangWrites", "failWrites", "failReads", "noSpace")) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> server.invoke(FaultInjection.objectName(), op,
                        new Object[] {path}, sig)).as(op).hasRootCauseInstanceOf(IllegalArgumentException.class)
                        .rootCause().hasMessageContaining("not open through the fault driver")
                        .hasMessageContaining("fault:" + other);
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> server.invoke(FaultInjection.objectName(),
                    "delayIo", new Object[] {path, 5L}, new String[] {String.class.getName(), "long"}))
                    .hasRootCauseInstanceOf(IllegalArgumentException.class);
            // nothing was armed: a later open of that path is not poisoned
            assertThat(driver.injector(path).ruleCount()).isZero();
        }
        // clear and hungIo stay harmless on any path
        server.invoke(FaultInjection.objectName(), "clear", new Object[] {path}, sig);
        assertThat((Integer) server.invoke(FaultInjection.objectName(), "hungIo", new Object[] {path}, sig)).isZero();
    }

    @Test
    void rules_armed_through_the_mbean_end_with_the_last_open_handle_pos() throws Exception {
        FaultVdevDriver driver = new FaultVdevDriver(new FileVdevDriver());
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        server.registerMBean(new FaultInjection(driver), FaultInjection.objectName());
        String path = FileVdevDriver.createSparseFile(dir.resolve("d4"), 1 << 20).toString();
        String[] sig = {String.class.getName()};
        FaultBlockDevice first = driver.open("fault:" + path, false);
        FaultBlockDevice second = driver.open("fault:" + path, true);
        assertThat(driver.openPaths()).containsExactly("fault:" + path);
        server.invoke(FaultInjection.objectName(), "failWrites", new Object[] {path}, sig);
        first.close();
        first.close(); // a second close counts once
        assertThat(driver.isOpen(path)).isTrue();
        assertThat(driver.injector(path).ruleCount()).isEqualTo(1);
        second.close();
        assertThat(driver.isOpen(path)).isFalse();
        assertThat(driver.injector(path).ruleCount()).isZero();
        try (FaultBlockDevice again = driver.open("fault:" + path, false)) {
            again.write(0, ByteBuffer.allocate(512)); // the new open starts clean
        }
        // rules set through the Java API (tests arming a device before a pool opens it) are left alone
        driver.injector(path).add(FaultRule.error().on(FaultRule.Op.WRITE));
        driver.open("fault:" + path, false).close();
        assertThat(driver.injector(path).ruleCount()).isEqualTo(1);
    }
}
