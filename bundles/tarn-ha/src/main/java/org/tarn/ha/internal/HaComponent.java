package org.tarn.ha.internal;

import java.lang.management.ManagementFactory;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tarn.api.PoolManager;
import org.tarn.ha.HaMBeans;
import org.tarn.ha.HaService;
import org.tarn.ha.HaSettings;
import org.tarn.ha.TarnHa;

/**
 * Joins the framework's engine (its {@link PoolManager} service) to a
 * ZooKeeper HA cluster and registers {@code tarn:type=HaManager} in the
 * platform MBeanServer. Only when configured (PID {@value #PID}) with an
 * ensemble; the standalone server writes that configuration from its
 * {@code ha.*} settings. The engine service going away, or the
 * configuration being deleted, makes this server leave the cluster: it
 * exports the pools it owns first (so that no other server can take one
 * while it is still imported here), then their leases go with its session.
 */
@Component(immediate = true, configurationPid = HaComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = HaComponent.Config.class)
public final class HaComponent {
    /** Configuration PID of the HA membership. */
    public static final String PID = "org.tarn.ha";
    private static final Logger LOG = LoggerFactory.getLogger(HaComponent.class);

    /** Configuration of the HA membership, PID {@value HaComponent#PID}. */
    @ObjectClassDefinition(name = "Tarn HA over ZooKeeper", description = "Automatic failover of this server's "
            + "pools through a ZooKeeper ensemble: owner leases, self-fencing, placement, moves.")
    public @interface Config {
        @AttributeDefinition(name = "ZooKeeper", description = "The ensemble, host:port,host:port")
        String connectString();

        @AttributeDefinition(name = "Server id", description = "This server's name in the cluster, unique and "
                + "stable across restarts; empty: 'h' and the engine's host id in hex")
        String serverId() default "";

        @AttributeDefinition(name = "Base path", description = "ZooKeeper path under which the cluster keeps its "
                + "nodes")
        String basePath() default HaSettings.DEFAULT_BASE_PATH;

        @AttributeDefinition(name = "Session timeout", description = "Milliseconds a silent server keeps its "
                + "leases; it force-exports its pools after two thirds of it")
        long sessionTimeoutMillis() default HaSettings.DEFAULT_SESSION_TIMEOUT_MILLIS;
    }

    private final HaService ha;
    private final HaMBeans mbeans;

    @Activate
    public HaComponent(@Reference PoolManager engine, Config config) {
        String id = config.serverId() == null || config.serverId().isBlank()
                ? "h" + Long.toHexString(engine.hostId()) : config.serverId().trim();
        HaSettings settings = HaSettings.of(config.connectString(), id).withBasePath(config.basePath())
                .withSessionTimeoutMillis(config.sessionTimeoutMillis());
        this.ha = TarnHa.start(engine, settings);
        try {
            this.mbeans = HaMBeans.register(ha, settings.connectString(), ManagementFactory.getPlatformMBeanServer());
        } catch (RuntimeException e) {
            ha.close();
            throw e;
        }
        LOG.info("HA: server '{}' joining ZooKeeper {} under {}", id, settings.connectString(), settings.basePath());
    }

    @Deactivate
    void stop() {
        try {
            mbeans.close();
        } finally {
            ha.close();
        }
    }
}
