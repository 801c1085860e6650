package dev.jamesmtasts.mtasts;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/** Builds the client socket factory for policy fetches from {@link MtaStsSettings}' trust material. */
final class TrustMaterial {
    private TrustMaterial() {
    }

    /**
     * The socket factory: the given SSLContext's, else one trusting the trust store file, else the
     * JVM's default.
     *
     * @throws IllegalArgumentException when the trust store cannot be read (a configuration error)
     */
    static SSLSocketFactory socketFactory(MtaStsSettings settings) {
        try {
            if (settings.sslContext() != null) {
                return settings.sslContext().getSocketFactory();
            }
            if (settings.trustStoreFile() == null) {
                return SSLContext.getDefault().getSocketFactory();
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load(settings.trustStoreFile(), settings.trustStorePassword()));
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
            return ctx.getSocketFactory();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot use trust store " + settings.trustStoreFile() + ": " + e.getMessage(), e);
        }
    }

    /** Reads a PEM bundle, a PKCS12 or a JKS store (the format is recognised from the content). */
    static KeyStore load(Path file, char[] password) throws IOException, GeneralSecurityException {
        byte[] bytes = Files.readAllBytes(file);
        String head = new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.ISO_8859_1);
        if (head.contains("-----BEGIN")) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes));
            if (certs.isEmpty()) {
                throw new IOException("no certificate in PEM file");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("pem-" + i++, c);
            }
            return ks;
        }
        GeneralSecurityException last = null;
        IOException lastIo = null;
        for (String type : new String[] {"PKCS12", "JKS"}) {
            try {
                KeyStore ks = KeyStore.getInstance(type);
                ks.load(new ByteArrayInputStream(bytes), password);
                return ks;
            } catch (GeneralSecurityException e) {
                last = e;
            } catch (IOException e) {
                lastIo = e;
            }
        }
        if (lastIo != null) {
            throw lastIo;
        }
        throw last;
    }
}
