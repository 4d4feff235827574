package org.tarn.engine.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tarn.engine.label.LabelFixtures.DEVICE_BYTES;
import static org.tarn.engine.label.LabelFixtures.LEAF_A;
import static org.tarn.engine.label.LabelFixtures.LEAF_B;
import static org.tarn.engine.label.LabelFixtures.LEAF_C;
import static org.tarn.engine.label.LabelFixtures.MIRROR_GUID;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LabelConfigTest {

    @Test
    void vdevTree_pos_roundTripAndHelpers() {
        VdevConfig root = LabelFixtures.tree(DEVICE_BYTES);
        assertThat(VdevConfig.fromNvList(root.toNvList())).isEqualTo(root);

        assertThat(root.isRoot()).isTrue();
        assertThat(root.leaves()).extracting(VdevConfig::guid).containsExactly(LEAF_A, LEAF_B, LEAF_C);
        assertThat(root.leaves()).allMatch(VdevConfig::isLeaf);
        assertThat(root.guidSum()).isEqualTo(1001 + 2001 + 3001 + 3002 + 3003);
        assertThat(root.findByGuid(LEAF_B)).get().extracting(VdevConfig::path).isEqualTo("/dev/tarn/b");
        assertThat(root.findByGuid(42)).isEmpty();
        assertThat(root.topLevelFor(LEAF_B)).get().extracting(VdevConfig::guid).isEqualTo(MIRROR_GUID);
        assertThat(root.topLevelFor(LEAF_C)).get().extracting(VdevConfig::guid).isEqualTo(LEAF_C);
        assertThat(root.children()).extracting(VdevConfig::id).containsExactly(0, 1);

        VdevConfig mirror = root.children().get(0);
        assertThat(mirror.type()).isEqualTo(VdevConfig.TYPE_MIRROR);
        assertThat(mirror.path()).isEmpty();
        assertThat(mirror.dataStartBytes()).isEqualTo(LabelLayout.dataStartBytes());
        assertThat(mirror.dataEndBytes()).as("the smaller child's region").isEqualTo(LabelLayout.dataEndBytes(DEVICE_BYTES));
        assertThat(mirror.children().get(1).dataEndBytes()).isGreaterThan(mirror.dataEndBytes());
    }

    @Test
    void guidSum_pos_wraps() {
        VdevConfig a = VdevConfig.leaf("file", Long.MAX_VALUE, 0, "/a", DEVICE_BYTES);
        VdevConfig b = VdevConfig.leaf("file", Long.MAX_VALUE - 1, 0, "/b", DEVICE_BYTES);
        VdevConfig root = VdevConfig.root(3, List.of(a, b));
        assertThat(root.guidSum()).isEqualTo(Long.MAX_VALUE + (Long.MAX_VALUE - 1) + 3);
    }

    @Test
    void labelConfig_pos_roundTripAndForLeaf() {
        LabelConfig c = LabelFixtures.config(9);
        assertThat(LabelConfig.fromNvList(c.toNvList())).isEqualTo(c);
        assertThat(c.topGuid()).isEqualTo(MIRROR_GUID);
        assertThat(c.formatVersion()).isEqualTo(LabelConfig.FORMAT_VERSION).isEqualTo(1);
        assertThat(c.properties().keySet()).containsExactly("comment", "failmode", "multihost");

        LabelConfig onC = c.forLeaf(LEAF_C);
        assertThat(onC.vdevGuid()).isEqualTo(LEAF_C);
        assertThat(onC.topGuid()).isEqualTo(LEAF_C);
        assertThat(onC.leaf().type()).isEqualTo("fault");
        assertThat(c.withState(PoolLabelState.EXPORTED).state()).isEqualTo(PoolLabelState.EXPORTED);
        assertThat(c.withTxg(12).txg()).isEqualTo(12);
        assertThat(c.withHost(5, "host-b").hostname()).isEqualTo("host-b");
        assertThat(PoolLabelState.byId(2)).isEqualTo(PoolLabelState.DESTROYED);
    }

    @Test
    void vdevTree_neg_invalidTrees() {
        VdevConfig a = VdevConfig.leaf("file", 1, 0, "/a", DEVICE_BYTES);
        assertThatThrownBy(() -> new VdevConfig("mirror", 2, 0, "", List.of(), 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one child");
        assertThatThrownBy(() -> VdevConfig.root(1, List.of(a)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("appears twice");
        assertThatThrownBy(() -> new VdevConfig("root", 9, 0, "", List.of(a.withId(3)), 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has id 3");
        assertThatThrownBy(() -> new VdevConfig("file", 9, 0, "/x", List.of(), 100, 50))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data region");
        assertThatThrownBy(() -> new VdevConfig(" ", 9, 0, "/x", List.of(), 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VdevConfig.fromNvList(a.toNvList().putLong("id", -4)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VdevConfig.fromNvList(new NvList().putLong("id", 0)))
                .isInstanceOf(NvListException.class).hasMessageContaining("'type'");
    }

    @Test
    void labelConfig_neg_leafMustBeInTheTreeUnderItsTopLevel() {
        LabelConfig c = LabelFixtures.config(9);
        VdevConfig tree = c.vdevTree();
        Map<String, String> props = c.properties();
        assertThatThrownBy(() -> new LabelConfig("tank", 1, 777, 777, PoolLabelState.ACTIVE, 0, "h", 1, 1, props, tree))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not in the vdev tree");
        assertThatThrownBy(() -> new LabelConfig("tank", 1, LEAF_A, LEAF_C, PoolLabelState.ACTIVE, 0, "h", 1, 1, props,
                tree)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("belongs to top-level");
        assertThatThrownBy(() -> new LabelConfig("tank", 1, MIRROR_GUID, MIRROR_GUID, PoolLabelState.ACTIVE, 0, "h", 1,
                1, props, tree)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a leaf");
        assertThatThrownBy(() -> c.withTxg(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LabelConfig.fromNvList(c.toNvList().putLong("state", 9)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown pool state 9");
        assertThatThrownBy(() -> LabelConfig.fromNvList(c.toNvList().putString("txg", "9")))
                .isInstanceOf(NvListException.class).hasMessageContaining("'txg' is a STRING");
    }
}
