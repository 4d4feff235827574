package org.tarn.engine.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportScan;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolEventListener;
import org.tarn.api.PoolManager;
import org.tarn.api.PoolProperty;
import org.tarn.api.PoolState;
import org.tarn.api.SkippedDevice;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.importer.DeviceScanner;
import org.tarn.engine.importer.PoolCandidate;
import org.tarn.engine.io.BlockCache;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.io.IoPipeline;
import org.tarn.engine.label.DeviceLabels;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.label.LabelLayout;
import org.tarn.engine.label.LabelReader;
import org.tarn.engine.label.PoolLabelState;
import org.tarn.engine.label.Uberblock;
import org.tarn.engine.mmp.MultihostWriter;
import org.tarn.engine.vdev.Vdev;

/**
 * The pools of this process.
 *
 * <p>The namespace map is the only state shared between pools, and no call
 * holds it across device I/O: a name is reserved before a create or open does
 * its I/O and released after, so a hung device in one pool never blocks a
 * call on another.
 *
 * <p>Drivers come and go at run time ({@link #addDriver}, {@link #removeDriver}),
 * as driver bundles do in OSGi, without restarting anything: a driver that
 * leaves takes with it exactly the pools that have a device it handles (they
 * are force-exported, since their open devices belong to it), and a cached
 * pool whose driver is not deployed yet waits for it instead of being dropped
 * from the cache file.
 */
public final class SpaNamespace implements PoolManager {
    private static final Logger LOG = LoggerFactory.getLogger(SpaNamespace.class);
    private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final Set<String> RESERVED = Set.of("mirror", "raidz", "spare", "log", "cache");
    /** A device path's driver scheme: two or more characters and a colon, as the file driver reads it. */
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):");

    private final EngineSettings settings;
    private final List<VdevDriver> drivers;
    /** Serializes driver arrivals and departures. */
    private final Object driversLock = new Object();
    /** Cached pools whose devices need a driver not deployed yet, by name; kept in the cache file. */
    private final Map<String, CacheFile.Entry> awaitingDriver = new ConcurrentHashMap<>();
    private final Map<String, Spa> pools = new ConcurrentHashMap<>();
    private final Set<String> busyNames = ConcurrentHashMap.newKeySet();
    /** GUIDs of pools being imported, so one pool is never imported twice at once under two names. */
    private final Set<Long> busyGuids = ConcurrentHashMap.newKeySet();
    /**
     * Counts pools leaving this process (export, force export). An import
     * whose labels were read before a departure reads them again once it has
     * reserved the pool: the departing pool may have synced newer txgs since.
     */
    private final AtomicLong departures = new AtomicLong();
    private final SecureRandom random = new SecureRandom();
    private volatile boolean closing;
    private final List<PoolEventListener> listeners = new CopyOnWriteArrayList<>();
    /** Delivers events in order, off the threads that raise them. */
    private final ExecutorService eventExecutor =
            Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tarn-events");
                t.setDaemon(true);
                return t;
            });

    @Override
    public void addEventListener(PoolEventListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void removeEventListener(PoolEventListener listener) {
        listeners.remove(listener);
    }

    private void publish(Spa spa, PoolEvent e) {
        if (listeners.isEmpty()) {
            return;
        }
        String name = spa.name();
        long guid = spa.guid();
        if (eventExecutor.isShutdown()) {
            return;
        }
        eventExecutor.execute(() -> {
            for (PoolEventListener l : listeners) {
                try {
                    l.onEvent(name, guid, e);
                } catch (RuntimeException ex) {
                    LOG.warn("event listener failed on {} of pool '{}'", e.type(), name, ex);
                }
            }
        });
    }

    public SpaNamespace(EngineSettings settings, List<VdevDriver> drivers) {
        this.settings = settings;
        this.drivers = new CopyOnWriteArrayList<>(drivers);
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
        departures.incrementAndGet(); // before the removal: whoever no longer sees the pool sees the count move
        pools.remove(spa.name(), spa);
        if (!closing) {
            saveCache();
        }
    }

    @Override
    public long hostId() {
        return settings.host().hostId();
    }

    @Override
    public String hostname() {
        return settings.host().hostname();
    }

    @Override
    public List<String> searchPaths() {
        return settings.searchPaths().stream().map(Path::toString).toList();
    }

    // ---- cache file --------------------------------------------------------

    private final Object cacheLock = new Object();

    /** Rewrites the cache file from the imported pools (not read-only ones). */
    private void saveCache() {
        settings.cacheFile().ifPresent(file -> {
            synchronized (cacheLock) {
                List<CacheFile.Entry> entries = new ArrayList<>();
                for (Spa spa : pools.values()) {
                    if (!spa.readOnly() && spa.state() != PoolState.EXPORTED) {
                        entries.add(new CacheFile.Entry(spa.name(), spa.guid(),
                                spa.rootVdev().leaves().stream().map(Vdev::path).toList()));
                    }
                }
                for (CacheFile.Entry waiting : awaitingDriver.values()) {
                    if (!pools.containsKey(waiting.name())) {
                        entries.add(waiting);
                    }
                }
                entries.sort(Comparator.comparing(CacheFile.Entry::name));
                try {
                    CacheFile.write(file, entries);
                } catch (IOException e) {
                    LOG.error("cannot write the cache file {}: {}", file, e.toString());
                }
            }
        });
    }

    /**
     * Imports the pools the cache file lists, each with the checks of any
     * import; a pool that fails (in use by another host, devices gone) is
     * logged and dropped from the cache.
     *
     * @return the names of the pools imported
     */
    public List<String> importCached() {
        Optional<Path> file = settings.cacheFile();
        if (file.isEmpty()) {
            return List.of();
        }
        List<CacheFile.Entry> entries;
        try {
            entries = CacheFile.read(file.get());
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot read the cache file {} ({}); importing nothing from it", file.get(), e.toString());
            return List.of();
        }
        List<String> imported = new ArrayList<>();
        for (CacheFile.Entry e : entries) {
            if (awaitDriver(e)) {
                continue;
            }
            importCachedEntry(e).ifPresent(imported::add);
        }
        saveCache();
        return imported;
    }

    /** Imports one cache file entry with the checks of any import; empty (logged) when it fails. */
    private Optional<String> importCachedEntry(CacheFile.Entry e) {
        try {
            long seen = departures.get();
            List<SkippedDevice> skipped = new ArrayList<>();
            List<PoolCandidate> found = PoolCandidate.assemble(scanner().scan(e.devices()), hostId(), skipped);
            PoolCandidate c = found.stream().filter(p -> p.guid() == e.guid()).findFirst()
                    .orElseThrow(() -> new TarnException(ErrorCode.POOL_NOT_FOUND, "its devices "
                            + e.devices() + " no longer hold it"));
            return Optional.of(load(c, ImportOptions.defaults().withNewName(e.name()), seen).name());
        } catch (TarnException ex) {
            LOG.warn("cached pool '{}' not imported: {}", e.name(), ex.getMessage());
            return Optional.empty();
        }
    }

    // ---- devices -----------------------------------------------------------

    private VdevDriver driverFor(String path) {
        for (VdevDriver d : drivers) {
            if (d.accepts(path)) {
                return d;
            }
        }
        throw missingDriver(path);
    }

    /** The driver type a path asks for: its scheme ({@code fault:/d0} is {@code fault}), else {@code file}. */
    static String driverTypeOf(String path) {
        Matcher m = SCHEME.matcher(path == null ? "" : path);
        return m.find() ? m.group(1) : "file";
    }

    private TarnException missingDriver(String path) {
        return new TarnException(ErrorCode.DRIVER_MISSING, "no vdev driver accepts device '" + path + "': no driver "
                + "of type '" + driverTypeOf(path) + "' is deployed (deployed: " + driverTypes() + "); deploy "
                + "that driver and retry");
    }

    // ---- drivers deployed and removed at run time --------------------------

    /**
     * Called once a new pool is in the namespace: a driver removed while the
     * pool was being created or imported did not see it in {@link
     * #removeDriver}'s sweep, so the pool fails here instead (removal takes the
     * driver out of the list before it sweeps, so one of the two sees the other).
     */
    private void checkDriversStillDeployed(Spa spa) {
        for (Vdev leaf : spa.rootVdev().leaves()) {
            if (leaf.device() != null && drivers.stream().noneMatch(d -> d.accepts(leaf.path()))) {
                try {
                    spa.forceExport("the vdev driver of '" + leaf.path() + "' was removed while the pool started");
                } catch (TarnException alreadyGone) {
                    LOG.debug("pool '{}' already gone: {}", spa.name(), alreadyGone.getMessage());
                }
                throw missingDriver(leaf.path());
            }
        }
    }

    /**
     * Makes a driver usable from now on, without touching any pool: creates
     * and imports may name its devices, and the cached pools that were
     * waiting for a driver of its type are imported.
     *
     * @throws TarnException {@code INVALID_ARGUMENT} when a driver of the same type is deployed already
     */
    public void addDriver(VdevDriver driver) {
        Objects.requireNonNull(driver, "driver");
        synchronized (driversLock) {
            if (driver(driver.type()).isPresent()) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT, "a vdev driver of type '" + driver.type()
                        + "' is deployed already; remove it first");
            }
            drivers.add(driver);
        }
        LOG.info("vdev driver '{}' added; drivers now {}", driver.type(), driverTypes());
        if (closing) {
            return;
        }
        boolean imported = false;
        for (CacheFile.Entry e : List.copyOf(awaitingDriver.values())) {
            if (e.devices().stream().allMatch(p -> drivers.stream().anyMatch(d -> d.accepts(p)))
                    && awaitingDriver.remove(e.name(), e)) {
                LOG.info("vdev driver '{}' arrived: importing cached pool '{}'", driver.type(), e.name());
                importCachedEntry(e);
                imported = true;
            }
        }
        if (imported) {
            saveCache();
        }
    }

    /**
     * Removes the driver of a type. From now on no create or import can use
     * it (they fail with {@code DRIVER_MISSING} naming the type), and every
     * imported pool with a device that driver handles is force-exported, in
     * bounded time whatever its devices do, with a reason naming the driver.
     * Pools on other drivers are not touched.
     *
     * @return the names of the pools force-exported; empty when no such driver is deployed
     */
    public List<String> removeDriver(String type) {
        VdevDriver gone;
        synchronized (driversLock) {
            gone = driver(type).orElse(null);
            if (gone == null) {
                return List.of();
            }
            drivers.remove(gone);
        }
        List<String> exported = new ArrayList<>();
        for (Spa spa : new ArrayList<>(pools.values())) {
            if (spa.rootVdev().leaves().stream().anyMatch(leaf -> gone.accepts(leaf.path()))) {
                try {
                    spa.forceExport("vdev driver '" + type + "' was removed");
                    exported.add(spa.name());
                } catch (TarnException alreadyGone) {
                    LOG.debug("pool '{}' already gone: {}", spa.name(), alreadyGone.getMessage());
                }
            }
        }
        LOG.info("vdev driver '{}' removed; pools force-exported: {}; drivers now {}", type, exported, driverTypes());
        return exported;
    }

    /** The deployed driver of a type. */
    public Optional<VdevDriver> driver(String type) {
        return drivers.stream().filter(d -> d.type().equals(type)).findFirst();
    }

    /** The types of the deployed drivers, in the order they are asked to accept a path. */
    public List<String> driverTypes() {
        return drivers.stream().map(VdevDriver::type).toList();
    }

    /** Cached pools not imported yet because a driver of their devices is not deployed. */
    public List<String> poolsAwaitingDriver() {
        return awaitingDriver.keySet().stream().sorted().toList();
    }

    /** Whether a cached pool must wait for a driver; if so it is kept, in the cache file too, until one comes. */
    private boolean awaitDriver(CacheFile.Entry e) {
        for (String path : e.devices()) {
            if (drivers.stream().noneMatch(d -> d.accepts(path))) {
                awaitingDriver.put(e.name(), e);
                LOG.info("cached pool '{}' waits for a vdev driver of type '{}' (device '{}')", e.name(),
                        driverTypeOf(path), path);
                return true;
            }
        }
        return false;
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
            Spa spa = new Spa(name, poolGuid, settings.host(), root, null, null, 0, props, false,
                    settings.ioTimeoutMillis(), this::gone);
            try {
                spa.checkLabelFits(); // before anything is written to the devices
            } catch (TarnException e) {
                root.leaves().forEach(Vdev::detach);
                throw e;
            }
            wipeLabels(opened);
            spa.eventSink(this::publish);
            pools.put(name, spa);
            checkDriversStillDeployed(spa);
            spa.activate(false);
            try {
                spa.sync();
            } catch (TarnException e) {
                if (spa.state() != PoolState.EXPORTED) {
                    spa.forceExport("creation failed: " + e.getMessage());
                }
                throw e;
            }
            spa.event("created", layout.toString());
            saveCache();
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

    // ---- open and import ---------------------------------------------------

    @Override
    public Pool openPool(List<String> devicePaths, boolean readOnly) {
        if (devicePaths == null || devicePaths.isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "name at least one device of the pool");
        }
        devicePaths.forEach(this::driverFor);
        long seen = departures.get();
        List<SkippedDevice> skipped = new ArrayList<>();
        List<PoolCandidate> found = PoolCandidate.assemble(scanner().scan(devicePaths), hostId(), skipped);
        if (!skipped.isEmpty()) {
            SkippedDevice s = skipped.get(0);
            throw new TarnException(ErrorCode.NO_VALID_LABEL, "device '" + s.path() + "' cannot be used: "
                    + s.reason());
        }
        if (found.size() != 1) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "the devices belong to " + found.size()
                    + " pools: " + found.stream().map(PoolCandidate::name).toList());
        }
        return load(found.get(0), ImportOptions.defaults().withReadOnly(readOnly).withForce(true), seen);
    }

    @Override
    public ImportScan scan(List<String> dirs) {
        List<String> where = dirs == null || dirs.isEmpty() ? searchPaths() : dirs;
        if (where.isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT,
                    "no directory to scan: give one, or configure search paths");
        }
        List<SkippedDevice> skipped = new ArrayList<>();
        List<PoolCandidate> found = PoolCandidate.assemble(scanner().scan(DeviceScanner.listDevices(where)), hostId(),
                skipped);
        // like `zpool import`, list only what could be imported: not the pools imported here already
        Set<Long> here = new HashSet<>();
        pools.values().forEach(spa -> here.add(spa.guid()));
        return new ImportScan(found.stream().filter(c -> !here.contains(c.guid())).map(PoolCandidate::view).toList(),
                skipped);
    }

    @Override
    public Pool importPool(String nameOrGuid, ImportOptions options) {
        if (nameOrGuid == null || nameOrGuid.isBlank()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "name the pool to import (name or GUID)");
        }
        ImportOptions opts = options == null ? ImportOptions.defaults() : options;
        List<String> where = opts.dirs().isEmpty() ? searchPaths() : opts.dirs();
        if (where.isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT,
                    "no directory to scan: give dir=PATH, or configure search paths");
        }
        long seen = departures.get();
        List<PoolCandidate> found = PoolCandidate.assemble(scanner().scan(DeviceScanner.listDevices(where)),
                hostId(), new ArrayList<>());
        // like zpool import -D: destroyed pools only when asked for, and then only they
        List<PoolCandidate> other = found.stream().filter(c -> c.destroyed() != opts.destroyed()).toList();
        found.removeAll(other);
        if (!opts.destroyed() && found.stream().noneMatch(c -> matches(c, nameOrGuid))
                && other.stream().anyMatch(c -> matches(c, nameOrGuid))) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "pool '" + nameOrGuid + "' was destroyed; import it "
                    + "with destroyed=true to recover it");
        }
        return load(select(found, nameOrGuid, where), opts, seen);
    }

    private static PoolCandidate select(List<PoolCandidate> found, String nameOrGuid, List<String> where) {
        List<PoolCandidate> matches = found.stream().filter(c -> matches(c, nameOrGuid)).toList();
        if (matches.isEmpty()) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "no pool '" + nameOrGuid + "' on the devices in "
                    + where + (found.isEmpty() ? "" : "; found: " + found.stream()
                    .map(c -> c.name() + " (" + Long.toUnsignedString(c.guid()) + ")").toList()));
        }
        if (matches.size() > 1) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "several pools are named '" + nameOrGuid
                    + "': import one by GUID: " + matches.stream().map(c -> Long.toUnsignedString(c.guid())).toList());
        }
        return matches.get(0);
    }

    private static boolean matches(PoolCandidate c, String nameOrGuid) {
        Long guid = parseGuid(nameOrGuid);
        return c.name().equals(nameOrGuid) || (guid != null && c.guid() == guid);
    }

    private static Long parseGuid(String s) {
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseUnsignedLong(s.substring(2), 16);
            }
            return s.chars().allMatch(Character::isDigit) ? Long.parseUnsignedLong(s) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The multihost activity check: watch the pool's best uberblock for a few
     * heartbeat intervals and refuse, even with force, when it moves.
     */
    private void activityCheck(PoolCandidate c) {
        Uberblock before = c.uberblocks().isEmpty() ? null : c.uberblocks().get(0);
        long waitMillis = MultihostWriter.INTERVAL_MILLIS
                * MultihostWriter.IMPORT_INTERVALS;
        try {
            Thread.sleep(waitMillis); // the protocol itself: give a live host time to beat
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TarnException(ErrorCode.TIMED_OUT, "import of '" + c.name() + "' interrupted during the "
                    + "multihost activity check", e);
        }
        List<PoolCandidate> again = PoolCandidate.assemble(scanner().scan(List.copyOf(c.leafPaths().values())),
                hostId(), new ArrayList<>());
        Uberblock after = again.stream().filter(p -> p.guid() == c.guid()).findFirst()
                .map(p -> p.uberblocks().isEmpty() ? null : p.uberblocks().get(0)).orElse(null);
        if (after != null && (before == null || Uberblock.ORDER.compare(after, before) != 0)) {
            throw new TarnException(ErrorCode.POOL_IN_USE_ELSEWHERE, "pool '" + c.name() + "' is being written by host "
                    + c.config().hostname() + " (hostid " + String.format("%08x", c.config().hostid())
                    + "): its heartbeat moved during the " + waitMillis + " ms activity check (multihost=on); "
                    + "it cannot be imported, even with force, until that host stops");
        }
    }

    private DeviceScanner scanner() {
        return new DeviceScanner(path -> drivers.stream().filter(d -> d.accepts(path)).findFirst().orElse(null),
                settings.ioTimeoutMillis());
    }

    /**
     * Imports a candidate: in-use checks, device open, uberblock choice
     * (rewind), activation. The name and the GUID are reserved first; if a
     * pool left this process since {@code seenDepartures} was read, the labels
     * are read again under the reservation, so an import never starts from
     * labels older than an export or force export that just finished here.
     */
    private Spa load(PoolCandidate candidate, ImportOptions opts, long seenDepartures) {
        checkImportable(candidate, opts);
        String name = opts.newName() != null ? opts.newName() : candidate.name();
        checkName(name);
        boolean readOnly = opts.readOnly() || opts.txg() > 0;
        reserve(name);
        long guid = candidate.guid();
        if (!busyGuids.add(guid)) {
            busyNames.remove(name);
            throw new TarnException(ErrorCode.IN_PROGRESS, "pool " + Long.toUnsignedString(guid)
                    + " is already being imported");
        }
        List<BlockDevice> opened = new ArrayList<>();
        try {
            for (Spa imported : pools.values()) {
                if (imported.guid() == guid) {
                    throw new TarnException(ErrorCode.POOL_EXISTS, "pool " + Long.toUnsignedString(guid)
                            + " is already imported here as '" + imported.name() + "'");
                }
            }
            PoolCandidate c = candidate;
            if (departures.get() != seenDepartures) {
                c = reread(candidate);
                checkImportable(c, opts);
            }
            if (c.config().state() == PoolLabelState.ACTIVE
                    && "on".equals(c.config().properties().get(PoolProperty.MULTIHOST))) {
                activityCheck(c);
            }
            Map<Long, BlockDevice> byLeafGuid = new LinkedHashMap<>();
            for (Map.Entry<Long, String> e : c.leafPaths().entrySet()) {
                BlockDevice dev = openDevice(e.getValue(), readOnly);
                opened.add(dev);
                byLeafGuid.put(e.getKey(), dev);
            }
            Spa spa = assemble(name, c, byLeafGuid, readOnly, opts);
            opened.clear();
            return spa;
        } finally {
            closeQuietly(opened);
            busyGuids.remove(guid);
            busyNames.remove(name);
        }
    }

    /** Refusals that depend only on the labels: a blocker, or in use by another host without force. */
    private void checkImportable(PoolCandidate c, ImportOptions opts) {
        if (c.destroyed() && !opts.destroyed()) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "pool '" + c.name() + "' was destroyed; import it "
                    + "with destroyed=true to recover it");
        }
        if (c.blocker() != null) {
            throw new TarnException(c.blocker(), "pool '" + c.name() + "' cannot be imported: "
                    + String.join("; ", c.problems()));
        }
        if (c.activeElsewhere(hostId()) && !opts.force()) {
            throw new TarnException(ErrorCode.POOL_IN_USE_ELSEWHERE, "pool '" + c.name() + "' is "
                    + PoolCandidate.inUseMessageFor(c));
        }
    }

    /** The same pool assembled from a fresh read of the devices it was found on. */
    private PoolCandidate reread(PoolCandidate c) {
        List<PoolCandidate> again = PoolCandidate.assemble(scanner().scan(List.copyOf(c.leafPaths().values())),
                hostId(), new ArrayList<>());
        return again.stream().filter(p -> p.guid() == c.guid()).findFirst()
                .orElseThrow(() -> new TarnException(ErrorCode.POOL_NOT_FOUND, "pool '" + c.name()
                        + "' is no longer on its devices " + c.leafPaths().values()));
    }

    private Spa assemble(String name, PoolCandidate c, Map<Long, BlockDevice> byLeafGuid, boolean readOnly,
                         ImportOptions opts) {
        LabelConfig cfg = c.config();
        Vdev root = VdevConfigs.fromConfig(cfg.vdevTree(), c.leafPaths());
        for (Vdev leaf : root.leaves()) {
            BlockDevice dev = byLeafGuid.get(leaf.guid());
            if (dev != null) {
                leaf.attach(dev, name, PoolDefaults.IO_THREADS_PER_LEAF);
            } else {
                leaf.markMissing();
            }
        }
        try {
            IoPipeline probe = new IoPipeline(name, root, settings.ioTimeoutMillis(), new BlockCache(1 << 20));
            Uberblock ub = chooseUberblock(name, c.uberblocks(), probe, opts);
            PoolDirectory dir = PoolDirectory.decode(probe.read(ub.rootBp(), false));
            long newest = c.uberblocks().get(0).txg();
            // after a rewind, new txgs must outrank the damaged newer uberblocks still in the rings
            long startTxg = readOnly ? ub.txg() : Math.max(ub.txg(), newest);
            Spa spa = new Spa(name, cfg.poolGuid(), settings.host(), root, dir, ub.rootBp(), startTxg,
                    dir.properties(), readOnly, settings.ioTimeoutMillis(), this::gone);
            spa.eventSink(this::publish);
            pools.put(name, spa);
            checkDriversStillDeployed(spa);
            spa.activate();
            if (!readOnly) {
                // claim the pool on disk now (ACTIVE, our host id), before anyone can see it imported
                try {
                    spa.sync();
                } catch (TarnException e) {
                    if (spa.state() != PoolState.EXPORTED) {
                        spa.forceExport("import could not write its labels: " + e.getMessage());
                    }
                    throw new TarnException(e.code(), "pool '" + name + "' cannot be imported: its labels cannot be "
                            + "written: " + e.getMessage(), e);
                }
            }
            if (ub.txg() < newest) {
                spa.event("rewound", "imported at txg " + ub.txg() + "; " + (newest - ub.txg())
                        + " newer txg(s) discarded");
            }
            if (!name.equals(cfg.poolName())) {
                spa.event("renamed", "imported as '" + name + "' (was '" + cfg.poolName() + "')");
            }
            saveCache();
            return spa;
        } catch (RuntimeException e) {
            root.leaves().forEach(Vdev::detach);
            throw e;
        }
    }

    /**
     * The newest uberblock whose tree verifies; older ones only with rewind;
     * exactly the asked one with {@code txg=}.
     */
    private Uberblock chooseUberblock(String name, List<Uberblock> ubs, IoPipeline probe, ImportOptions opts) {
        if (opts.txg() > 0) {
            for (Uberblock ub : ubs) {
                if (ub.txg() == opts.txg()) {
                    String why = verify(ub, probe);
                    if (why != null) {
                        throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "pool '" + name + "': txg "
                                + opts.txg() + " does not verify: " + why);
                    }
                    return ub;
                }
            }
            throw new TarnException(ErrorCode.NOT_FOUND, "pool '" + name + "' has no uberblock for txg "
                    + opts.txg() + "; available: " + ubs.stream().map(Uberblock::txg).distinct().toList());
        }
        String newestWhy = null;
        for (Uberblock ub : ubs) {
            String why = verify(ub, probe);
            if (why == null) {
                if (ub == ubs.get(0) || opts.rewind()) {
                    return ub;
                }
                throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "pool '" + name + "': the newest txg "
                        + ubs.get(0).txg() + " does not verify (" + newestWhy + "); txg " + ub.txg()
                        + " does: import with rewind=true to discard " + (ubs.get(0).txg() - ub.txg())
                        + " txg(s)");
            }
            if (newestWhy == null) {
                newestWhy = why;
            }
        }
        throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "pool '" + name + "': no uberblock's tree verifies ("
                + newestWhy + ")");
    }

    /** Reads the directory, object set blocks and space maps of an uberblock; null when all verify. */
    private static String verify(Uberblock ub, IoPipeline probe) {
        try {
            PoolDirectory dir = PoolDirectory.decode(probe.read(ub.rootBp(), false));
            for (DatasetRecord r : dir.datasets()) {
                probe.read(r.objsetBp(), false);
            }
            for (List<BlockPointer> chunks : dir.spaceMaps()) {
                for (BlockPointer bp : chunks) {
                    if (!bp.isHole()) {
                        probe.read(bp, false);
                    }
                }
            }
            return null;
        } catch (TarnException e) {
            return e.getMessage();
        }
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
    public void destroyPool(String name, boolean force) {
        require(name).destroy(force);
    }

    @Override
    public void forceExport(String name) {
        require(name).forceExport("requested by an operator");
    }

    /**
     * Exports every pool (force-exporting those that do not finish in time)
     * but keeps them in the cache file, so the next start imports them again.
     */
    @Override
    public void close() {
        closing = true;
        List<CompletableFuture<Void>> exports = new ArrayList<>();
        for (Spa spa : new ArrayList<>(pools.values())) {
            exports.add(CompletableFuture.runAsync(() -> exportOrForce(spa),
                    r -> {
                        Thread t = new Thread(r, "tarn-" + spa.name() + "-shutdown");
                        t.setDaemon(true);
                        t.start();
                    }));
        }
        exports.forEach(CompletableFuture::join);
        // deliver the events of those exports, then let the event thread go (so nothing of the engine's
        // outlives close(): the Java agent unloads its class loader after this)
        eventExecutor.shutdown();
        try {
            if (!eventExecutor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("event listeners did not finish within 5 s of close; dropping the events left");
                eventExecutor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            eventExecutor.shutdownNow();
        }
    }

    /** Exports cleanly within the deadline; force-exports when devices hang or fail. */
    private void exportOrForce(Spa spa) {
        CompletableFuture<Void> clean = new CompletableFuture<>();
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
            clean.get(settings.shutdownExportMillis(), TimeUnit.MILLISECONDS);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("pool '{}' did not export cleanly ({}); force-exporting", spa.name(), e.getCause().getMessage());
        } catch (TimeoutException e) {
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
