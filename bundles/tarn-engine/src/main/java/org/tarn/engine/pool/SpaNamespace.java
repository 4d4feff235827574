package org.tarn.engine.pool;

import java.io.IOException;
import java.nio.file.Path;
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
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.BlockCacheStats;
import org.tarn.api.ErrorCode;
import org.tarn.api.ExportHook;
import org.tarn.api.ImportOptions;
import org.tarn.api.ImportProgress;
import org.tarn.api.ImportScan;
import org.tarn.api.Pool;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolEventListener;
import org.tarn.api.PoolState;
import org.tarn.api.SkippedDevice;
import org.tarn.api.TakeoverGuard;
import org.tarn.api.TarnException;
import org.tarn.api.VdevLayout;
import org.tarn.api.vdev.BlockDevice;
import org.tarn.api.vdev.VdevDriver;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.importer.Importer;
import org.tarn.engine.importer.PoolCandidate;
import org.tarn.engine.io.ArcCache;
import org.tarn.engine.label.LabelConfig;
import org.tarn.engine.vdev.Vdev;

/**
 * The pools of this process: the engine ({@code spa_namespace} and the
 * {@code spa_create} / {@code spa_import} / {@code spa_export} entry points).
 *
 * <h2>Theory of operation</h2>
 * The namespace map is the only state shared between pools, and no call holds
 * it across device I/O: a name (and, for an import, the pool's GUID) is
 * reserved before a create or import does its I/O and released after, so a
 * hung device in one pool never blocks a call on another, and a second
 * create or import of the same pool gets {@code IN_PROGRESS}.
 *
 * <p>Every management call passes the engine's {@link
 * org.tarn.engine.PathPolicy} first. Every export — by an operator, by the
 * engine's own close, by {@code failmode=export}, by a leaving driver — goes
 * through the registered {@link ExportHook}s: {@code beforeExport} before a
 * clean export (storage targets unmount), {@code exportFailed} after one that
 * failed, {@code forceExported} after a force export.
 *
 * <p>The cache file lists the pools imported here; a start imports them again
 * with every check of any import. Drivers come and go at run time
 * ({@link #addDriver}, {@link #removeDriver}): a driver that leaves takes
 * with it exactly the pools that have a device it handles (force-exported,
 * since their open devices belong to it), and a cached pool whose driver is
 * not deployed yet waits for it instead of being dropped from the cache file.
 */
public final class SpaNamespace implements Engine {
    /** Imports in a step worth showing (the multihost activity check), by pool name. */
    private final java.util.concurrent.ConcurrentMap<String, ImportProgress> importing =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final Logger LOG = LoggerFactory.getLogger(SpaNamespace.class);
    private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final Set<String> RESERVED = Set.of("mirror", "raidz", "spare", "log", "cache");

    private final EngineSettings settings;
    private final DriverRegistry drivers;
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
    /** Set when close begins: departures no longer rewrite the cache file. */
    private volatile boolean closing;
    /** Set when close has ended: every call is refused. */
    private volatile boolean closed;
    private final List<PoolEventListener> listeners = new CopyOnWriteArrayList<>();
    private final ExportHooks exportHooks = new ExportHooks();
    private final List<TakeoverGuard> takeoverGuards = new CopyOnWriteArrayList<>();
    /** Delivers events in order, off the threads that raise them. */
    private final ExecutorService eventExecutor =
            Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tarn-events");
                t.setDaemon(true);
                return t;
            });
    private final Object cacheLock = new Object();
    /** The block cache of every pool of this engine: one fixed budget, whatever the pools' number or size. */
    private final ArcCache blockCache;
    /** Every pool's events across imports and restarts (in the state directory when there is one). */
    private final EventLog eventLog;

    private SpaNamespace(EngineSettings settings, List<VdevDriver> drivers) {
        this.settings = settings;
        this.drivers = new DriverRegistry(drivers);
        this.blockCache = new ArcCache(settings.blockCacheBytes());
        this.eventLog = new EventLog(settings.stateDir(), org.tarn.engine.EngineDefaults.EVENT_HISTORY,
                org.tarn.engine.EngineDefaults.EVENT_LOG_BYTES);
    }

    @Override
    public BlockCacheStats blockCacheStats() {
        return blockCache.stats();
    }

    /** Starts an engine and imports the pools its cache file lists. */
    public static SpaNamespace start(EngineSettings settings, List<VdevDriver> drivers) {
        SpaNamespace engine = new SpaNamespace(settings, drivers);
        engine.importCached();
        return engine;
    }

    @Override
    public EngineSettings settings() {
        return settings;
    }

    private void checkRunning() {
        if (closed) {
            throw new TarnException(ErrorCode.ENGINE_STOPPED, "this Tarn engine has stopped (it exported its "
                    + "pools); start it again, or get the running engine's PoolManager");
        }
    }

    private Importer importer() {
        return new Importer(hostId(), drivers.scanner(settings.ioTimeoutMillis()), settings.ioTimeoutMillis());
    }

    // ---- events and export hooks ---------------------------------------------------

    @Override
    public void addEventListener(PoolEventListener listener) {
        checkRunning();
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void removeEventListener(PoolEventListener listener) {
        listeners.remove(listener);
    }

    private void publish(Spa spa, PoolEvent e) {
        String name = spa.name();
        long guid = spa.guid();
        eventLog.record(guid, e);
        if (eventExecutor.isShutdown()) {
            return;
        }
        // the listeners registered when the event happened: one added later gets only later events
        List<PoolEventListener> to = List.copyOf(listeners);
        eventExecutor.execute(() -> {
            eventLog.append(name, guid, e);
            for (PoolEventListener l : to) {
                try {
                    l.onEvent(name, guid, e);
                } catch (RuntimeException ex) {
                    LOG.warn("event listener failed on {} of pool '{}'", e.type(), name, ex);
                }
            }
        });
    }

    @Override
    public void addExportHook(ExportHook hook) {
        checkRunning();
        exportHooks.add(hook);
    }

    @Override
    public void removeExportHook(ExportHook hook) {
        exportHooks.remove(hook);
    }

    @Override
    public void addTakeoverGuard(TakeoverGuard guard) {
        checkRunning();
        takeoverGuards.add(Objects.requireNonNull(guard, "guard"));
    }

    @Override
    public void removeTakeoverGuard(TakeoverGuard guard) {
        takeoverGuards.remove(guard);
    }

    /** Asks every takeover guard before a pool another host's labels claim is taken with force. */
    private void checkTakeover(PoolCandidate c) {
        if (!c.activeElsewhere(hostId())) {
            return;
        }
        for (TakeoverGuard g : takeoverGuards) {
            g.beforeTakeover(c.view());
        }
    }

    /** A pool left this process: out of the namespace and the cache file; hooks told of a force export. */
    private void departed(Spa spa, boolean forced, String reason) {
        departures.incrementAndGet(); // before the removal: whoever no longer sees the pool sees the count move
        pools.remove(spa.name(), spa);
        if (!closing) {
            saveCache();
        }
        if (forced) {
            exportHooks.forceExported(spa, reason);
        }
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

    private void checkPaths(List<String> paths) {
        for (String p : paths) {
            settings.pathPolicy().check(p, settings.searchPaths());
        }
    }

    /** What to open for a path a caller named: checked again, and its real path when confined. */
    private String checkedPath(String path) {
        return settings.pathPolicy().resolve(path, settings.searchPaths());
    }

    /** Whether a device found in a scanned directory may be used (a link out of the search paths may not). */
    private boolean permitted(String device) {
        return settings.pathPolicy().permits(device, settings.searchPaths());
    }

    // ---- cache file --------------------------------------------------------

    /** Rewrites the cache file from the imported pools (not read-only ones) and those waiting for a driver. */
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
                for (CacheFile.Entry waiting : drivers.awaiting()) {
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
     */
    private void importCached() {
        Optional<Path> file = settings.cacheFile();
        if (file.isEmpty()) {
            return;
        }
        List<CacheFile.Entry> entries;
        try {
            entries = CacheFile.read(file.get());
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot read the cache file {} ({}); importing nothing from it", file.get(), e.toString());
            return;
        }
        for (CacheFile.Entry e : entries) {
            if (!drivers.awaitDriver(e)) {
                importCachedEntry(e);
            }
        }
        saveCache();
    }

    /** Imports one cache file entry with the checks of any import; logs when it fails. */
    private void importCachedEntry(CacheFile.Entry e) {
        try {
            long seen = departures.get();
            PoolCandidate c = Importer.find(importer().read(e.devices(), new ArrayList<>()), e.guid())
                    .orElseThrow(() -> new TarnException(ErrorCode.POOL_NOT_FOUND, "its devices "
                            + e.devices() + " no longer hold it"));
            load(c, ImportOptions.defaults().withNewName(e.name()), seen, false);
        } catch (TarnException ex) {
            LOG.warn("cached pool '{}' not imported: {}", e.name(), ex.getMessage());
        }
    }

    // ---- drivers deployed and removed at run time --------------------------

    @Override
    public void addDriver(VdevDriver driver) {
        Objects.requireNonNull(driver, "driver");
        checkRunning();
        drivers.add(driver);
        if (closing) {
            return;
        }
        List<CacheFile.Entry> ready = drivers.takeReady();
        for (CacheFile.Entry e : ready) {
            LOG.info("vdev driver '{}' arrived: importing cached pool '{}'", driver.type(), e.name());
            importCachedEntry(e);
        }
        if (!ready.isEmpty()) {
            saveCache();
        }
    }

    @Override
    public List<String> removeDriver(String type) {
        VdevDriver gone = drivers.remove(type).orElse(null);
        if (gone == null) {
            return List.of();
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
        LOG.info("vdev driver '{}' removed; pools force-exported: {}; drivers now {}", type, exported,
                drivers.types());
        return exported;
    }

    @Override
    public Optional<VdevDriver> driver(String type) {
        return drivers.driver(type);
    }

    @Override
    public List<String> driverTypes() {
        return drivers.types();
    }

    @Override
    public List<String> poolsAwaitingDriver() {
        return drivers.awaitingNames();
    }

    /**
     * Called once a new pool is in the namespace: a driver removed while the
     * pool was being created or imported did not see it in {@link
     * #removeDriver}'s sweep, so the pool fails here instead (removal takes the
     * driver out of the list before it sweeps, so one of the two sees the other).
     */
    private void checkDriversStillDeployed(Spa spa) {
        for (Vdev leaf : spa.rootVdev().leaves()) {
            if (leaf.device() != null && !drivers.accepts(leaf.path())) {
                spa.forceExportIfImported("the vdev driver of '" + leaf.path() + "' was removed while the pool "
                        + "started");
                throw drivers.missingDriver(leaf.path());
            }
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

    // ---- create ------------------------------------------------------------

    @Override
    public Pool createPool(String name, VdevLayout layout, Map<String, String> properties, boolean force) {
        checkRunning();
        checkName(name);
        if (!layout.spares().isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "pool '" + name + "': hot spares are not supported "
                    + "by this engine yet; give top-level vdevs only");
        }
        checkPaths(layout.devices());
        Map<String, String> props = PoolProperties.validateAll(properties == null ? Map.of() : properties);
        reserve(name);
        List<BlockDevice> opened = new ArrayList<>();
        try {
            // every device answers within the I/O timeout or the create fails, leaving nothing behind
            opened.addAll(DeviceCalls.all(layout.devices(), path -> openForCreate(path, force),
                    settings.ioTimeoutMillis(), d -> closeQuietly(List.of(d)), "opening it and reading its labels"));
            Map<String, BlockDevice> byPath = new LinkedHashMap<>();
            for (int i = 0; i < opened.size(); i++) {
                byPath.put(layout.devices().get(i), opened.get(i));
            }
            Set<Long> guids = new HashSet<>();
            long poolGuid = NewPool.newGuid(guids);
            Vdev root = NewPool.buildTree(name, layout, byPath, p -> drivers.driverFor(p).type(), guids);
            Spa spa = new Spa(name, poolGuid, settings.host(), root, null, null, 0, false,
                    settings.ioTimeoutMillis(), blockCache, this::departed);
            spa.initialProperties(props);
            spa.seedEvents(eventLog.history(poolGuid));
            spa.deviceOpener(deviceOpener());
            spa.logCommand("create " + name + " " + layout);
            try {
                spa.checkLabelFits(); // before anything is written to the devices
                DeviceCalls.all(List.copyOf(byPath.keySet()), path -> NewPool.wipeLabels(byPath.get(path)),
                        settings.ioTimeoutMillis(), ignored -> { }, "clearing its old labels");
            } catch (TarnException e) {
                root.leaves().forEach(Vdev::detach);
                throw e;
            }
            spa.eventSink(this::publish);
            pools.put(name, spa);
            checkDriversStillDeployed(spa);
            spa.activate(false);
            try {
                // a suspension (a device failing or hung) fails the create instead of waiting for a clear
                spa.syncOrFail();
            } catch (TarnException e) {
                spa.forceExportIfImported("creation failed: " + e.getMessage());
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

    /** How pools open devices an operator names later (attach, replace, online, add): path policy, drivers. */
    private VdevOps.Opener deviceOpener() {
        return new VdevOps.Opener() {
            @Override
            public BlockDevice open(String path) {
                checkPaths(List.of(path));
                return drivers.open(checkedPath(path), false);
            }

            @Override
            public String type(String path) {
                return drivers.driverFor(path).type();
            }
        };
    }

    /** Opens a device for a new pool and checks that it may take one; closes it again when not. */
    private BlockDevice openForCreate(String path, boolean force) {
        BlockDevice dev = drivers.open(checkedPath(path), false);
        try {
            NewPool.checkUsable(path, dev, force);
            return dev;
        } catch (RuntimeException e) {
            closeQuietly(List.of(dev));
            throw e;
        }
    }

    // ---- open and import ---------------------------------------------------

    @Override
    public Pool openPool(List<String> devicePaths, boolean readOnly) {
        checkRunning();
        if (devicePaths == null || devicePaths.isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "name at least one device of the pool");
        }
        checkPaths(devicePaths);
        devicePaths.forEach(drivers::driverFor);
        long seen = departures.get();
        List<SkippedDevice> skipped = new ArrayList<>();
        List<PoolCandidate> found = importer().read(devicePaths.stream().map(this::checkedPath).toList(), skipped);
        if (!skipped.isEmpty()) {
            SkippedDevice s = skipped.get(0);
            throw new TarnException(ErrorCode.NO_VALID_LABEL, "device '" + s.path() + "' cannot be used: "
                    + s.reason());
        }
        if (found.size() != 1) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "the devices belong to " + found.size()
                    + " pools: " + found.stream().map(PoolCandidate::name).toList());
        }
        return load(found.get(0), ImportOptions.defaults().withReadOnly(readOnly).withForce(true), seen, true);
    }

    @Override
    public ImportScan scan(List<String> dirs) {
        checkRunning();
        List<String> where = dirs == null || dirs.isEmpty() ? searchPaths() : dirs;
        if (where.isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT,
                    "no directory to scan: give one, or configure search paths");
        }
        checkPaths(where);
        List<SkippedDevice> skipped = new ArrayList<>();
        List<PoolCandidate> found = importer().readDirs(where, skipped, this::permitted);
        // like `zpool import`, list only what could be imported: not the pools imported here already
        Set<Long> here = new HashSet<>();
        pools.values().forEach(spa -> here.add(spa.guid()));
        return new ImportScan(found.stream().filter(c -> !here.contains(c.guid())).map(PoolCandidate::view).toList(),
                skipped);
    }

    @Override
    public Pool importPool(String nameOrGuid, ImportOptions options) {
        checkRunning();
        if (nameOrGuid == null || nameOrGuid.isBlank()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "name the pool to import (name or GUID)");
        }
        ImportOptions opts = options == null ? ImportOptions.defaults() : options;
        List<String> where = opts.dirs().isEmpty() ? searchPaths() : opts.dirs();
        if (where.isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT,
                    "no directory to scan: give dir=PATH, or configure search paths");
        }
        checkPaths(opts.dirs());
        long seen = departures.get();
        List<PoolCandidate> found = importer().readDirs(where, new ArrayList<>(), this::permitted);
        return load(Importer.select(found, nameOrGuid, opts, where), opts, seen, true);
    }

    /**
     * Imports a candidate: in-use checks, device open, uberblock choice
     * (rewind), activation. The name and the GUID are reserved first; if a
     * pool left this process since {@code seenDepartures} was read, the labels
     * are read again under the reservation, so an import never starts from
     * labels older than an export or force export that just finished here.
     *
     * @param named whether a caller named the devices (they pass the path policy again as they are opened),
     *              or the cache file did
     */
    private Spa load(PoolCandidate candidate, ImportOptions opts, long seenDepartures, boolean named) {
        Importer importer = importer();
        importer.checkImportable(candidate, opts);
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
                c = importer.reread(candidate);
                importer.checkImportable(c, opts);
            }
            checkTakeover(c);
            String checked = c.name();
            importer.checkActivity(c, left -> importing.put(checked,
                    new ImportProgress(checked, ImportProgress.MULTIHOST_CHECK, left)));
            Map<Long, BlockDevice> byLeafGuid = new LinkedHashMap<>();
            List<Long> leafGuids = List.copyOf(c.leafPaths().keySet());
            List<String> leafPaths = leafGuids.stream().map(c.leafPaths()::get).toList();
            // a device that hung since the scan fails the import in time instead of blocking it
            List<BlockDevice> devs = DeviceCalls.all(leafPaths,
                    p -> drivers.open(named ? checkedPath(p) : p, readOnly), settings.ioTimeoutMillis(),
                    d -> closeQuietly(List.of(d)), "opening it for the import");
            opened.addAll(devs);
            for (int i = 0; i < leafGuids.size(); i++) {
                byLeafGuid.put(leafGuids.get(i), devs.get(i));
            }
            Importer.Opened o = importer.open(name, c, byLeafGuid, opts, readOnly);
            opened.clear();
            return activateImported(name, c, o, readOnly);
        } finally {
            importing.remove(candidate.name());
            closeQuietly(opened);
            busyGuids.remove(guid);
            busyNames.remove(name);
        }
    }

    @Override
    public List<ImportProgress> importsInProgress() {
        return List.copyOf(importing.values());
    }

    /** Builds the pool of an opened candidate, starts it and claims it on disk (unless read-only). */
    private Spa activateImported(String name, PoolCandidate c, Importer.Opened o, boolean readOnly) {
        LabelConfig cfg = c.config();
        try {
            Spa spa = new Spa(name, cfg.poolGuid(), settings.host(), o.root(), o.directory(), o.uberblock().rootBp(),
                    o.startTxg(), readOnly, settings.ioTimeoutMillis(), blockCache, this::departed);
            spa.seedEvents(eventLog.history(cfg.poolGuid()));
            spa.eventSink(this::publish);
            spa.deviceOpener(deviceOpener());
            spa.logCommand("import " + (name.equals(cfg.poolName()) ? name : cfg.poolName() + " " + name)
                    + " (txg " + o.uberblock().txg() + ")");
            pools.put(name, spa);
            checkDriversStillDeployed(spa);
            spa.activate(true);
            if (!readOnly) {
                // claim the pool on disk now (ACTIVE, our host id), before anyone can see it imported; a
                // suspension fails the import instead of waiting for a clear
                try {
                    spa.syncOrFail();
                } catch (TarnException e) {
                    spa.forceExportIfImported("import could not write its labels: " + e.getMessage());
                    throw new TarnException(e.code(), "pool '" + name + "' cannot be imported: its labels cannot be "
                            + "written: " + e.getMessage(), e);
                }
            }
            // after the claim: a scan recorded in progress resumes, devices that missed txgs are resilvered
            spa.startScans();
            if (o.uberblock().txg() < o.newestTxg()) {
                spa.event("rewound", "imported at txg " + o.uberblock().txg() + "; "
                        + (o.newestTxg() - o.uberblock().txg()) + " newer txg(s) discarded");
            }
            if (!name.equals(cfg.poolName())) {
                spa.event("renamed", "imported as '" + name + "' (was '" + cfg.poolName() + "')");
            }
            saveCache();
            return spa;
        } catch (RuntimeException e) {
            o.root().leaves().forEach(Vdev::detach);
            throw e;
        }
    }

    // ---- lookup and export -------------------------------------------------

    @Override
    public Optional<Pool> pool(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    @Override
    public List<String> pools() {
        return pools.keySet().stream().sorted().toList();
    }

    private Spa require(String name) {
        checkRunning();
        Spa spa = pools.get(name);
        if (spa == null) {
            throw new TarnException(ErrorCode.POOL_NOT_FOUND, "no pool named '" + name + "' is imported here");
        }
        return spa;
    }

    @Override
    public void exportPool(String name, boolean force) {
        Spa spa = require(name);
        exportHooks.aroundCleanExport(spa, () -> spa.export(force));
    }

    @Override
    public void destroyPool(String name, boolean force) {
        Spa spa = require(name);
        exportHooks.aroundCleanExport(spa, () -> spa.destroy(force));
    }

    @Override
    public void forceExport(String name) {
        require(name).forceExport("requested by an operator");
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
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
        closed = true;
        // deliver the events of those exports and flush the event history, then let the event thread go (so
        // nothing of the engine's outlives close(): the Java agent unloads its class loader after this)
        try {
            eventExecutor.execute(eventLog::close);
        } catch (java.util.concurrent.RejectedExecutionException alreadyStopped) {
            // close() ran before: nothing left to flush
        }
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

    /** Exports cleanly (hooks included) within the deadline; force-exports when devices hang or fail. */
    private void exportOrForce(Spa spa) {
        CompletableFuture<Void> clean = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                exportHooks.aroundCleanExport(spa, () -> spa.export(true));
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
        spa.forceExportIfImported("engine shutdown: clean export failed or timed out");
    }
}
