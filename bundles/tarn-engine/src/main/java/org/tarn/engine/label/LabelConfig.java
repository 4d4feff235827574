package org.tarn.engine.label;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The pool configuration one leaf's labels hold: who the pool is, which leaf
 * this is, the whole vdev tree, and the pool state import decisions rest on.
 * Every leaf of a pool holds the same configuration except for
 * {@link #vdevGuid} and {@link #topGuid}; see {@link #forLeaf}.
 *
 * @param poolName      the pool's name
 * @param poolGuid      the pool's unique id
 * @param vdevGuid      the leaf these labels are on; a leaf of {@code vdevTree}
 * @param topGuid       the top-level vdev holding that leaf
 * @param state         ACTIVE, EXPORTED or DESTROYED
 * @param hostid        the host that last had the pool imported
 * @param hostname      its name, for messages
 * @param txg           the transaction group at which this config was written
 * @param formatVersion the on-disk format of the pool
 * @param properties    pool properties, sorted by name
 * @param vdevTree      the root of the vdev tree
 * @param spares        the pool's hot spares (leaves outside the tree); a spare's own labels name it as
 *                      {@code vdevGuid} and {@code topGuid}. Empty in pools written before spares existed.
 */
public record LabelConfig(String poolName, long poolGuid, long vdevGuid, long topGuid, PoolLabelState state,
                          long hostid, String hostname, long txg, int formatVersion,
                          Map<String, String> properties, VdevConfig vdevTree, List<VdevConfig> spares) {

    /** The format version this engine writes. */
    public static final int FORMAT_VERSION = LabelLayout.FORMAT_VERSION;

    private static final String K_NAME = "name";
    private static final String K_POOL_GUID = "pool_guid";
    private static final String K_GUID = "guid";
    private static final String K_TOP_GUID = "top_guid";
    private static final String K_STATE = "state";
    private static final String K_HOSTID = "hostid";
    private static final String K_HOSTNAME = "hostname";
    private static final String K_TXG = "txg";
    private static final String K_VERSION = "version";
    private static final String K_PROPERTIES = "properties";
    private static final String K_VDEV_TREE = "vdev_tree";
    private static final String K_SPARES = "spares";

    /** A config of a pool without hot spares. */
    public LabelConfig(String poolName, long poolGuid, long vdevGuid, long topGuid, PoolLabelState state,
                       long hostid, String hostname, long txg, int formatVersion, Map<String, String> properties,
                       VdevConfig vdevTree) {
        this(poolName, poolGuid, vdevGuid, topGuid, state, hostid, hostname, txg, formatVersion, properties,
                vdevTree, List.of());
    }

    public LabelConfig {
        spares = spares == null ? List.of() : List.copyOf(spares);
        Objects.requireNonNull(poolName, "poolName");
        if (poolName.isBlank()) {
            throw new IllegalArgumentException("pool name must not be blank");
        }
        Objects.requireNonNull(state, "state");
        hostname = hostname == null ? "" : hostname;
        if (txg < 0) {
            throw new IllegalArgumentException("txg " + txg + " is negative");
        }
        if (formatVersion < 1) {
            throw new IllegalArgumentException("format version " + formatVersion + " is not valid");
        }
        Objects.requireNonNull(properties, "properties");
        TreeMap<String, String> sorted = new TreeMap<>();
        properties.forEach((k, v) -> sorted.put(Objects.requireNonNull(k, "property name"),
                Objects.requireNonNull(v, () -> "value of property " + k)));
        properties = Collections.unmodifiableMap(sorted);
        Objects.requireNonNull(vdevTree, "vdevTree");
        for (VdevConfig spare : spares) {
            if (!spare.isLeaf() || vdevTree.findByGuid(spare.guid()).isPresent()) {
                throw new IllegalArgumentException("spare " + Long.toUnsignedString(spare.guid()) + " of pool '"
                        + poolName + "' must be a leaf outside the vdev tree");
            }
        }
        boolean isSpare = spares.stream().anyMatch(sp -> sp.guid() == vdevGuid);
        if (isSpare) {
            if (topGuid != vdevGuid) {
                throw new IllegalArgumentException("spare " + Long.toUnsignedString(vdevGuid) + " of pool '"
                        + poolName + "' has top-level " + Long.toUnsignedString(topGuid) + ", expected itself");
            }
        }
        VdevConfig leaf = isSpare ? spares.stream().filter(sp -> sp.guid() == vdevGuid).findFirst().orElseThrow()
                : vdevTree.findByGuid(vdevGuid).orElseThrow(() -> new IllegalArgumentException(
                "vdev " + Long.toUnsignedString(vdevGuid) + " is not in the vdev tree of pool '" + poolName + "'"));
        if (!leaf.isLeaf()) {
            throw new IllegalArgumentException("vdev " + Long.toUnsignedString(vdevGuid) + " of pool '"
                    + poolName + "' is a " + leaf.type() + ", not a leaf");
        }
        long expectedTop = vdevTree.topLevelFor(vdevGuid).map(VdevConfig::guid).orElse(vdevGuid);
        if (expectedTop != topGuid && !isSpare) {
            throw new IllegalArgumentException("vdev " + Long.toUnsignedString(vdevGuid) + " belongs to top-level "
                    + Long.toUnsignedString(expectedTop) + ", not " + Long.toUnsignedString(topGuid));
        }
    }

    /** A config at the current format version for the leaf {@code leafGuid} of {@code vdevTree}. */
    public static LabelConfig of(String poolName, long poolGuid, long leafGuid, PoolLabelState state,
                                 long hostid, String hostname, long txg, Map<String, String> properties,
                                 VdevConfig vdevTree) {
        long top = vdevTree.topLevelFor(leafGuid).map(VdevConfig::guid).orElse(leafGuid);
        return new LabelConfig(poolName, poolGuid, leafGuid, top, state, hostid, hostname, txg,
                FORMAT_VERSION, properties, vdevTree, List.of());
    }

    /** The same config as written to another leaf of the tree. */
    public LabelConfig forLeaf(long leafGuid) {
        long top = vdevTree.topLevelFor(leafGuid).map(VdevConfig::guid).orElse(leafGuid);
        return new LabelConfig(poolName, poolGuid, leafGuid, top, state, hostid, hostname, txg, formatVersion,
                properties, vdevTree, spares);
    }

    public LabelConfig withState(PoolLabelState newState) {
        return new LabelConfig(poolName, poolGuid, vdevGuid, topGuid, newState, hostid, hostname, txg,
                formatVersion, properties, vdevTree, spares);
    }

    public LabelConfig withTxg(long newTxg) {
        return new LabelConfig(poolName, poolGuid, vdevGuid, topGuid, state, hostid, hostname, newTxg,
                formatVersion, properties, vdevTree, spares);
    }

    public LabelConfig withHost(long newHostid, String newHostname) {
        return new LabelConfig(poolName, poolGuid, vdevGuid, topGuid, state, newHostid, newHostname, txg,
                formatVersion, properties, vdevTree, spares);
    }

    /** This leaf's node of the tree (or of the spares). */
    public VdevConfig leaf() {
        return vdevTree.findByGuid(vdevGuid).or(() -> spares.stream().filter(sp -> sp.guid() == vdevGuid)
                .findFirst()).orElseThrow();
    }

    /** Whether these labels are those of a hot spare of the pool rather than of a leaf of its tree. */
    public boolean isSpare() {
        return spares.stream().anyMatch(sp -> sp.guid() == vdevGuid);
    }

    /** This leaf's top-level vdev. */
    public VdevConfig topLevel() {
        return vdevTree.findByGuid(topGuid).orElseThrow();
    }

    public NvList toNvList() {
        NvList props = new NvList();
        properties.forEach(props::putString);
        NvList nv = new NvList()
                .putLong(K_VERSION, formatVersion)
                .putString(K_NAME, poolName)
                .putLong(K_POOL_GUID, poolGuid)
                .putLong(K_GUID, vdevGuid)
                .putLong(K_TOP_GUID, topGuid)
                .putLong(K_STATE, state.id())
                .putLong(K_HOSTID, hostid)
                .putString(K_HOSTNAME, hostname)
                .putLong(K_TXG, txg)
                .putNvList(K_PROPERTIES, props)
                .putNvList(K_VDEV_TREE, vdevTree.toNvList());
        if (!spares.isEmpty()) {
            nv.putNvLists(K_SPARES, spares.stream().map(VdevConfig::toNvList).toList());
        }
        return nv;
    }

    /**
     * @throws IllegalArgumentException ({@link NvListException} for a missing or
     *         mistyped value) if {@code nv} is not a valid label config
     */
    public static LabelConfig fromNvList(NvList nv) {
        long version = nv.getLong(K_VERSION);
        if (version < 1 || version > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("format version " + version + " is not valid");
        }
        NvList props = nv.getNvListOrEmpty(K_PROPERTIES);
        Map<String, String> properties = new TreeMap<>();
        for (String name : props.names()) {
            properties.put(name, props.getString(name));
        }
        List<VdevConfig> spares = new java.util.ArrayList<>();
        if (nv.contains(K_SPARES)) {
            for (NvList sp : nv.getNvLists(K_SPARES)) {
                spares.add(VdevConfig.fromNvList(sp));
            }
        }
        return new LabelConfig(nv.getString(K_NAME), nv.getLong(K_POOL_GUID), nv.getLong(K_GUID),
                nv.getLong(K_TOP_GUID), PoolLabelState.byId(nv.getLong(K_STATE)), nv.getLong(K_HOSTID),
                nv.getString(K_HOSTNAME, ""), nv.getLong(K_TXG), (int) version, properties,
                VdevConfig.fromNvList(nv.getNvList(K_VDEV_TREE)), spares);
    }
}
