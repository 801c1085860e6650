package dev.jamesmtasts.james;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

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
        SSLSocket ssl = (SSLSocket) delegate.createSocket(s, host, port, autoClose);
        return handshake(ssl, host);
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
            SSLParameters params = ssl.getSSLParameters();
            // RFC 8461 §4.2: the MX host name is the reference identity; RFC 6125 rules as in HTTPS.
            params.setEndpointIdentificationAlgorithm("HTTPS");
            if (host != null && !host.isEmpty() && !Character.isDigit(host.charAt(host.length() - 1))) {
                params.setServerNames(List.of(new SNIHostName(host)));
            }
            params.setProtocols(TlsVersions.allowed());
            ssl.setSSLParameters(params);
        }
        try {
            ssl.startHandshake();
        } catch (SSLException e) {
            probe.handshakeFailed(e);
            closeQuietly(ssl);
            throw e;
        }
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

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a failed TLS socket: nothing to add
        }
    }
}
