package org.tarn.ha.ocf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the agent's tests need from the machine. They are not skipped when it
 * is missing: they fail, naming the Debian packages ({@code .ci/run} installs
 * them) or the privilege that is missing.
 */
final class Prerequisites {
    private Prerequisites() {
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool));
    }

    static String which(String tool) {
        for (String dir : (System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return tool;
    }

    /** curl, and the resource-agents package (ocf-shellfuncs, ocf-tester, xmllint for its meta-data check). */
    static void agentTools() {
        assertThat(Agent.executable()).as("the agent %s is executable", Agent.SCRIPT).isTrue();
        for (String tool : List.of("curl", "ocf-tester", "xmllint")) {
            assertThat(onPath(tool)).as("%s is installed (apt-get install curl resource-agents libxml2-utils; "
                    + ".ci/run does)", tool).isTrue();
        }
        assertThat(Path.of("/usr/lib/ocf/lib/heartbeat/ocf-shellfuncs")).as("resource-agents is installed").exists();
    }

    /** Pacemaker and corosync, root (for mount and network namespaces) and unshare/nsenter/ip. */
    static void cluster() {
        agentTools();
        for (String tool : List.of("corosync", "pacemakerd", "crm_mon", "cibadmin", "crm_attribute", "crm_resource",
                "unshare", "nsenter", "ip")) {
            assertThat(onPath(tool)).as("%s is installed (apt-get install pacemaker pacemaker-cli-utils corosync "
                    + "util-linux iproute2; .ci/run does)", tool).isTrue();
        }
        assertThat(System.getProperty("user.name")).as("the cluster tests run as root: Pacemaker's daemons and the "
                + "per-node mount namespaces need it (CI runs as root)").isEqualTo("root");
    }
}
