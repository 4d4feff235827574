package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolProperty;
import org.tarn.api.PropertySource;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineDefaults;
import org.tarn.engine.TestPools;
import org.tarn.engine.dmu.PoolDirectory;

/**
 * Each property says where its value comes from, as zpool get's SOURCE: set
 * at create or later is {@code LOCAL} (even when equal to the default), the
 * rest is {@code DEFAULT}; the sources are kept in the pool across export and
 * import, and a pool written before they were kept reads values other than
 * the default as set.
 */
class PropertySourcesTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    @Test
    void sources_follow_create_and_set_and_survive_import_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            Pool pool = engine.createPool("p", VdevLayout.parse(d.get(0)), Map.of(PoolProperty.COMMENT, "made"),
                    false);
            Map<String, PropertySource> s = pool.propertySources();
            assertThat(s).containsOnlyKeys(pool.properties().keySet());
            assertThat(s.get(PoolProperty.COMMENT)).isEqualTo(PropertySource.LOCAL);
            assertThat(s.get(PoolProperty.FAILMODE)).isEqualTo(PropertySource.DEFAULT);
            // set to the value it already had: still set by the operator
            pool.setProperty(PoolProperty.FAILMODE, pool.properties().get(PoolProperty.FAILMODE));
            assertThat(pool.propertySources().get(PoolProperty.FAILMODE)).isEqualTo(PropertySource.LOCAL);
            assertThat(pool.propertySources().get(PoolProperty.CHECKSUM)).isEqualTo(PropertySource.DEFAULT);
            engine.exportPool("p", false);

            Pool again = engine.importPool("p", ImportOptions.parse("dir=" + Path.of(d.get(0)).getParent()));
            assertThat(again.propertySources().get(PoolProperty.COMMENT)).isEqualTo(PropertySource.LOCAL);
            assertThat(again.propertySources().get(PoolProperty.FAILMODE)).isEqualTo(PropertySource.LOCAL);
            assertThat(again.propertySources().get(PoolProperty.CHECKSUM)).isEqualTo(PropertySource.DEFAULT);
        }
    }

    @Test
    void a_directory_without_sources_reads_them_back_as_unknown_and_with_them_exactly_pos() {
        Map<String, String> props = EngineDefaults.properties();
        PoolDirectory old = new PoolDirectory(7, props, 1, List.of(), List.of(), List.of());
        assertThat(PoolDirectory.decode(old.encode()).localProperties()).isNull();
        PoolDirectory now = new PoolDirectory(7, props, 1, List.of(), List.of(), List.of(), Map.of(), null, null,
                List.of("failmode", "comment"));
        assertThat(PoolDirectory.decode(now.encode()).localProperties()).containsExactly("comment", "failmode");
        PoolDirectory none = new PoolDirectory(7, props, 1, List.of(), List.of(), List.of(), Map.of(), null, null,
                List.of());
        assertThat(PoolDirectory.decode(none.encode()).localProperties()).isEmpty();
    }
}
