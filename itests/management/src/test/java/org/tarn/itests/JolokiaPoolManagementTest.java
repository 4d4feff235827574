package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.tarn.dist.ServerFixture;

/**
 * The contract over Jolokia HTTP against the Tarn server. A failure must
 * carry the JSON {@code status} Jolokia gives the MBean's exception and an
 * {@code error} naming the TARN code.
 */
class JolokiaPoolManagementTest extends PoolManagementContract {
    private Path data;
    private ServerFixture server;

    @Override
    protected MBeanAccess connect() throws Exception {
        data = Files.createTempDirectory("tarn-jolokia");
        server = ServerFixture.start(data, false, true);
        return new JolokiaAccess(server.jolokiaUrl());
    }

    @Override
    protected List<String> newDevices(int n) throws Exception {
        return server.newDevices("d", n);
    }

    @Override
    protected void assertFailureStatus(ManagementFailure failure, String exceptionType) {
        // Jolokia answers any exception thrown by an MBean operation or getter with JSON status 500
        // (400 is for requests Jolokia itself cannot parse); error_type tells IAE from ISE
        assertThat(failure.status()).as("Jolokia status of %s", failure.getMessage()).isEqualTo(500);
        // ... inside an HTTP 200 response (Jolokia's default; the status travels in the JSON)
        assertThat(failure.httpStatus()).isEqualTo(200);
        assertThat(failure.getMessage()).startsWith(exceptionType);
    }

    @Override
    protected void shutdown() throws Exception {
        if (server != null) {
            server.close();
        }
        TestFiles.deleteTree(data);
    }
}
