package dev.jamesmtasts.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made at test time. Issues server certificates (valid, expired, for any
 * DNS names) and hands out the trust material a client needs. Nothing is read from disk.
 *
 * <pre>
 * TestCa ca = TestCa.create("Test CA");
 * TestCa.Issued cert = ca.issue("mta-sts.example.com");
 * SSLContext server = cert.serverContext();
 * KeyStore trust = ca.trustStore();
 * </pre>
 */
public final class TestCa {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private static final char[] PASSWORD = "changeit".toCharArray();

    private final KeyPair keyPair;
    private final X509Certificate certificate;
    private final X500Name name;
    /** This CA's certificate and those above it, up to the root. */
    private final List<X509Certificate> chain;

    private TestCa(KeyPair keyPair, X509Certificate certificate, X500Name name, List<X509Certificate> above) {
        this.keyPair = keyPair;
        this.certificate = certificate;
        this.name = name;
        List<X509Certificate> c = new ArrayList<>();
        c.add(certificate);
        c.addAll(above);
        this.chain = List.copyOf(c);
    }

    /** A new self-signed CA, valid from an hour ago for ten years. */
    public static TestCa create(String commonName) {
        try {
            KeyPair kp = newKeyPair();
            X500Name n = new X500Name("CN=" + commonName);
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(n, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), n, kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate c = sign(b, kp);
            return new TestCa(kp, c, n, List.of());
        } catch (Exception e) {
            throw new IllegalStateException("cannot create test CA", e);
        }
    }

    /**
     * An intermediate CA issued by this one (valid from an hour ago for five years): the certificates
     * it issues chain up through it to this CA ({@link Issued#chain()}).
     */
    public TestCa intermediate(String commonName) {
        try {
            KeyPair kp = newKeyPair();
            X500Name n = new X500Name("CN=" + commonName);
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1825))), n, kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return new TestCa(kp, sign(b, keyPair), n, chain);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create intermediate CA", e);
        }
    }

    /** This CA's certificate, then the certificates above it up to the root (just itself for a root). */
    public List<X509Certificate> chain() {
        return chain;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** A certificate valid now (from an hour ago, for a year) for the given DNS names. */
    public Issued issue(String... dnsNames) {
        Instant now = Instant.now();
        return issue(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(365)), dnsNames);
    }

    /** A certificate that expired yesterday. */
    public Issued issueExpired(String... dnsNames) {
        Instant now = Instant.now();
        return issue(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)), dnsNames);
    }

    /** A certificate with the given validity for the given DNS names (first name is also the CN). */
    public Issued issue(Instant notBefore, Instant notAfter, String... dnsNames) {
        try {
            KeyPair kp = newKeyPair();
            X500Name subject = new X500Name("CN=" + dnsNames[0]);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(notBefore), Date.from(notAfter), subject, kp.getPublic());
            GeneralName[] sans = new GeneralName[dnsNames.length];
            for (int i = 0; i < dnsNames.length; i++) {
                sans[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
            }
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509Certificate c = sign(b, keyPair);
            return new Issued(kp, c, chain);
        } catch (Exception e) {
            throw new IllegalStateException("cannot issue certificate", e);
        }
    }

    /** A PKCS12 trust store holding this CA's certificate (password "changeit"). */
    public KeyStore trustStore() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("test-ca", certificate);
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@link #trustStore()} to {@code file} as PKCS12, password "changeit". */
    public Path writeTrustStore(Path file) throws IOException {
        return writePkcs12(trustStore(), file);
    }

    /** Writes {@code store} to {@code file}, password "changeit". */
    private static Path writePkcs12(KeyStore store, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD);
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        return file;
    }

    /** Writes the CA certificate as a PEM file. */
    public Path writePem(Path file) throws IOException {
        Files.writeString(file, toPem(certificate), StandardCharsets.US_ASCII);
        return file;
    }

    /** A client SSLContext that trusts this CA only. */
    public SSLContext clientContext() {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String password() {
        return new String(PASSWORD);
    }

    static String toPem(Object o) {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return sw.toString();
    }

    /** A server certificate with its key and chain. */
    public static final class Issued {
        private final KeyPair keyPair;
        private final X509Certificate certificate;
        private final List<X509Certificate> chain;

        Issued(KeyPair keyPair, X509Certificate certificate, List<X509Certificate> caChain) {
            this.keyPair = keyPair;
            this.certificate = certificate;
            List<X509Certificate> c = new ArrayList<>();
            c.add(certificate);
            c.addAll(caChain);
            this.chain = List.copyOf(c);
        }

        public X509Certificate certificate() {
            return certificate;
        }

        /** The chain a server sends: this certificate, then its issuing CAs up to the root. */
        public List<X509Certificate> chain() {
            return chain;
        }

        /** A PKCS12 key store with the key and chain under alias "server" (password "changeit"). */
        public KeyStore keyStore() {
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("server", keyPair.getPrivate(), PASSWORD,
                        chain.toArray(new java.security.cert.Certificate[0]));
                return ks;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Writes {@link #keyStore()} to a PKCS12 file, password "changeit". */
        public Path writeKeyStore(Path file) throws IOException {
            return writePkcs12(keyStore(), file);
        }

        /** A server SSLContext presenting this certificate. */
        public SSLContext serverContext() {
            try {
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keyStore(), PASSWORD);
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
                return ctx;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) throws Exception {
        ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(b.build(s));
    }
}
