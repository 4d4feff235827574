package org.tarn.target.server.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.tarn.target.protocol.WireFormat;
import org.tarn.target.server.TargetServerSettings;

/** Configuration of the target server, PID {@value TargetServerComponent#PID}. */
@ObjectClassDefinition(name = "Tarn target server", description = "Serves the storage targets of this engine to "
        + "remote clients (tarn-client) over TCP. Loopback only unless host says otherwise; a change restarts the "
        + "server (clients reconnect and resend).")
@interface ServerConfig {

    @AttributeDefinition(name = "Enabled", description = "Whether to serve targets over the network at all.")
    boolean enabled() default true;

    @AttributeDefinition(name = "Host", description = "Address to listen on. A non-loopback address without TLS "
            + "and a shared secret or client certificates logs a SECURITY warning.")
    String host() default TargetServerSettings.HOST;

    @AttributeDefinition(name = "Port", description = "TCP port; 0 picks a free one.", min = "0", max = "65535")
    int port() default TargetServerSettings.PORT;

    @AttributeDefinition(name = "Server name", description = "Name told to clients; empty: the host name.")
    String serverName() default "";

    @AttributeDefinition(name = "Largest frame (bytes)", description = "Frames above this close the connection.",
            min = "1024")
    int maxFrameBytes() default WireFormat.MAX_FRAME_BYTES;

    @AttributeDefinition(name = "Requests in flight per connection", description = "Beyond this the server stops "
            + "reading from the connection until some finish.", min = "1")
    int maxInFlight() default TargetServerSettings.MAX_IN_FLIGHT;

    @AttributeDefinition(name = "Idle timeout (ms)", description = "A connection silent this long is closed "
            + "(clients ping every second).", min = "1")
    long idleTimeoutMillis() default TargetServerSettings.IDLE_TIMEOUT_MILLIS;

    @AttributeDefinition(name = "Threads per target", description = "Threads executing one target's requests.",
            min = "1")
    int threadsPerTarget() default TargetServerSettings.THREADS_PER_TARGET;

    @AttributeDefinition(name = "Queue per target", description = "Requests of one target waiting for a thread; "
            + "more are refused with BUSY.", min = "1")
    int queuePerTarget() default TargetServerSettings.QUEUE_PER_TARGET;

    @AttributeDefinition(name = "Shared secret file", description = "File whose first line is the secret clients "
            + "must prove (readable by its owner only); empty: none.")
    String secretFile() default "";

    @AttributeDefinition(name = "TLS keystore", description = "PKCS12/JKS keystore with the server key; empty: "
            + "plain TCP.")
    String tlsKeystore() default "";

    @AttributeDefinition(name = "TLS keystore password", type = AttributeType.PASSWORD,
            description = "Password of the keystore.")
    String tlsKeystorePassword() default "";

    @AttributeDefinition(name = "TLS truststore", description = "Client certificates to trust; empty: none.")
    String tlsTruststore() default "";

    @AttributeDefinition(name = "TLS truststore password", type = AttributeType.PASSWORD,
            description = "Password of the truststore.")
    String tlsTruststorePassword() default "";

    @AttributeDefinition(name = "Require client certificates", description = "Clients must present a certificate "
            + "the truststore trusts.")
    boolean tlsNeedClientAuth() default false;
}
