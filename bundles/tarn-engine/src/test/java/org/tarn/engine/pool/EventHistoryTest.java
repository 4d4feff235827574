package org.tarn.engine.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ImportOptions;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.VdevLayout;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.engine.TestPools;

/**
 * A pool's events outlive its import and the engine: a new import, or the
 * engine started again on the same state directory, shows the earlier events
 * first, in the order they happened; the file stays bounded.
 */
class EventHistoryTest {
    @TempDir
    Path dir;

    private final TestPools.Drivers drivers = new TestPools.Drivers();

    private static List<String> types(Pool pool) {
        return pool.events().stream().map(PoolEvent::type).toList();
    }

    @Test
    void events_survive_export_import_and_restart_in_order_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        Path state = dir.resolve("state");
        String devices = Path.of(d.get(0)).getParent().toString();
        EngineSettings settings = EngineSettings.persistent(state).withIoTimeoutMillis(2000);
        try (Engine engine = TarnEngine.start(settings, drivers.list())) {
            engine.createPool("p", VdevLayout.parse(d.get(0)), Map.of(), false);
            engine.exportPool("p", false);
            Pool again = engine.importPool("p", ImportOptions.parse("dir=" + devices));
            assertThat(types(again)).containsSubsequence(PoolEvent.CREATED, PoolEvent.EXPORTED, PoolEvent.IMPORTED);
        }
        assertThat(state.resolve(EventLog.FILE)).exists();
        // a new engine on the same state directory: the pool comes back from the cache file with its history
        try (Engine engine = TarnEngine.start(settings, drivers.list())) {
            Pool p = engine.pool("p").orElseThrow();
            List<PoolEvent> events = p.events();
            assertThat(events.stream().map(PoolEvent::type).toList()).containsSubsequence(PoolEvent.CREATED,
                    PoolEvent.EXPORTED, PoolEvent.IMPORTED, PoolEvent.EXPORTED, PoolEvent.IMPORTED);
            assertThat(events).extracting(PoolEvent::time).isSorted();
        }
    }

    @Test
    void an_ephemeral_engine_keeps_the_history_across_export_and_import_pos() throws Exception {
        List<String> d = TestPools.devices(dir, 1);
        try (Engine engine = TestPools.engine(drivers)) {
            engine.createPool("e", VdevLayout.parse(d.get(0)), Map.of(), false);
            engine.exportPool("e", false);
            Pool again = engine.importPool("e", ImportOptions.parse("dir=" + Path.of(d.get(0)).getParent()));
            assertThat(types(again)).containsSubsequence(PoolEvent.CREATED, PoolEvent.EXPORTED, PoolEvent.IMPORTED);
        }
    }

    @Test
    void the_file_is_bounded_and_details_with_tabs_and_newlines_come_back_pos() throws Exception {
        Path state = Files.createDirectories(dir.resolve("s"));
        EventLog log = new EventLog(Optional.of(state), 50, 4096);
        String odd = "a\tb\nc\\d";
        Instant t0 = Instant.parse("2026-12-03T10:00:00Z");
        for (int i = 0; i < 500; i++) {
            PoolEvent e = new PoolEvent(t0.plusMillis(i), "test", i == 499 ? odd : "event " + i);
            log.record(7, e);
            log.append("p", 7, e);
        }
        log.close();
        assertThat(Files.size(state.resolve(EventLog.FILE))).isLessThanOrEqualTo(4096);
        assertThat(Files.size(state.resolve(EventLog.FILE + ".1"))).isLessThanOrEqualTo(4096);

        EventLog read = new EventLog(Optional.of(state), 50, 4096);
        List<PoolEvent> h = read.history(7);
        assertThat(h).hasSize(50);
        assertThat(h.get(49).detail()).isEqualTo(odd);
        assertThat(h.get(48).detail()).isEqualTo("event 498");
        assertThat(h).extracting(PoolEvent::time).isSorted();
        assertThat(read.history(8)).isEmpty();
    }

    @Test
    void unreadable_lines_are_skipped_neg() throws Exception {
        Path state = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(state.resolve(EventLog.FILE), "garbage\n2026-12-03T10:00:00Z\t7\tp\tcreated\tok\n"
                + "not-a-time\t7\tp\tx\ty\n");
        assertThat(new EventLog(Optional.of(state), 10, 4096).history(7))
                .containsExactly(new PoolEvent(Instant.parse("2026-12-03T10:00:00Z"), "created", "ok"));
    }
}
