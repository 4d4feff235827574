package org.tarn.ha.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.ErrorCode;
import org.tarn.api.ImportOptions;
import org.tarn.api.PoolEvent;
import org.tarn.api.PoolManager;
import org.tarn.api.TarnException;
import org.tarn.ha.HaService;
import org.tarn.ha.HaSettings;
import org.tarn.ha.PoolLease;
import org.tarn.ha.ServerInfo;

/**
 * The HA cluster member of one server, over ZooKeeper with Curator.
 *
 * <h2>Theory of operation</h2>
 * Under the base path (default {@code /tarn}) the cluster keeps:
 * <pre>
 *   servers/ID         ephemeral: a live server, data hostId and hostname
 *   pools/POOL         persistent: a managed pool, data its import options
 *   leases/POOL        ephemeral: the owner lease, data the owner's server id
 *   moves/POOL         persistent: an operator's move request, data the target (or "failed: why")
 *   failures/POOL/ID   ephemeral: server ID could not import POOL, data why
 * </pre>
 * A lease is an ephemeral node, so it lives exactly as long as its owner's
 * session: when ZooKeeper expires a silent server's session, its leases go.
 * The owner must have stopped writing by then. ZooKeeper's client declares
 * the connection lost (Curator: SUSPENDED) after two thirds of the session
 * timeout without an answer, while the ensemble expires the session only
 * after the whole timeout; so on SUSPENDED (or LOST) this server force-exports
 * every pool it owns at once, on a thread of its own — a force export never
 * waits for a device and takes well under a second — and the last third of
 * the timeout is the margin. An importer then takes the free lease and
 * imports, with force when the labels still name the fenced owner's host:
 * the lease, not the label, decides; a pool with {@code multihost=on} also
 * runs the activity check, which refuses while the old owner still writes.
 *
 * <p>Every server runs the same reconciliation (on every change it watches,
 * and every {@code reconcileMillis}): for each managed pool it keeps what it
 * owns imported (or hands it over when a move asks), force-exports a pool it
 * has imported but another server owns, and takes a free lease when the
 * placement picks it: the move target, else this server if it already has
 * the pool imported, else the live server with the fewest leases (ties by
 * id), skipping servers that failed to import the pool. A pool that leaves
 * its owner without the cluster asking (force-exported by its failmode or an
 * operator) or that suspends (its devices failed) is released, so another
 * server takes it over.
 */
public final class ZkHaService implements HaService {
    private static final Logger LOG = LoggerFactory.getLogger(ZkHaService.class);
    private static final String FAILED = "failed: ";

    private final PoolManager engine;
    private final HaSettings settings;
    private final CuratorFramework zk;
    private final String servers;
    private final String poolsPath;
    private final String leases;
    private final String moves;
    private final String failures;
    private final ScheduledExecutorService reconciler;
    private final ExecutorService fencer;
    private final Watcher trigger;
    /** Pools this server holds the lease of (in its current session). */
    private final Set<String> owned = ConcurrentHashMap.newKeySet();
    /** Pools this server is exporting on the cluster's behalf: their export events are expected. */
    private final Set<String> handingOver = ConcurrentHashMap.newKeySet();
    private volatile boolean connected;
    private volatile boolean closed;

    private ZkHaService(PoolManager engine, HaSettings settings) {
        this.engine = engine;
        this.settings = settings;
        String base = settings.basePath();
        this.servers = base + "/servers";
        this.poolsPath = base + "/pools";
        this.leases = base + "/leases";
        this.moves = base + "/moves";
        this.failures = base + "/failures";
        this.zk = CuratorFrameworkFactory.builder().connectString(settings.connectString())
                .sessionTimeoutMs((int) settings.sessionTimeoutMillis())
                .connectionTimeoutMs((int) settings.connectionTimeoutMillis())
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1_000))
                // the configured connect string is the truth: no rewriting it from the ensemble's config
                .ensembleTracker(false).build();
        this.reconciler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tarn-ha-" + settings.serverId()));
        this.fencer = Executors.newSingleThreadExecutor(r -> daemon(r, "tarn-ha-fence-" + settings.serverId()));
        this.trigger = event -> reconcileSoon();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public static ZkHaService start(PoolManager engine, HaSettings settings) {
        ZkHaService s = new ZkHaService(engine, settings);
        s.zk.getConnectionStateListenable().addListener((client, state) -> s.onState(state));
        engine.addEventListener(s::onPoolEvent);
        s.zk.start();
        s.reconciler.scheduleWithFixedDelay(s::reconcileSafely, 0, settings.reconcileMillis(), TimeUnit.MILLISECONDS);
        LOG.info("ha: server '{}' joining {} at {}", settings.serverId(), settings.connectString(), settings.basePath());
        return s;
    }

    // ---- connection and fencing --------------------------------------------

    private void onState(ConnectionState state) {
        switch (state) {
            case CONNECTED, RECONNECTED -> {
                connected = true;
                LOG.info("ha: server '{}' connected to ZooKeeper ({})", settings.serverId(), state);
                reconcileSoon();
            }
            case SUSPENDED, LOST, READ_ONLY -> {
                connected = false;
                fencer.execute(() -> fence("ZooKeeper connection " + state));
            }
            default -> {
            }
        }
    }

    /** Force-exports every pool this server owns: its session may expire, and another server take them. */
    private void fence(String why) {
        for (String pool : List.copyOf(owned)) {
            if (engine.pool(pool).isPresent()) {
                forceExportQuietly(pool, "ha: server '" + settings.serverId() + "' fenced itself (" + why + ")");
            }
        }
    }

    private void forceExportQuietly(String pool, String why) {
        try {
            LOG.warn("{}: force-exporting pool '{}'", why, pool);
            engine.forceExport(pool);
        } catch (TarnException e) {
            if (e.code() != ErrorCode.POOL_NOT_FOUND && e.code() != ErrorCode.POOL_EXPORTED) {
                LOG.error("ha: force export of pool '{}' failed: {}", pool, e.getMessage());
            }
        }
    }

    private void onPoolEvent(String pool, long guid, PoolEvent event) {
        if (!owned.contains(pool) || handingOver.contains(pool) || !connected || closed) {
            return;
        }
        switch (event.type()) {
            case "suspended" -> reconciler.execute(() -> {
                handingOver.add(pool); // its force-exported event is ours
                try {
                    forceExportQuietly(pool, "ha: pool '" + pool + "' suspended (" + event.detail()
                            + "); failing it over");
                    release(pool, "suspended on " + settings.serverId() + ": " + event.detail());
                } finally {
                    handingOver.remove(pool);
                }
            });
            case "force-exported", "exported", "destroyed" -> reconciler.execute(() ->
                    release(pool, event.type() + " on " + settings.serverId() + " outside HA: " + event.detail()));
            default -> {
            }
        }
    }

    /** Gives up the lease of a pool that left this server, and keeps the placement from picking it again. */
    private void release(String pool, String why) {
        try {
            markFailure(pool, why);
            deleteLeaseIfMine(pool);
            LOG.warn("ha: released the lease of pool '{}': {}", pool, why);
        } catch (Exception e) {
            LOG.error("ha: could not release the lease of pool '{}': {}", pool, e.toString());
        }
    }

    // ---- reconciliation ----------------------------------------------------

    private void reconcileSoon() {
        if (!closed) {
            try {
                reconciler.execute(this::reconcileSafely);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private void reconcileSafely() {
        if (!connected || closed) {
            return;
        }
        try {
            reconcile();
        } catch (Exception e) {
            LOG.warn("ha: server '{}': reconciliation failed, retrying: {}", settings.serverId(), e.toString());
        }
    }

    private record Lease(String owner, long session) {
    }

    private long session() throws Exception {
        return zk.getZookeeperClient().getZooKeeper().getSessionId();
    }

    private void reconcile() throws Exception {
        long session = session();
        register(session);
        Map<String, String> live = childrenData(servers, true);
        Map<String, String> managed = childrenData(poolsPath, false);
        Map<String, Lease> held = leases(true);
        Map<String, String> moveRequests = childrenData(moves, true);
        String me = settings.serverId();

        for (Map.Entry<String, Lease> l : held.entrySet()) {
            if (!managed.containsKey(l.getKey()) && isMine(l.getValue(), session)) {
                deleteLeaseIfMine(l.getKey()); // unmanaged: no lease any more, the pool stays imported
            }
        }
        for (Map.Entry<String, String> p : new TreeMap<>(managed).entrySet()) {
            String pool = p.getKey();
            String options = p.getValue();
            Lease lease = held.get(pool);
            boolean local = engine.pool(pool).isPresent();
            String move = moveRequests.get(pool);
            if (lease != null && isMine(lease, session)) {
                owned.add(pool);
                if (move != null && !move.startsWith(FAILED) && !move.equals(me) && live.containsKey(move)) {
                    handOver(pool, move);
                } else if (!local) {
                    importOwned(pool, options, move);
                } else if (me.equals(move)) {
                    deleteQuietly(moves + "/" + pool);
                }
            } else if (lease != null) {
                owned.remove(pool);
                if (local && !handingOver.contains(pool)) {
                    forceExportQuietly(pool, "ha: pool '" + pool + "' is owned by server '" + lease.owner()
                            + "', not by this one");
                }
            } else {
                owned.remove(pool);
                if (me.equals(choose(pool, local, live, held, move))) {
                    acquire(pool, options, local, move);
                }
            }
        }
    }

    private boolean isMine(Lease lease, long session) {
        return lease.owner().equals(settings.serverId()) && lease.session() == session;
    }

    /** The placement's choice for a free lease, or null. */
    private String choose(String pool, boolean local, Map<String, String> live, Map<String, Lease> held, String move)
            throws Exception {
        Set<String> failed = childrenData(failures + "/" + pool, false).keySet();
        if (move != null && !move.startsWith(FAILED) && live.containsKey(move) && !failed.contains(move)) {
            return move;
        }
        if (local) {
            return settings.serverId();
        }
        Map<String, Integer> load = new HashMap<>();
        live.keySet().forEach(s -> load.put(s, 0));
        held.values().forEach(l -> load.computeIfPresent(l.owner(), (k, v) -> v + 1));
        return live.keySet().stream().filter(s -> !failed.contains(s))
                .min(Comparator.<String>comparingInt(load::get).thenComparing(Comparator.naturalOrder()))
                .orElse(null);
    }

    private void acquire(String pool, String options, boolean local, String move) throws Exception {
        try {
            zk.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
                    .forPath(leases + "/" + pool, bytes(settings.serverId()));
        } catch (KeeperException.NodeExistsException e) {
            return; // another server was quicker
        }
        owned.add(pool);
        LOG.info("ha: server '{}' took the lease of pool '{}'", settings.serverId(), pool);
        if (!local) {
            importOwned(pool, options, move);
        } else if (settings.serverId().equals(move)) {
            deleteQuietly(moves + "/" + pool);
        }
    }

    /** Imports a pool whose lease this server holds; gives the lease up when that fails. */
    private void importOwned(String pool, String options, String move) throws Exception {
        ImportOptions o = ImportOptions.parse(options);
        try {
            try {
                engine.importPool(pool, o);
            } catch (TarnException e) {
                if (e.code() != ErrorCode.POOL_IN_USE_ELSEWHERE) {
                    throw e;
                }
                // the labels name the last owner, which fenced itself before its lease expired
                LOG.warn("ha: pool '{}' is marked in use by its last owner, whose lease expired: importing with "
                        + "force ({})", pool, e.getMessage());
                engine.importPool(pool, o.withForce(true));
            }
        } catch (TarnException e) {
            if (e.code() == ErrorCode.POOL_EXISTS) {
                return; // imported meanwhile
            }
            LOG.error("ha: server '{}' cannot import pool '{}': {}", settings.serverId(), pool, e.getMessage());
            release(pool, "import on " + settings.serverId() + " failed: " + e.getMessage());
            return;
        }
        if (!connected) {
            // the session went while importing: the fence may have run before the import finished
            forceExportQuietly(pool, "ha: server '" + settings.serverId() + "' lost ZooKeeper while importing");
            return;
        }
        LOG.info("ha: server '{}' imported pool '{}'", settings.serverId(), pool);
        for (String failedOn : childrenData(failures + "/" + pool, false).keySet()) {
            deleteQuietly(failures + "/" + pool + "/" + failedOn);
        }
        if (settings.serverId().equals(move)) {
            deleteQuietly(moves + "/" + pool);
        }
    }

    /** A move asked for: export cleanly, then give the lease up for the target to take. */
    private void handOver(String pool, String target) throws Exception {
        handingOver.add(pool);
        try {
            LOG.info("ha: moving pool '{}' from '{}' to '{}': exporting it", pool, settings.serverId(), target);
            engine.exportPool(pool, false);
        } catch (TarnException e) {
            LOG.warn("ha: move of pool '{}' to '{}' failed: {}", pool, target, e.getMessage());
            zk.setData().forPath(moves + "/" + pool, bytes(FAILED + "the export on " + settings.serverId()
                    + " failed: " + e.getMessage()));
            return;
        } finally {
            handingOver.remove(pool);
        }
        deleteLeaseIfMine(pool);
    }

    private void deleteLeaseIfMine(String pool) throws Exception {
        String path = leases + "/" + pool;
        Stat stat = new Stat();
        try {
            String owner = string(zk.getData().storingStatIn(stat).forPath(path));
            if (owner.equals(settings.serverId()) && stat.getEphemeralOwner() == session()) {
                zk.delete().withVersion(stat.getVersion()).forPath(path);
            }
        } catch (KeeperException.NoNodeException e) {
            // gone already
        }
        owned.remove(pool);
    }

    private void markFailure(String pool, String why) throws Exception {
        String path = failures + "/" + pool + "/" + settings.serverId();
        try {
            zk.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, bytes(why));
        } catch (KeeperException.NodeExistsException e) {
            zk.setData().forPath(path, bytes(why));
        }
    }

    private void register(long session) throws Exception {
        String path = servers + "/" + settings.serverId();
        byte[] data = bytes(Long.toHexString(engine.hostId()) + "\n" + engine.hostname());
        Stat stat = zk.checkExists().forPath(path);
        if (stat != null && stat.getEphemeralOwner() == session) {
            return;
        }
        if (stat != null) {
            // a previous incarnation of this server, whose session has not expired yet
            deleteQuietly(path);
        }
        try {
            zk.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, data);
            LOG.info("ha: server '{}' registered (host id {})", settings.serverId(), Long.toHexString(engine.hostId()));
        } catch (KeeperException.NodeExistsException e) {
            // registered by a concurrent reconciliation
        }
    }

    // ---- ZooKeeper reads ---------------------------------------------------

    private Map<String, String> childrenData(String path, boolean watch) throws Exception {
        List<String> names;
        try {
            names = watch ? zk.getChildren().usingWatcher(trigger).forPath(path) : zk.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            if (watch) {
                zk.checkExists().usingWatcher(trigger).forPath(path);
            }
            return Map.of();
        }
        Map<String, String> out = new TreeMap<>();
        for (String n : names) {
            try {
                out.put(n, string(zk.getData().forPath(path + "/" + n)));
            } catch (KeeperException.NoNodeException e) {
                // went away between the two reads
            }
        }
        return out;
    }

    private Map<String, Lease> leases(boolean watch) throws Exception {
        List<String> names;
        try {
            names = watch ? zk.getChildren().usingWatcher(trigger).forPath(leases) : zk.getChildren().forPath(leases);
        } catch (KeeperException.NoNodeException e) {
            if (watch) {
                zk.checkExists().usingWatcher(trigger).forPath(leases);
            }
            return Map.of();
        }
        Map<String, Lease> out = new TreeMap<>();
        for (String n : names) {
            Stat stat = new Stat();
            try {
                String owner = string(zk.getData().storingStatIn(stat).forPath(leases + "/" + n));
                out.put(n, new Lease(owner, stat.getEphemeralOwner()));
            } catch (KeeperException.NoNodeException e) {
                // released between the two reads
            }
        }
        return out;
    }

    private void deleteQuietly(String path) {
        try {
            zk.delete().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            // gone already
        } catch (Exception e) {
            LOG.warn("ha: could not delete {}: {}", path, e.toString());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }

    // ---- the service -------------------------------------------------------

    @Override
    public String serverId() {
        return settings.serverId();
    }

    @Override
    public boolean connected() {
        return connected;
    }

    private void requireConnected() {
        if (!connected) {
            throw new IllegalStateException("ha: server '" + settings.serverId() + "' is not connected to ZooKeeper "
                    + "at " + settings.connectString() + "; check the ensemble and this server's network");
        }
    }

    @Override
    public List<ServerInfo> servers() {
        requireConnected();
        return call(() -> {
            Map<String, Lease> held = leases(false);
            List<ServerInfo> out = new ArrayList<>();
            for (Map.Entry<String, String> s : childrenData(servers, false).entrySet()) {
                String[] d = s.getValue().split("\n", 2);
                int count = (int) held.values().stream().filter(l -> l.owner().equals(s.getKey())).count();
                out.add(new ServerInfo(s.getKey(), d[0], d.length > 1 ? d[1] : "", count));
            }
            return out;
        });
    }

    @Override
    public List<PoolLease> pools() {
        requireConnected();
        return call(() -> {
            Map<String, Lease> held = leases(false);
            Map<String, String> moveRequests = childrenData(moves, false);
            List<PoolLease> out = new ArrayList<>();
            for (Map.Entry<String, String> p : childrenData(poolsPath, false).entrySet()) {
                Lease l = held.get(p.getKey());
                String error = String.join("; ", childrenData(failures + "/" + p.getKey(), false).values());
                String move = moveRequests.getOrDefault(p.getKey(), "");
                if (move.startsWith(FAILED)) {
                    error = error.isEmpty() ? move : error + "; " + move;
                    move = "";
                }
                out.add(new PoolLease(p.getKey(), l == null ? "" : l.owner(), p.getValue(), move, error));
            }
            return out;
        });
    }

    @Override
    public List<String> ownedPools() {
        return owned.stream().filter(p -> engine.pool(p).isPresent()).sorted().toList();
    }

    @Override
    public void manage(String pool, String importOptions) {
        requireName(pool, "pool");
        String options = importOptions == null ? "" : importOptions.trim();
        ImportOptions parsed;
        try {
            parsed = ImportOptions.parse(options);
        } catch (TarnException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (parsed.force()) {
            throw new IllegalArgumentException(ErrorCode.INVALID_ARGUMENT.tag() + " ha: import options of pool '"
                    + pool + "' must not force: the lease decides when an import may take a pool from its last host");
        }
        requireConnected();
        run(() -> {
            String path = poolsPath + "/" + pool;
            String leasePath = leases + "/" + pool;
            // a pool imported here is listed as managed and leased in one ZooKeeper transaction: listed first,
            // another server's reconcile could take its free lease (and import it); leased first, this
            // server's own reconcile would drop the lease of a pool not (yet) managed
            boolean here = engine.pool(pool).isPresent();
            zk.createContainers(poolsPath);
            zk.createContainers(leases);
            for (int attempt = 0; here && attempt < 5; attempt++) {
                byte[] lease = data(leasePath);
                if (lease != null) {
                    String owner = string(lease);
                    if (!owner.equals(settings.serverId())) {
                        throw new IllegalStateException("ha: pool '" + pool + "' is imported here but server '" + owner
                                + "' holds its lease; export it here, or move it from there");
                    }
                    break; // already ours: list it below
                }
                CuratorOp list = zk.checkExists().forPath(path) != null
                        ? zk.transactionOp().setData().forPath(path, bytes(options))
                        : zk.transactionOp().create().forPath(path, bytes(options));
                try {
                    zk.transaction().forOperations(list, zk.transactionOp().create().withMode(CreateMode.EPHEMERAL)
                            .forPath(leasePath, bytes(settings.serverId())));
                    owned.add(pool);
                    return;
                } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException raced) {
                    // the lease or the listing changed meanwhile: look again
                }
            }
            try {
                zk.create().creatingParentContainersIfNeeded().forPath(path, bytes(options));
            } catch (KeeperException.NodeExistsException e) {
                zk.setData().forPath(path, bytes(options));
            }
            if (here) {
                owned.add(pool);
            }
        });
        LOG.info("ha: pool '{}' managed (import options '{}')", pool, options);
        reconcileSoon();
    }

    /** The data of a node, or null when there is none. */
    private byte[] data(String path) throws Exception {
        try {
            return zk.getData().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    @Override
    public void unmanage(String pool) {
        requireName(pool, "pool");
        requireConnected();
        run(() -> {
            if (zk.checkExists().forPath(poolsPath + "/" + pool) == null) {
                throw new IllegalArgumentException(ErrorCode.POOL_NOT_FOUND.tag() + " ha: pool '" + pool
                        + "' is not managed");
            }
            deleteQuietly(moves + "/" + pool);
            zk.delete().forPath(poolsPath + "/" + pool);
            deleteLeaseIfMine(pool);
        });
        reconcileSoon();
    }

    @Override
    public String move(String pool, String toServer, Duration timeout) {
        requireName(pool, "pool");
        requireName(toServer, "server");
        requireConnected();
        long deadline = System.nanoTime() + timeout.toNanos();
        run(() -> {
            if (zk.checkExists().forPath(poolsPath + "/" + pool) == null) {
                throw new IllegalArgumentException(ErrorCode.POOL_NOT_FOUND.tag() + " ha: pool '" + pool
                        + "' is not managed");
            }
            if (zk.checkExists().forPath(servers + "/" + toServer) == null) {
                throw new IllegalArgumentException("ha: no live server '" + toServer + "'; live: "
                        + childrenData(servers, false).keySet());
            }
            for (String failedOn : childrenData(failures + "/" + pool, false).keySet()) {
                deleteQuietly(failures + "/" + pool + "/" + failedOn);
            }
            String path = moves + "/" + pool;
            try {
                zk.create().creatingParentContainersIfNeeded().forPath(path, bytes(toServer));
            } catch (KeeperException.NodeExistsException e) {
                zk.setData().forPath(path, bytes(toServer));
            }
        });
        LOG.info("ha: move of pool '{}' to '{}' requested", pool, toServer);
        reconcileSoon();
        while (true) {
            String state = call(() -> {
                Map<String, Lease> held = leases(false);
                Lease l = held.get(pool);
                byte[] m;
                try {
                    m = zk.getData().forPath(moves + "/" + pool);
                } catch (KeeperException.NoNodeException e) {
                    m = null;
                }
                String move = m == null ? null : string(m);
                if (move != null && move.startsWith(FAILED)) {
                    deleteQuietly(moves + "/" + pool);
                    return move;
                }
                String failed = childrenData(failures + "/" + pool, false).get(toServer);
                if (failed != null) {
                    deleteQuietly(moves + "/" + pool);
                    return FAILED + failed;
                }
                return l != null && l.owner().equals(toServer) && move == null ? "done" : "waiting";
            });
            if (state.equals("done")) {
                return toServer;
            }
            if (state.startsWith(FAILED)) {
                throw new IllegalStateException("ha: move of pool '" + pool + "' to '" + toServer + "' " + state);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(ErrorCode.TIMED_OUT.tag() + " ha: move of pool '" + pool + "' to '"
                        + toServer + "' did not finish within " + timeout.toMillis() + " ms (" + pools().stream()
                        .filter(p -> p.pool().equals(pool)).findFirst().map(Object::toString).orElse("") + ")");
            }
            try {
                Thread.sleep(100); // polls the ensemble until the move lands or the deadline passes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("ha: interrupted while moving pool '" + pool + "'");
            }
        }
    }

    private static void requireName(String name, String what) {
        if (name == null || !name.matches("[A-Za-z][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException(ErrorCode.INVALID_ARGUMENT.tag() + " ha: " + what + " '" + name
                    + "' must be a letter, then letters, digits and _.-");
        }
    }

    @FunctionalInterface
    private interface ZkCall<T> {
        T call() throws Exception;
    }

    @FunctionalInterface
    private interface ZkRun {
        void run() throws Exception;
    }

    private <T> T call(ZkCall<T> body) {
        try {
            return body.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("ha: ZooKeeper at " + settings.connectString() + " failed: " + e, e);
        }
    }

    private void run(ZkRun body) {
        call(() -> {
            body.run();
            return null;
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        // leaving: the pools this server owns are exported (so no other server can take them while they
        // are imported here), then their leases go with the session
        engine.removeEventListener(this::onPoolEvent);
        try {
            Future<?> stop = reconciler.submit(() -> {
                closed = true;
                for (String pool : List.copyOf(owned)) {
                    handingOver.add(pool);
                    try {
                        engine.exportPool(pool, true);
                    } catch (TarnException e) {
                        forceExportQuietly(pool, "ha: server '" + settings.serverId() + "' leaving, the clean "
                                + "export failed (" + e.getMessage() + ")");
                    }
                }
            });
            stop.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            closed = true;
            LOG.error("ha: server '{}' leaving: {}", settings.serverId(), e.toString());
            fence("leaving");
        }
        reconciler.shutdownNow();
        fencer.shutdown();
        zk.close();
        LOG.info("ha: server '{}' left the cluster", settings.serverId());
    }
}
