package dev.jamesmtasts.mtasts;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@link StarttlsProbe} saw of one MX host at one address. Immutable. Text the server wrote
 * ({@link #greeting()}, {@link #ehloKeywords()}) and certificate names are as received: show them
 * through {@link SafeText} or {@link SafeJson}; {@link #error()} is escaped already.
 */
public final class StarttlsProbeResult {
    /** How far the probe got. */
    public enum Stage {
        CONNECT("connect"), GREETING("greeting"), EHLO("EHLO"), STARTTLS("STARTTLS"), TLS("TLS handshake"),
        /** The handshake completed (the certificate may still be untrusted: {@link #trustFailure()}). */
        DONE("done");

        private final String words;

        Stage(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    private final String host;
    private final InetSocketAddress address;
    private final Stage stage;
    private final boolean connected;
    private final String localAddress;
    private final String greeting;
    private final List<String> ehloKeywords;
    private final Boolean starttlsOffered;
    private final String tlsProtocol;
    private final String cipherSuite;
    private final List<X509Certificate> chain;
    private final CertificateException trustFailure;
    private final IOException handshakeFailure;
    private final boolean timedOut;
    private final String error;
    private final long elapsedNanos;

    private StarttlsProbeResult(Builder b) {
        this.host = b.host;
        this.address = b.address;
        this.stage = b.stage;
        this.connected = b.connected;
        this.localAddress = b.localAddress;
        this.greeting = b.greeting;
        this.ehloKeywords = List.copyOf(b.ehloKeywords);
        this.starttlsOffered = b.starttlsOffered;
        this.tlsProtocol = b.tlsProtocol;
        this.cipherSuite = b.cipherSuite;
        this.chain = List.copyOf(b.chain);
        this.trustFailure = b.trustFailure;
        this.handshakeFailure = b.handshakeFailure;
        this.timedOut = b.timedOut;
        this.error = b.error;
        this.elapsedNanos = b.elapsedNanos;
    }

    /** The MX host name probed (the SNI and reference identity). */
    public String host() {
        return host;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** The last stage begun; {@link Stage#DONE} when the TLS handshake completed. */
    public Stage stage() {
        return stage;
    }

    /** The TCP connection was made. */
    public boolean connected() {
        return connected;
    }

    /** The local address of the connection, or null. */
    public String localAddress() {
        return localAddress;
    }

    /** The server's greeting (all its lines, joined with LF), as received; null when none was read. */
    public String greeting() {
        return greeting;
    }

    /** The EHLO keywords (upper case) the server listed; empty when EHLO was not answered. */
    public List<String> ehloKeywords() {
        return ehloKeywords;
    }

    /** Whether EHLO listed STARTTLS; null when the probe did not get that far. */
    public Boolean starttlsOffered() {
        return starttlsOffered;
    }

    /** The negotiated TLS version (JSSE name, e.g. {@code TLSv1.3}), or null without a completed handshake. */
    public String tlsProtocol() {
        return tlsProtocol;
    }

    public String cipherSuite() {
        return cipherSuite;
    }

    /** The certificates the server presented, its own first; empty when none was seen. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /**
     * Why the trust manager refused the chain (not issued by a trusted CA, expired, not valid for the MX
     * host name), or null when it accepted it or no handshake took place.
     */
    public CertificateException trustFailure() {
        return trustFailure;
    }

    /** Why the TLS handshake itself failed (no common version or cipher, an alert), or null. */
    public IOException handshakeFailure() {
        return handshakeFailure;
    }

    /** The probe's deadline passed before it finished. */
    public boolean timedOut() {
        return timedOut;
    }

    /** What went wrong, in words (escaped), or null when the probe ran to its end. */
    public String error() {
        return error;
    }

    public long elapsedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(elapsedNanos);
    }

    /** The TLS handshake completed and the trust manager accepted the chain for this host name. */
    public boolean trusted() {
        return stage == Stage.DONE && trustFailure == null;
    }

    @Override
    public String toString() {
        return host + " " + address + ": " + stage.words()
                + (tlsProtocol == null ? "" : " " + tlsProtocol)
                + (stage == Stage.DONE ? (trustFailure == null ? ", trusted" : ", untrusted") : "")
                + (error == null ? "" : ", " + error);
    }

    /** Filled in by the probe as it goes. */
    static final class Builder {
        private final String host;
        private final InetSocketAddress address;
        private Stage stage = Stage.CONNECT;
        private boolean connected;
        private String localAddress;
        private String greeting;
        private List<String> ehloKeywords = List.of();
        private Boolean starttlsOffered;
        private String tlsProtocol;
        private String cipherSuite;
        private List<X509Certificate> chain = List.of();
        private CertificateException trustFailure;
        private IOException handshakeFailure;
        private boolean timedOut;
        private String error;
        private long elapsedNanos;

        Builder(String host, InetSocketAddress address) {
            this.host = host;
            this.address = address;
        }

        Stage stage() {
            return stage;
        }

        void stage(Stage s) {
            stage = s;
        }

        void connected(String local) {
            connected = true;
            localAddress = local;
        }

        void greeting(String text) {
            greeting = text;
        }

        void ehloKeywords(List<String> keywords) {
            ehloKeywords = keywords;
        }

        void starttlsOffered(boolean offered) {
            starttlsOffered = offered;
        }

        void chain(List<X509Certificate> presented) {
            chain = presented;
        }

        void tls(String protocol, String cipher, CertificateException failure) {
            tlsProtocol = protocol;
            cipherSuite = cipher;
            trustFailure = failure;
        }

        void handshakeFailed(IOException e) {
            handshakeFailure = e;
            error = "TLS handshake failed: " + StarttlsProbe.describe(e);
        }

        void failed(String why) {
            error = why;
        }

        void timedOut(String why) {
            timedOut = true;
            error = why;
        }

        void elapsedNanos(long n) {
            elapsedNanos = n;
        }

        StarttlsProbeResult build() {
            return new StarttlsProbeResult(this);
        }
    }
}
