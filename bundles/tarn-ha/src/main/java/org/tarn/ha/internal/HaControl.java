package org.tarn.ha.internal;

import java.time.Duration;

import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import javax.management.openmbean.TabularData;
import javax.management.openmbean.TabularDataSupport;
import javax.management.openmbean.TabularType;

import org.tarn.ha.HaManagerMXBean;
import org.tarn.ha.HaService;
import org.tarn.ha.PoolLease;
import org.tarn.ha.ServerInfo;

/** {@code tarn:type=HaManager}: the MBean of an {@link HaService}; open types, one simple index per table. */
public final class HaControl implements HaManagerMXBean {
    static final long MIN_MOVE_MILLIS = 1_000;
    static final long MAX_MOVE_MILLIS = 600_000;

    private static final CompositeType SERVER = composite("HaServer", "A live server of the HA cluster",
            new String[] {"id", "hostId", "hostname", "leases"},
            new String[] {"Server id", "Host id of its engine (hexadecimal)", "Host name of its engine",
                "Pool leases it holds"},
            new OpenType<?>[] {SimpleType.STRING, SimpleType.STRING, SimpleType.STRING, SimpleType.INTEGER});
    private static final TabularType SERVERS = tabular("HaServers", "The live servers by id", SERVER, "id");
    private static final CompositeType POOL = composite("HaPool", "A pool managed by the HA cluster",
            new String[] {"pool", "owner", "importOptions", "moveTarget", "lastError"},
            new String[] {"Pool name", "Server holding its lease (empty: none)", "Options of every import",
                "Server a move was asked to (empty: none)", "Why the last import attempt failed (empty: none)"},
            new OpenType<?>[] {SimpleType.STRING, SimpleType.STRING, SimpleType.STRING, SimpleType.STRING,
                SimpleType.STRING});
    private static final TabularType POOLS = tabular("HaPools", "The managed pools by name", POOL, "pool");

    private final HaService ha;
    private final String connectString;

    public HaControl(HaService ha, String connectString) {
        this.ha = ha;
        this.connectString = connectString;
    }

    private static CompositeType composite(String name, String desc, String[] items, String[] descs,
            OpenType<?>[] types) {
        try {
            return new CompositeType(name, desc, items, descs, types);
        } catch (OpenDataException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TabularType tabular(String name, String desc, CompositeType row, String index) {
        try {
            return new TabularType(name, desc, row, new String[] {index});
        } catch (OpenDataException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String getServerId() {
        return ha.serverId();
    }

    @Override
    public boolean isConnected() {
        return ha.connected();
    }

    @Override
    public String getConnectString() {
        return connectString;
    }

    @Override
    public TabularData getServers() {
        TabularDataSupport t = new TabularDataSupport(SERVERS);
        if (!ha.connected()) {
            return t;
        }
        try {
            for (ServerInfo s : ha.servers()) {
                t.put(new CompositeDataSupport(SERVER, new String[] {"id", "hostId", "hostname", "leases"},
                        new Object[] {s.id(), s.hostId(), s.hostname(), s.leases()}));
            }
        } catch (OpenDataException e) {
            throw new IllegalStateException(e.toString());
        }
        return t;
    }

    @Override
    public TabularData getPools() {
        TabularDataSupport t = new TabularDataSupport(POOLS);
        if (!ha.connected()) {
            return t;
        }
        try {
            for (PoolLease p : ha.pools()) {
                t.put(new CompositeDataSupport(POOL, new String[] {"pool", "owner", "importOptions", "moveTarget",
                    "lastError"}, new Object[] {p.pool(), p.owner(), p.importOptions(), p.moveTarget(), p.lastError()}));
            }
        } catch (OpenDataException e) {
            throw new IllegalStateException(e.toString());
        }
        return t;
    }

    @Override
    public String[] getOwnedPools() {
        return ha.ownedPools().toArray(String[]::new);
    }

    @Override
    public void manage(String pool, String importOptions) {
        ha.manage(pool, importOptions);
    }

    @Override
    public void unmanage(String pool) {
        ha.unmanage(pool);
    }

    @Override
    public String movePool(String pool, String server, long timeoutMillis) {
        if (timeoutMillis < MIN_MOVE_MILLIS || timeoutMillis > MAX_MOVE_MILLIS) {
            throw new IllegalArgumentException("TARN-1 ha: timeoutMillis must be " + MIN_MOVE_MILLIS + " to "
                    + MAX_MOVE_MILLIS + ", got " + timeoutMillis);
        }
        return ha.move(pool, server, Duration.ofMillis(timeoutMillis));
    }
}
