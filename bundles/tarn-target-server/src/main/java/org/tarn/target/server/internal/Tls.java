package org.tarn.target.server.internal;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.server.TargetServerSettings;

/** The server's TLS context from its keystore and truststore (the JDK's TLS, no native library). */
final class Tls {
    private Tls() {
    }

    static SslContext serverContext(TargetServerSettings.Tls tls) {
        try {
            KeyStore keys = KeyStore.getInstance(tls.keystore().toFile(), tls.keystorePassword());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, tls.keystorePassword());
            SslContextBuilder b = SslContextBuilder.forServer(kmf).sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2");
            if (tls.truststore() != null) {
                KeyStore trusted = KeyStore.getInstance(tls.truststore().toFile(), tls.truststorePassword());
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trusted);
                b.trustManager(tmf);
            }
            b.clientAuth(tls.needClientAuth() ? ClientAuth.REQUIRE : ClientAuth.NONE);
            return b.build();
        } catch (IOException | GeneralSecurityException e) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "target server TLS: cannot use keystore "
                    + tls.keystore() + (tls.truststore() == null ? "" : " / truststore " + tls.truststore()) + ": "
                    + e.getMessage(), e);
        }
    }

    static boolean isHandshakeFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLException) {
                return true;
            }
        }
        return false;
    }
}
