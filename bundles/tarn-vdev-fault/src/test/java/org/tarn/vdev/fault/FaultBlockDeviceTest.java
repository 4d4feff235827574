package org.tarn.vdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.vdev.DeviceFullException;
import org.tarn.vdev.fault.FaultRule.Effect;
import org.tarn.vdev.fault.FaultRule.Op;
import org.tarn.vdev.file.FileVdevDriver;

class FaultBlockDeviceTest {

    private static final long DEVICE_BYTES = 1L << 20;
    private static final int BLOCK_BYTES = 4096;
    private static final long LATENCY_MILLIS = 200;
    /** How long a hung I/O must stay hung to count as "still hung"; a lower bound, not a guess. */
    private static final Duration STAYS_HUNG = Duration.ofMillis(300);
    /** Generous bound that only catches a close() that blocks on the hung I/O. */
    private static final Duration CLOSE_BOUND = Duration.ofSeconds(5);
    private static final Duration AWAIT_BOUND = Duration.ofSeconds(10);
    private static final long SEED = 42;

    private final FaultVdevDriver driver = new FaultVdevDriver(new FileVdevDriver());
    private final ExecutorService executor = Executors.newCachedThreadPool();

    @TempDir
    Path dir;

    private String path;
    private FaultInjector injector;
    private FaultBlockDevice device;
    private byte[] data;

    @BeforeEach
    void openDevice() throws Exception {
        Path file = FileVdevDriver.createSparseFile(dir.resolve("d0"), DEVICE_BYTES);
        path = "fault:" + file;
        injector = driver.injector(path);
        device = driver.open(path, false);
        data = new byte[BLOCK_BYTES];
        new Random(SEED).nextBytes(data);
        device.write(0, ByteBuffer.wrap(data));
    }

    @AfterEach
    void cleanUp() throws Exception {
        injector.clear();
        executor.shutdownNow();
        device.close();
    }

    @Test
    void noRules_pos_passesThrough() throws Exception {
        assertThat(read(0, BLOCK_BYTES)).isEqualTo(data);
        device.flush();

        assertThat(injector.injectedCount()).isZero();
        assertThat(injector.ioCount(Op.WRITE)).isEqualTo(1);
        assertThat(injector.ioCount(Op.READ)).isEqualTo(1);
        assertThat(injector.ioCount(Op.FLUSH)).isEqualTo(1);
        assertThat(injector.ioCount(Op.ANY)).isEqualTo(3);
    }

    @Test
    void error_neg_writesInRangeOnly() throws Exception {
        injector.add(FaultRule.error().on(Op.WRITE).range(BLOCK_BYTES, 2 * BLOCK_BYTES));
        byte[] ones = filled(BLOCK_BYTES, 1);

        assertThatThrownBy(() -> device.write(BLOCK_BYTES, ByteBuffer.wrap(ones)))
                .isExactlyInstanceOf(IOException.class)
                .hasMessage("injected I/O error on " + path + " at offset " + BLOCK_BYTES);
        assertThatThrownBy(() -> device.write(BLOCK_BYTES - 100, ByteBuffer.wrap(ones)))
                .as("a write straddling the start of the range")
                .hasMessage("injected I/O error on " + path + " at offset " + (BLOCK_BYTES - 100));

        device.write(0, ByteBuffer.wrap(data));
        device.write(2 * BLOCK_BYTES, ByteBuffer.wrap(ones));
        device.flush();
        assertThat(read(BLOCK_BYTES, BLOCK_BYTES)).as("the failed writes wrote nothing").containsOnly(0);
        assertThat(injector.injectedCount(Effect.ERROR)).isEqualTo(2);
    }

    @Test
    void error_neg_flushMessage() {
        injector.add(FaultRule.error().on(Op.FLUSH));

        assertThatThrownBy(device::flush).hasMessage("injected I/O error on " + path + " during flush");
    }

    @Test
    void error_neg_countLimited() throws Exception {
        injector.add(FaultRule.error().times(2));

        assertThatThrownBy(() -> read(0, 1)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read(0, 1)).isInstanceOf(IOException.class);
        assertThat(read(0, BLOCK_BYTES)).isEqualTo(data);

        assertThat(injector.ruleCount()).isZero();
        assertThat(injector.injectedCount()).isEqualTo(2);
        assertThat(injector.ioCount(Op.READ)).isEqualTo(3);
    }

    @Test
    void error_neg_countLimitedUnderConcurrency() throws Exception {
        int limit = 10;
        int threads = 8;
        int readsPerThread = 50;
        injector.add(FaultRule.error().on(Op.READ).times(limit));
        AtomicInteger failures = new AtomicInteger();

        List<Future<?>> readers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            readers.add(executor.submit(() -> {
                for (int i = 0; i < readsPerThread; i++) {
                    try {
                        read(i, 1);
                    } catch (IOException e) {
                        failures.incrementAndGet();
                    }
                }
            }));
        }
        for (Future<?> reader : readers) {
            reader.get();
        }

        assertThat(failures).hasValue(limit);
        assertThat(injector.injectedCount()).isEqualTo(limit);
        assertThat(injector.ioCount(Op.READ)).isEqualTo((long) threads * readsPerThread);
    }

    @Test
    void probability_pos_seededPatternIsReproducible() {
        List<Boolean> first = failurePattern(SEED);
        List<Boolean> again = failurePattern(SEED);
        List<Boolean> otherSeed = failurePattern(SEED + 1);

        assertThat(again).isEqualTo(first);
        assertThat(otherSeed).isNotEqualTo(first);
        assertThat(first).contains(true, false);
    }

    @Test
    void rules_pos_changesAtRunTimeApplyToTheNextIo() throws Exception {
        assertThat(read(0, 1)).hasSize(1);

        injector.add(FaultRule.error().on(Op.READ));
        assertThatThrownBy(() -> read(0, 1)).isInstanceOf(IOException.class);

        injector.clear();
        assertThat(read(0, BLOCK_BYTES)).isEqualTo(data);
    }

    @Test
    void rules_pos_firstFailingRuleDecides() {
        injector.add(FaultRule.error().on(Op.READ)).add(FaultRule.corrupt()).add(FaultRule.noSpace());

        assertThatThrownBy(() -> read(0, 1)).isExactlyInstanceOf(IOException.class);
        assertThat(injector.injectedCount(Effect.ERROR)).isEqualTo(1);
        assertThat(injector.injectedCount(Effect.CORRUPT)).isZero();
    }

    @Test
    void noSpace_neg_writeAndFlushButNotRead() throws Exception {
        injector.add(FaultRule.noSpace());

        assertThatThrownBy(() -> device.write(BLOCK_BYTES, ByteBuffer.wrap(data)))
                .isInstanceOf(DeviceFullException.class)
                .hasMessageContaining(path)
                .hasMessageContaining("offset " + BLOCK_BYTES);
        assertThatThrownBy(device::flush).isInstanceOf(DeviceFullException.class);
        assertThat(read(0, BLOCK_BYTES)).isEqualTo(data);
        assertThat(injector.injectedCount(Effect.NO_SPACE)).isEqualTo(2);
    }

    @Test
    void corrupt_neg_readFlipsOneBitOfTheReturnedDataOnly() throws Exception {
        injector.add(FaultRule.corrupt().on(Op.READ).once());

        byte[] corrupted = read(0, BLOCK_BYTES);

        assertOneBitFlipped(corrupted, data);
        assertThat(read(0, BLOCK_BYTES)).as("the device itself is intact").isEqualTo(data);
    }

    @Test
    void corrupt_neg_writeStoresBadDataAndSparesTheCallersBuffer() throws Exception {
        injector.add(FaultRule.corrupt().on(Op.WRITE).once());
        byte[] written = data.clone();
        ByteBuffer src = ByteBuffer.wrap(written);

        device.write(BLOCK_BYTES, src);

        assertThat(src.hasRemaining()).isFalse();
        assertThat(written).isEqualTo(data);
        byte[] stored = read(BLOCK_BYTES, BLOCK_BYTES);
        assertOneBitFlipped(stored, data);
        assertThat(read(BLOCK_BYTES, BLOCK_BYTES)).as("the corruption is on the device").isEqualTo(stored);
    }

    @Test
    void corrupt_neg_staysInsideTheRange() throws Exception {
        int from = 1000;
        int to = 1010;
        injector.add(FaultRule.corrupt().on(Op.READ).range(from, to));

        for (int i = 0; i < 20; i++) {
            int index = assertOneBitFlipped(read(0, BLOCK_BYTES), data);
            assertThat(index).isBetween(from, to - 1);
        }
    }

    @Test
    void latency_pos_delaysThenDoesTheIo() throws Exception {
        injector.add(FaultRule.latency(LATENCY_MILLIS).on(Op.READ));

        long startNanos = System.nanoTime();
        byte[] back = read(0, BLOCK_BYTES);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);

        assertThat(elapsedMillis).isGreaterThanOrEqualTo(LATENCY_MILLIS);
        assertThat(back).isEqualTo(data);
        assertThat(injector.injectedCount(Effect.LATENCY)).isEqualTo(1);
    }

    @Test
    void latency_neg_composesWithAnError() {
        injector.add(FaultRule.latency(LATENCY_MILLIS)).add(FaultRule.error());

        long startNanos = System.nanoTime();
        assertThatThrownBy(() -> read(0, 1)).isInstanceOf(IOException.class);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);

        assertThat(elapsedMillis).isGreaterThanOrEqualTo(LATENCY_MILLIS);
        assertThat(injector.injectedCount()).isEqualTo(2);
    }

    @Test
    void hang_pos_blocksUntilReleasedThenDoesTheIo() throws Exception {
        injector.add(FaultRule.hang().on(Op.READ).once());

        CompletableFuture<byte[]> hung = readAsync(0, BLOCK_BYTES);
        awaitHung(1);
        assertThat(hung).isNotDone();

        injector.releaseHangs();

        assertThat(hung.get(AWAIT_BOUND.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(data);
        assertThat(injector.hungCount()).isZero();
    }

    @Test
    void hang_pos_ruleStaysAfterReleaseAndClearRemovesIt() throws Exception {
        injector.add(FaultRule.hang().on(Op.WRITE));

        CompletableFuture<byte[]> unaffectedRead = readAsync(0, BLOCK_BYTES);
        assertThat(unaffectedRead.get(AWAIT_BOUND.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(data);

        CompletableFuture<Void> first = writeAsync(BLOCK_BYTES);
        awaitHung(1);
        injector.releaseHangs();
        first.get(AWAIT_BOUND.toMillis(), TimeUnit.MILLISECONDS);

        CompletableFuture<Void> second = writeAsync(BLOCK_BYTES);
        awaitHung(1);
        injector.clear();
        second.get(AWAIT_BOUND.toMillis(), TimeUnit.MILLISECONDS);

        device.write(BLOCK_BYTES, ByteBuffer.wrap(data));
        assertThat(injector.injectedCount(Effect.HANG)).isEqualTo(2);
    }

    @Test
    void hang_neg_closeReturnsAndTheIoStaysHung() throws Exception {
        injector.add(FaultRule.hang().on(Op.READ));
        CompletableFuture<byte[]> hung = readAsync(0, BLOCK_BYTES);
        awaitHung(1);

        assertTimeoutPreemptively(CLOSE_BOUND, device::close);

        await().during(STAYS_HUNG).atMost(STAYS_HUNG.plus(AWAIT_BOUND))
                .until(() -> injector.hungCount() == 1 && !hung.isDone());
        injector.releaseHangs();
        assertThatThrownBy(() -> hung.get(AWAIT_BOUND.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(ClosedChannelException.class);
    }

    @Test
    void hang_neg_ignoresInterruptsAndRestoresTheFlag() throws Exception {
        injector.add(FaultRule.hang().on(Op.READ).once());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean interruptedAfterwards = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            try {
                read(0, 1);
            } catch (IOException e) {
                failure.set(e);
            } finally {
                interruptedAfterwards.set(Thread.currentThread().isInterrupted());
            }
        }, "hung-reader");
        reader.start();
        awaitHung(1);

        reader.interrupt();

        await().during(STAYS_HUNG).atMost(STAYS_HUNG.plus(AWAIT_BOUND))
                .until(() -> injector.hungCount() == 1 && reader.isAlive());
        injector.releaseHangs();
        reader.join(AWAIT_BOUND.toMillis());
        assertThat(reader.isAlive()).isFalse();
        assertThat(interruptedAfterwards).isTrue();
        assertThat(failure.get()).as("the file channel refuses an interrupted thread")
                .isInstanceOf(ClosedByInterruptException.class);
        assertThat(read(0, BLOCK_BYTES)).as("other threads still reach the device").isEqualTo(data);
    }

    private List<Boolean> failurePattern(long seed) {
        int reads = 64;
        injector.clear();
        injector.seed(seed).add(FaultRule.error().on(Op.READ).probability(0.3));
        List<Boolean> pattern = new ArrayList<>();
        for (int i = 0; i < reads; i++) {
            try {
                read(0, 1);
                pattern.add(false);
            } catch (IOException e) {
                pattern.add(true);
            }
        }
        return pattern;
    }

    // ---- uncached transfers --------------------------------------------------------

    @Test
    void uncached_pos_passesThroughWithTheInnerModeAndUnit() throws Exception {
        try (org.tarn.api.vdev.BlockDevice plain = new FileVdevDriver().open(path.substring("fault:".length()),
                true)) {
            assertThat(device.uncachedMode()).isEqualTo(plain.uncachedMode());
            assertThat(device.uncachedUnitBytes()).isEqualTo(plain.uncachedUnitBytes());
        }
        byte[] slot = filled(1024, 7);
        device.writeUncached(1024, ByteBuffer.wrap(slot));
        ByteBuffer back = ByteBuffer.allocate(1024);
        device.readUncached(1024, back);
        assertThat(back.array()).isEqualTo(slot);
        assertThat(read(1024, 1024)).as("the buffered view").isEqualTo(slot);
        assertThat(injector.ioCount(Op.WRITE)).as("the setup's write and the uncached one").isEqualTo(2);
        assertThat(injector.ioCount(Op.READ)).isEqualTo(2);
    }

    @Test
    void uncached_neg_writeErrorRuleFailsUncachedWritesAndWritesNothing() throws Exception {
        injector.add(FaultRule.error().on(Op.WRITE).range(8192, 12288));
        assertThatThrownBy(() -> device.writeUncached(9000, ByteBuffer.wrap(filled(100, 1))))
                .isInstanceOf(IOException.class).hasMessageContaining("injected I/O error");
        ByteBuffer back = ByteBuffer.allocate(100);
        device.readUncached(9000, back);
        assertThat(back.array()).containsOnly(0);
        device.writeUncached(20_000, ByteBuffer.wrap(filled(100, 1)));
        assertThat(injector.injectedCount(Effect.ERROR)).isEqualTo(1);
    }

    @Test
    void uncached_neg_readCorruptionFlipsOneBitOfAnUncachedRead() throws Exception {
        injector.add(FaultRule.corrupt().on(Op.READ).once());
        ByteBuffer back = ByteBuffer.allocate(BLOCK_BYTES);
        device.readUncached(0, back);
        assertOneBitFlipped(back.array(), data);
        assertThat(read(0, BLOCK_BYTES)).as("the rule was spent").isEqualTo(data);
    }

    @Test
    void uncached_neg_noSpaceFailsUncachedWritesWithDeviceFull() {
        injector.add(FaultRule.noSpace());
        assertThatThrownBy(() -> device.writeUncached(0, ByteBuffer.wrap(filled(10, 1))))
                .isInstanceOf(DeviceFullException.class);
    }

    @Test
    void uncached_pos_hungUncachedWriteCompletesWhenReleased() throws Exception {
        injector.add(FaultRule.hang().on(Op.WRITE).once());
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            try {
                device.writeUncached(4096, ByteBuffer.wrap(filled(512, 9)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, executor);
        awaitHung(1);
        assertThat(write).isNotDone();
        injector.releaseHangs();
        write.get(AWAIT_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        ByteBuffer back = ByteBuffer.allocate(512);
        device.readUncached(4096, back);
        assertThat(back.array()).isEqualTo(filled(512, 9));
    }

    private void awaitHung(int count) {
        await().atMost(AWAIT_BOUND).until(() -> injector.hungCount() == count);
    }

    private CompletableFuture<byte[]> readAsync(long offset, int lengthBytes) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return read(offset, lengthBytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, executor);
    }

    private CompletableFuture<Void> writeAsync(long offset) {
        return CompletableFuture.runAsync(() -> {
            try {
                device.write(offset, ByteBuffer.wrap(data));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, executor);
    }

    private byte[] read(long offset, int lengthBytes) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(lengthBytes);
        device.read(offset, dst);
        return dst.array();
    }

    /** Asserts that the arrays differ in exactly one bit; returns the index of the byte that holds it. */
    private static int assertOneBitFlipped(byte[] actual, byte[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        List<Integer> differing = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) {
            if (actual[i] != expected[i]) {
                differing.add(i);
            }
        }
        assertThat(differing).hasSize(1);
        int index = differing.get(0);
        assertThat(Integer.bitCount((actual[index] ^ expected[index]) & 0xff)).isEqualTo(1);
        return index;
    }

    private static byte[] filled(int lengthBytes, int value) {
        byte[] bytes = new byte[lengthBytes];
        java.util.Arrays.fill(bytes, (byte) value);
        return bytes;
    }
}
