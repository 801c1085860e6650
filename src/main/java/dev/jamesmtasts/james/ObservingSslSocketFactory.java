package dev.jamesmtasts.james;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

import dev.jamesmtasts.mtasts.ClientSideTrustManager;
import dev.jamesmtasts.mtasts.TlsVersions;

/**
 * The TLS socket factory JavaMail uses for STARTTLS in {@link MtaStsRemoteDelivery}'s sessions
 * (property {@code mail.smtp.ssl.socketFactory.class}; JavaMail instantiates it through the static
 * {@link #getDefault()}).
 *
 * <p>It performs the handshake itself, right after JavaMail wraps the plain socket, so that the
 * outcome (certificate verdict, protocol) is recorded in the delivery thread's {@link TlsProbe},
 * and, for a connection under an {@code enforce} policy, it applies RFC 8461 §4.2: SNI = the MX host
 * name, the certificate must be PKIX-valid and valid for that name (endpoint identification as for
 * HTTPS, which allows a wildcard in the left-most label), TLS 1.2 or newer. Outside enforce it only
 * observes, and trust decisions are those of the configured trust store.
 *
 * <p>Trust: the JVM default trust store unless {@link #configureTrust(KeyStore)} was called (the
 * mailet's {@code mtaStsTrustStore} parameter). It is process-wide, like JavaMail's own
 * {@code javax.net.ssl.trustStore}: every MtaStsRemoteDelivery instance shares it.
 */
public final class ObservingSslSocketFactory extends SSLSocketFactory {
    private static volatile ObservingSslSocketFactory instance;

    private final SSLSocketFactory delegate;

    private ObservingSslSocketFactory(SSLSocketFactory delegate) {
        this.delegate = delegate;
    }

    /** Called by JavaMail (by class name). */
    public static synchronized SSLSocketFactory getDefault() {
        if (instance == null) {
            instance = new ObservingSslSocketFactory((SSLSocketFactory) SSLSocketFactory.getDefault());
        }
        return instance;
    }

    /** Trust exactly the CAs of {@code trustStore} (null: the JVM default). */
    static synchronized void configureTrust(KeyStore trustStore) throws GeneralSecurityException {
        if (trustStore == null) {
            instance = new ObservingSslSocketFactory((SSLSocketFactory) SSLSocketFactory.getDefault());
            return;
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trustStore);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        instance = new ObservingSslSocketFactory(ctx.getSocketFactory());
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
        // STARTTLS over the plain socket: its addresses, when the plain factory was not ours
        PinningSocketFactory.observe(s);
        TlsProbe probe = TlsProbe.current();
        if (probe != null && probe.dane != null) {
            return daneHandshake((SSLSocket) DaneTrust.FACTORY.createSocket(s, host, port, autoClose), host, probe);
        }
        SSLSocket ssl = (SSLSocket) delegate.createSocket(s, host, port, autoClose);
        return handshake(ssl, host);
    }

    /**
     * The TLS context of DANE sessions: the trust manager checks the server's chain against the MX host's
     * usable TLSA records during the handshake ({@link TlsProbe#daneAcceptsDuringHandshake}, the session's
     * {@link TlsProbe} being on this thread) and throws when none matches, so that JSSE ends the handshake
     * with a fatal alert the server can log ({@code certificate_unknown}: JSSE's alert for a trust manager's
     * {@code CertificateException}, RFC 8446 §6.2, RFC 5246 §7.2.2), instead of a
     * completed handshake and a bare close. PKIX and the CA list play no part (RFC 7672 §3.1.1, §3.1.2).
     * The chain is checked again right after the handshake ({@link TlsProbe#daneChecked}): a resumed
     * session calls no trust manager, and that check also records the TLS version.
     */
    private static final class DaneTrust extends ClientSideTrustManager {
        static final SSLSocketFactory FACTORY = context();

        private static SSLSocketFactory context() {
            try {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] {new DaneTrust()}, null);
                return ctx.getSocketFactory();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("no TLS context for DANE sessions", e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // not used: sockets only
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            TlsProbe probe = TlsProbe.current();
            if (probe != null && !probe.daneAcceptsDuringHandshake(java.util.Arrays.asList(chain))) {
                throw new CertificateException("DANE (RFC 7672): " + probe.error);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /**
     * STARTTLS with an MX host whose secure TLSA records require TLS (RFC 7672 §2.2): SNI = the MX host name
     * (RFC 7672 §8.1), TLS 1.2 or newer, then the chain checked against the TLSA records; a mismatch closes
     * the socket before any SMTP command goes over it.
     */
    private static Socket daneHandshake(SSLSocket ssl, String host, TlsProbe probe) throws IOException {
        harden(ssl, host, false);
        startHandshake(ssl, probe);
        List<X509Certificate> chain = new java.util.ArrayList<>();
        for (java.security.cert.Certificate c : ssl.getSession().getPeerCertificates()) {
            if (c instanceof X509Certificate) {
                chain.add((X509Certificate) c);
            }
        }
        probe.daneChecked(ssl.getSession().getProtocol(), chain);
        if (probe.verdict != DeliveryAttemptReport.CertificateVerdict.VALID
                && probe.verdict != DeliveryAttemptReport.CertificateVerdict.NOT_CHECKED) {
            closeQuietly(ssl);
            throw new SSLException(probe.error);
        }
        return ssl;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return handshake((SSLSocket) delegate.createSocket(host, port), host);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return handshake((SSLSocket) delegate.createSocket(host, port, localHost, localPort), host);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return delegate.createSocket(address, port, localAddress, localPort);
    }

    @Override
    public Socket createSocket() throws IOException {
        // SMTPS (sslEnable): JavaMail connects this socket later; JavaMail's own
        // checkserveridentity applies. Not observed.
        return delegate.createSocket();
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    private static Socket handshake(SSLSocket ssl, String host) throws IOException {
        TlsProbe probe = TlsProbe.current();
        if (probe == null) {
            return ssl;
        }
        if (probe.strict) {
            harden(ssl, host, true);
        }
        startHandshake(ssl, probe);
        probe.handshakeSucceeded(ssl.getSession().getProtocol());
        if (!probe.strict) {
            java.security.cert.Certificate[] chain = ssl.getSession().getPeerCertificates();
            probe.checkHostName(chain.length == 0 ? null : chain[0], host);
        }
        if (probe.strict && probe.verdict != DeliveryAttemptReport.CertificateVerdict.VALID) {
            closeQuietly(ssl);
            throw new SSLException(probe.error);
        }
        return ssl;
    }

    /**
     * SNI = the MX host name, TLS 1.2 or newer, and with {@code pkixName} the certificate checked for that
     * name (RFC 8461 §4.2: the MX host name is the reference identity; RFC 6125 rules as in HTTPS).
     */
    private static void harden(SSLSocket ssl, String host, boolean pkixName) {
        SSLParameters params = ssl.getSSLParameters();
        if (pkixName) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (host != null && !host.isEmpty() && !Character.isDigit(host.charAt(host.length() - 1))) {
            params.setServerNames(List.of(new SNIHostName(host)));
        }
        params.setProtocols(TlsVersions.allowed());
        ssl.setSSLParameters(params);
    }

    /** The handshake, a failure recorded in {@code probe} and the socket closed. */
    private static void startHandshake(SSLSocket ssl, TlsProbe probe) throws IOException {
        try {
            ssl.startHandshake();
        } catch (SSLException e) {
            closeQuietly(ssl);
            if (probe.refusedInHandshake) {
                // the DANE trust manager refused the chain: its typed verdict stands (not "handshake failed")
                throw new SSLException(probe.error, e);
            }
            probe.handshakeFailed(e);
            throw e;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a failed TLS socket: nothing to add
        }
    }
}
