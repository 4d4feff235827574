package org.tarn.engine.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.Dataset;
import org.tarn.api.Health;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.PropertySource;
import org.tarn.engine.Engine;
import org.tarn.engine.TestPools;

/**
 * Pools written by earlier engines import and work in this one: the image
 * {@code b648102} ({@link CompatImage}, written by the engine at that commit,
 * before the directory kept property sources) imports with its properties,
 * datasets and data, its offline side and that side's dirty time log; the
 * side comes online and is resilvered from the log, and the pool then
 * serves every byte from that side alone; exported by this engine, it
 * imports again.
 */
class CompatImageTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private static void verify(Pool pool, CompatImage.Expected e) {
        List<byte[]> big = new ArrayList<>(e.big());
        big.add(e.late());
        check(pool, "big", big);
        check(pool, "small", e.small());
    }

    private static void check(Pool pool, String dataset, List<byte[]> expected) {
        try (Dataset ds = pool.openDataset(dataset)) {
            List<Long> ids = new ArrayList<>(ds.objects());
            ids.sort(null);
            assertThat(ids).as("objects of " + dataset).hasSize(expected.size());
            for (int i = 0; i < ids.size(); i++) {
                assertThat(ds.size(ids.get(i))).isEqualTo(expected.get(i).length);
                ByteBuffer b = ByteBuffer.allocate(expected.get(i).length);
                ds.read(ids.get(i), 0, b);
                assertThat(b.array()).as(dataset + " object " + ids.get(i)).isEqualTo(expected.get(i));
            }
        }
    }

    @Test
    void image_b648102_imports_resilvers_and_serves_its_data_pos() throws Exception {
        List<Path> d = CompatImage.unpack("b648102", dir);
        CompatImage.Expected expected = CompatImage.expected();
        ImportOptions from = ImportOptions.parse("dir=" + dir);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.importPool(CompatImage.POOL, from);
            assertThat(pool.properties()).containsEntry(PoolProperty.COMMENT, "compat image")
                    .containsEntry(PoolProperty.FAILMODE, "continue");
            // written before the directory kept sources: the values other than the defaults count as set
            assertThat(pool.propertySources()).containsEntry(PoolProperty.COMMENT, PropertySource.LOCAL)
                    .containsEntry(PoolProperty.FAILMODE, PropertySource.LOCAL)
                    .containsEntry(PoolProperty.CHECKSUM, PropertySource.DEFAULT);
            assertThat(pool.datasets()).contains("big", "small");
            assertThat(pool.health()).isEqualTo(Health.DEGRADED);
            verify(pool, expected);

            String side = d.get(1).toString();
            pool.online(side);
            await().atMost(BOUND).until(() -> pool.health() == Health.ONLINE);
            // every byte now comes from the resilvered side alone
            pool.offline(d.get(0).toString(), true);
            verify(pool, expected);
            pool.online(d.get(0).toString());
            await().atMost(BOUND).until(() -> pool.health() == Health.ONLINE);
            engine.exportPool(CompatImage.POOL, false);

            Pool again = engine.importPool(CompatImage.POOL, from);
            assertThat(again.health()).isEqualTo(Health.ONLINE);
            verify(again, expected);
        }
    }
}
