package org.tarn.client.internal;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.client.ClientSettings;

/** The client's TLS context (the JDK's TLS). */
final class ClientTls {
    private ClientTls() {
    }

    static SslContext context(ClientSettings.Tls tls) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2");
            if (tls.truststore() != null) {
                KeyStore trusted = KeyStore.getInstance(tls.truststore().toFile(), tls.truststorePassword());
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trusted);
                b.trustManager(tmf);
            }
            if (tls.keystore() != null) {
                KeyStore keys = KeyStore.getInstance(tls.keystore().toFile(), tls.keystorePassword());
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, tls.keystorePassword());
                b.keyManager(kmf);
            }
            return b.build();
        } catch (IOException | GeneralSecurityException e) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT, "target client TLS: cannot use "
                    + (tls.truststore() == null ? "" : "truststore " + tls.truststore() + " ")
                    + (tls.keystore() == null ? "" : "keystore " + tls.keystore()) + ": " + e.getMessage(), e);
        }
    }
}
