package org.tarn.engine.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.Pool;
import org.tarn.api.PoolManager;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.io.BlockCache;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.DeviceLabels;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelLayout;
import org.tarn.engine.label.LabelReader;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.label.VdevConfig;
import org.tarn.engine.vdev.Vdev;

/**
 * The pools of this process.
 *
 * <p>The namespace map is the only state shared between pools, and no call
 * holds it across device I/O: a name is reserved before a create or open does
 * its I/O and released after, so a hung device in one pool never blocks a
 * call on another.
 */
public final class SpaNamespace implements PoolManager {
    private static final Logger LOG = LoggerFactory.getLogger(SpaNamespace.class);
    private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final Set<String> RESERVED = Set.of("mirror", "raidz", "spare", "log", "cache");

    private final EngineSettings settings;
    private final List<VdevDriver> drivers;
    private final Map<String, Spa> pools = new ConcurrentHashMap<>();
    private final Set<String> busyNames = ConcurrentHashMap.newKeySet();
    private final SecureRandom random = new SecureRandom();

    public SpaNamespace(EngineSettings settings, List<VdevDriver> drivers) {
        this.settings = settings;
        this.drivers = new java.util.concurrent.CopyOnWriteArrayList<>(drivers);
    }

    public EngineSettings settings() {
        return settings;
    }

    // ---- names -------------------------------------------------------------

    private void reserve(String name) {
        if (pools.containsKey(name)) {
            throw new TarnException(ErrorCode.POOL_EXISTS, "a pool named '" + name + "' is already imported");
        }
        if (!busyNames.add(name)) {
            throw new TarnException(ErrorCode.IN_PROGRESS, "pool '" + name + "' is being created or imported");
        }
        if (pools.containsKey(name)) {
            busyNames.remove(name);
            throw new TarnException(ErrorCode.POOL_EXISTS, "a pool named '" + name + "' is already imported");
        }
    }

    private static void checkName(String name) {
        if (name == null || !POOL_NAME.matcher(name).matches() || RESERVED.contains(name)) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "invalid pool name '" + name
                    + "': start with a letter, then letters, digits and _.- (up to 64); not a vdev keyword");
        }
    }

    private void gone(Spa spa) {
        pools.remove(spa.name(), spa);
    }

    // ---- devices -----------------------------------------------------------

    private VdevDriver driverFor(String path) {
        for (VdevDriver d : drivers) {
            if (d.accepts(path)) {
                return d;
            }
        }
        throw new TarnException(ErrorCode.INVALID_ARGUMENT, "no vdev driver accepts device '" + path + "'");
    }

    private BlockDevice openDevice(String path, boolean readOnly) {
        try {
            return driverFor(path).open(path, readOnly);
        } catch (NoSuchFileException e) {
            throw new TarnException(ErrorCode.DEVICE_MISSING, "device '" + path + "' does not exist", e);
        } catch (AccessDeniedException e) {
            throw new TarnException(ErrorCode.DEVICE_READ_ONLY, "device '" + path + "' cannot be opened for "
                    + (readOnly ? "reading" : "writing"), e);
        } catch (IOException e) {
            throw new TarnException(ErrorCode.DEVICE_MISSING, "device '" + path + "' cannot be opened: "
                    + e.getMessage(), e);
        }
    }

    private static void closeQuietly(List<BlockDevice> devices) {
        for (BlockDevice d : devices) {
            try {
                d.close();
            } catch (IOException e) {
                LOG.warn("closing {} failed: {}", d.path(), e.toString());
            }
        }
    }

    private long newGuid(Set<Long> used) {
        long g;
        do {
            g = random.nextLong();
        } while (g == 0 || !used.add(g));
        return g;
    }

    // ---- create ------------------------------------------------------------

    @Override
    public Pool createPool(String name, VdevLayout layout, Map<String, String> properties, boolean force) {
        checkName(name);
        Map<String, String> props = PoolProperties.validateAll(properties == null ? Map.of() : properties);
        reserve(name);
        List<BlockDevice> opened = new ArrayList<>();
        try {
            Map<String, BlockDevice> byPath = new LinkedHashMap<>();
            for (String path : layout.devices()) {
                BlockDevice dev = openDevice(path, false);
                opened.add(dev);
                byPath.put(path, dev);
                if (dev.sizeBytes() < LabelLayout.MIN_DEVICE_BYTES) {
                    throw new TarnException(ErrorCode.DEVICE_TOO_SMALL, "device '" + path + "' has "
                            + dev.sizeBytes() + " bytes; a vdev needs at least " + LabelLayout.MIN_DEVICE_BYTES);
                }
                DeviceLabels labels = LabelReader.read(dev);
                Optional<LabelConfig> old = labels.bestConfig();
                if (old.isPresent() && old.get().state() == PoolLabelState.ACTIVE && !force) {
                    LabelConfig c = old.get();
                    throw new TarnException(ErrorCode.DEVICE_IN_USE, "device '" + path + "' is part of active pool '"
                            + c.poolName() + "' (host " + c.hostname() + ", hostid " + String.format("%08x", c.hostid())
                            + "); export that pool first or use force");
                }
            }
            Set<Long> guids = new HashSet<>();
            long poolGuid = newGuid(guids);
            List<Vdev> tops = new ArrayList<>();
            for (VdevLayout.TopLevel t : layout.topLevel()) {
                long end = Long.MAX_VALUE;
                for (String path : t.devices()) {
                    end = Math.min(end, LabelLayout.dataEndBytes(byPath.get(path).sizeBytes()));
                }
                Vdev top;
                if (t.mirror()) {
                    List<Vdev> leaves = new ArrayList<>();
                    for (String path : t.devices()) {
                        Vdev leaf = Vdev.leaf(newGuid(guids), leaves.size(), driverFor(path).type(), path);
                        leaf.attach(byPath.get(path), name, PoolDefaults.IO_THREADS_PER_LEAF);
                        leaves.add(leaf);
                    }
                    top = Vdev.mirror(newGuid(guids), tops.size(), leaves);
                } else {
                    String path = t.devices().get(0);
                    top = Vdev.leaf(newGuid(guids), tops.size(), driverFor(path).type(), path);
                    top.attach(byPath.get(path), name, PoolDefaults.IO_THREADS_PER_LEAF);
                }
                top.initSpace(LabelLayout.dataStartBytes(), end);
                tops.add(top);
            }
            Vdev root = Vdev.root(newGuid(guids), tops);
            wipeLabels(opened);
            Spa spa = new Spa(name, poolGuid, settings.host(), root, null, null, 0, props, false,
                    settings.ioTimeoutMillis(), this::gone);
            spa.activate();
            pools.put(name, spa);
            try {
                spa.sync();
            } catch (TarnException e) {
                spa.forceExport("creation failed: " + e.getMessage());
                throw e;
            }
            spa.event("created", layout.toString());
            opened.clear();
            return spa;
        } finally {
            closeQuietly(opened);
            busyNames.remove(name);
        }
    }

    /** Zeroes every label area, so no uberblock of a former pool survives on the device. */
    private static void wipeLabels(List<BlockDevice> devices) {
        ByteBuffer zeros = ByteBuffer.allocate(LabelLayout.LABEL_BYTES);
        for (BlockDevice dev : devices) {
            for (int i = 0; i < LabelLayout.LABEL_COUNT; i++) {
                try {
                    dev.write(LabelLayout.labelOffset(dev.sizeBytes(), i), zeros.duplicate());
                } catch (IOException e) {
                    throw new TarnException(ErrorCode.IO_ERROR, "cannot write the labels of '" + dev.path() + "': "
                            + e.getMessage(), e);
                }
            }
        }
    }

    // ---- open --------------------------------------------------------------

    @Override
    public Pool openPool(List<String> devicePaths, boolean readOnly) {
        if (devicePaths == null || devicePaths.isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "name at least one device of the pool");
        }
        List<BlockDevice> opened = new ArrayList<>();
        Map<Long, BlockDevice> byLeafGuid = new LinkedHashMap<>();
        Map<BlockDevice, DeviceLabels> labels = new LinkedHashMap<>();
        LabelConfig newest = null;
        try {
            for (String path : devicePaths) {
                BlockDevice dev = openDevice(path, readOnly);
                opened.add(dev);
                DeviceLabels l = LabelReader.read(dev);
                Optional<LabelConfig> cfg = l.bestConfig();
                if (cfg.isEmpty()) {
                    throw new TarnException(ErrorCode.NO_VALID_LABEL, "device '" + path + "' has no valid label: "
                            + l.rejectionSummary());
                }
                if (newest != null && newest.poolGuid() != cfg.get().poolGuid()) {
                    throw new TarnException(ErrorCode.INVALID_ARGUMENT, "device '" + path + "' belongs to pool '"
                            + cfg.get().poolName() + "', not to '" + newest.poolName() + "'");
                }
                if (newest == null || cfg.get().txg() > newest.txg()) {
                    newest = cfg.get();
                }
                byLeafGuid.put(cfg.get().vdevGuid(), dev);
                labels.put(dev, l);
            }
            if (newest.formatVersion() > LabelLayout.FORMAT_VERSION) {
                throw new TarnException(ErrorCode.UNSUPPORTED_VERSION, "pool '" + newest.poolName()
                        + "' has format version " + newest.formatVersion() + "; this engine reads up to "
                        + LabelLayout.FORMAT_VERSION);
            }
            String name = newest.poolName();
            reserve(name);
            try {
                Spa spa = assemble(newest, byLeafGuid, labels, readOnly);
                opened.clear();
                return spa;
            } finally {
                busyNames.remove(name);
            }
        } finally {
            closeQuietly(opened);
        }
    }

    private Spa assemble(LabelConfig cfg, Map<Long, BlockDevice> byLeafGuid, Map<BlockDevice, DeviceLabels> labels,
                         boolean readOnly) {
        String name = cfg.poolName();
        Vdev root = VdevConfigs.fromConfig(cfg.vdevTree());
        for (Vdev leaf : root.leaves()) {
            BlockDevice dev = byLeafGuid.get(leaf.guid());
            if (dev != null) {
                leaf.attach(dev, name, PoolDefaults.IO_THREADS_PER_LEAF);
            } else {
                leaf.markMissing();
            }
        }
        for (Vdev top : root.topLevel()) {
            boolean any = top.leaves().stream().anyMatch(l -> l.device() != null);
            if (!any) {
                List<String> missing = top.leaves().stream().map(Vdev::path).toList();
                root.leaves().forEach(Vdev::detach);
                throw new TarnException(ErrorCode.MISSING_VDEV, "pool '" + name + "' cannot be opened: top-level vdev "
                        + top.id() + " is missing (" + String.join(", ", missing) + ")");
            }
        }
        long guidSum = cfg.vdevTree().guidSum();
        List<Uberblock> candidates = new ArrayList<>();
        for (DeviceLabels l : labels.values()) {
            for (DeviceLabels.FoundUberblock found : l.uberblocks()) {
                Uberblock ub = found.uberblock();
                if (ub.guidSum() == guidSum) {
                    candidates.add(ub);
                }
            }
        }
        candidates.sort(Uberblock.ORDER.reversed());
        if (candidates.isEmpty()) {
            root.leaves().forEach(Vdev::detach);
            throw new TarnException(ErrorCode.NO_VALID_LABEL, "pool '" + name + "' has no valid uberblock");
        }
        Uberblock ub = candidates.get(0);
        IoPipeline probe = new IoPipeline(name, root, settings.ioTimeoutMillis(), new BlockCache(1 << 20));
        PoolDirectory dir;
        try {
            dir = PoolDirectory.decode(probe.read(ub.rootBp(), false));
        } catch (TarnException e) {
            root.leaves().forEach(Vdev::detach);
            throw new TarnException(e.code(), "pool '" + name + "': the directory of txg " + ub.txg()
                    + " cannot be read: " + e.getMessage(), e);
        }
        Spa spa = new Spa(name, cfg.poolGuid(), settings.host(), root, dir, ub.rootBp(), ub.txg(),
                dir.properties(), readOnly, settings.ioTimeoutMillis(), this::gone);
        pools.put(name, spa);
        spa.activate();
        return spa;
    }

    // ---- lookup and export -------------------------------------------------

    @Override
    public Optional<Pool> pool(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    /** The engine-side pool, for management adapters. */
    public Optional<Spa> spa(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    @Override
    public List<String> pools() {
        return pools.keySet().stream().sorted().toList();
    }

    private Spa require(String name) {
        Spa spa = pools.get(name);
        if (spa == null) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "no pool named '" + name + "' is imported here");
        }
        return spa;
    }

    @Override
    public void exportPool(String name, boolean force) {
        require(name).export(force);
    }

    @Override
    public void forceExport(String name) {
        require(name).forceExport("requested by an operator");
    }

    @Override
    public void close() {
        List<java.util.concurrent.CompletableFuture<Void>> exports = new ArrayList<>();
        for (Spa spa : new ArrayList<>(pools.values())) {
            exports.add(java.util.concurrent.CompletableFuture.runAsync(() -> exportOrForce(spa),
                    r -> {
                        Thread t = new Thread(r, "tarn-" + spa.name() + "-shutdown");
                        t.setDaemon(true);
                        t.start();
                    }));
        }
        exports.forEach(java.util.concurrent.CompletableFuture::join);
    }

    /** Exports cleanly within the deadline; force-exports when devices hang or fail. */
    private void exportOrForce(Spa spa) {
        java.util.concurrent.CompletableFuture<Void> clean = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                spa.export(true);
                clean.complete(null);
            } catch (RuntimeException e) {
                clean.completeExceptionally(e);
            }
        }, "tarn-" + spa.name() + "-export");
        t.setDaemon(true);
        t.start();
        try {
            clean.get(settings.shutdownExportMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("pool '{}' did not export cleanly ({}); force-exporting", spa.name(), e.getCause().getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warn("pool '{}' did not export within {} ms; force-exporting", spa.name(),
                    settings.shutdownExportMillis());
        }
        try {
            spa.forceExport("engine shutdown: clean export failed or timed out");
        } catch (TarnException alreadyGone) {
            LOG.debug("pool '{}' already gone: {}", spa.name(), alreadyGone.getMessage());
        }
    }
}
