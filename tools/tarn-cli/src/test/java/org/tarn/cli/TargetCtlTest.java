package org.tarn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.engine.Engine;
import org.tarn.engine.EngineSettings;
import org.tarn.engine.TarnEngine;
import org.tarn.jmx.TargetMBeans;
import org.tarn.jmx.TarnMBeans;
import org.tarn.target.TargetService;
import org.tarn.target.TargetSettings;
import org.tarn.target.Targets;
import org.tarn.vdev.file.FileVdevDriver;

/** {@code tarnctl targets} and {@code tarnctl target ...} against in-process MBeans. */
class TargetCtlTest {
    @TempDir
    Path dir;

    private Engine engine;
    private TargetService targets;
    private TarnMBeans pools;
    private TargetMBeans targetBeans;
    private Backend backend;

    @BeforeEach
    void start() throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        engine = TarnEngine.start(EngineSettings.ephemeral(), List.of(new FileVdevDriver()));
        targets = Targets.start(engine, TargetSettings.defaults());
        pools = TarnMBeans.register(engine, server);
        targetBeans = TargetMBeans.register(targets, server);
        backend = new JmxBackend(server, "in-process");
        String d = FileVdevDriver.createSparseFile(dir.resolve("d0"), CliFixture.DEVICE_BYTES).toString();
        assertThat(run("create", "tank", d).exit()).isZero();
    }

    @AfterEach
    void stop() {
        targetBeans.close();
        pools.close();
        targets.close();
        engine.close();
    }

    private CliFixture.Result run(String... args) {
        return CliFixture.runWith(backend, args);
    }

    @Test
    void create_and_list_targets_pos() {
        assertThat(run("targets").out()).contains("no targets");
        CliFixture.Result created = run("target", "create", "tank", "ost0", "OST");
        assertThat(created.exit()).as("%s", created).isZero();
        assertThat(run("target", "create", "tank", "mdt0", "mdt").exit()).isZero();

        CliFixture.Result list = run("targets");
        assertThat(list.exit()).isZero();
        assertThat(list.outLines()).hasSize(3);
        assertThat(list.outLines().get(0)).startsWith("POOL").contains("NAME", "ROLE", "STATE", "TRANSNO",
                "COMMITTED", "RECOVERY");
        assertThat(list.outLines().get(1)).contains("tank", "mdt0", "MDT", "ACTIVE", "NONE");
        assertThat(list.outLines().get(2)).contains("ost0", "OST");
        assertThat(run("targets", "-H", "tank").outLines()).containsExactly(
                "tank\tmdt0\tMDT\tACTIVE\t0\t0\tNONE", "tank\tost0\tOST\tACTIVE\t0\t0\tNONE");
        assertThat(run("targets", "other").out()).contains("no targets in other");

        assertThat(run("target", "status", "tank", "ost0").out()).contains("tank/ost0").contains("role: OST");
        assertThat(run("target", "abort-recovery", "tank", "ost0").out()).contains("not recovering");
        // export unmounts the targets first
        assertThat(run("export", "tank").exit()).isZero();
    }

    @Test
    void target_commands_refuse_bad_input_neg() {
        CliFixture.Result bad = run("target", "create", "tank", "ost0", "MGS");
        assertThat(bad.exit()).isEqualTo(TarnCtl.EXIT_ERROR);
        assertThat(bad.err()).contains("cannot create target 'tank/ost0'").contains("MDT or OST");
        assertThat(run("target", "create", "tank", "ost0").exit()).isEqualTo(TarnCtl.EXIT_USAGE);
        assertThat(run("target", "frob", "tank", "ost0").exit()).isEqualTo(TarnCtl.EXIT_USAGE);
        CliFixture.Result missing = run("target", "status", "tank", "nosuch");
        assertThat(missing.exit()).isEqualTo(TarnCtl.EXIT_ERROR);
        assertThat(missing.err()).contains("cannot get the status of target 'tank/nosuch'");
        assertThat(run("target", "create", "nopool", "ost0", "OST").err()).contains("TARN-2");
    }
}
