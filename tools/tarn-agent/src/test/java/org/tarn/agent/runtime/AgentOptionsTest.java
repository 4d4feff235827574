package org.tarn.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The agent's {@code key=value} options. */
class AgentOptionsTest {
    @Test
    void defaults_confine_to_the_state_directory_s_devices_without_link_targets_pos() {
        AgentOptions o = AgentOptions.parse("state=/srv/tarn");
        assertThat(o.stateDir()).isEqualTo(Path.of("/srv/tarn"));
        assertThat(o.searchPaths()).containsExactly(Path.of("/srv/tarn/devices"));
        assertThat(o.linkTargets()).isEmpty();
        assertThat(o.jolokiaPort()).isZero();
    }

    @Test
    void links_name_the_directories_device_links_may_lead_into_pos() {
        AgentOptions o = AgentOptions.parse("search=/srv/by-id,links=/dev" + File.pathSeparator + "/mnt/luns/../luns2");
        assertThat(o.searchPaths()).containsExactly(Path.of("/srv/by-id"));
        assertThat(o.linkTargets()).isEqualTo(List.of(Path.of("/dev"), Path.of("/mnt/luns2")));
    }

    @Test
    void bad_options_are_refused_with_what_is_wrong_neg() {
        assertThatThrownBy(() -> AgentOptions.parse("links=")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("links= needs a value");
        assertThatThrownBy(() -> AgentOptions.parse("link=/dev")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown agent option 'link'").hasMessageContaining("links");
        assertThatThrownBy(() -> AgentOptions.parse("jolokia=99999")).hasMessageContaining("not a port number");
    }

    @Test
    void cache_sets_the_block_cache_budget_pos() {
        assertThat(AgentOptions.parse("cache=256m").blockCacheBytes()).isEqualTo(256L << 20);
        assertThat(AgentOptions.parse("cache=1g").blockCacheBytes()).isEqualTo(1L << 30);
        assertThat(AgentOptions.parse("cache=4096").blockCacheBytes()).isEqualTo(4096);
        assertThat(AgentOptions.parse("state=/tmp/x").blockCacheBytes()).as("default: the engine's").isZero();
    }

    @Test
    void cache_that_is_not_a_byte_count_is_refused_neg() {
        assertThatThrownBy(() -> AgentOptions.parse("cache=lots")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cache=lots is not a byte count");
        assertThatThrownBy(() -> AgentOptions.parse("cache=-5")).isInstanceOf(IllegalArgumentException.class);
    }
}
