package dev.jamesmtasts.james;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.TlsVersions;

/**
 * What the TLS layer saw during one connection to one MX host, recorded by
 * {@link ObservingSslSocketFactory} on the delivery thread (JavaMail connects on the calling
 * thread, so a thread-local is exact here), and the strictness the connection must apply.
 */
final class TlsProbe {
    private static final ThreadLocal<TlsProbe> CURRENT = new ThreadLocal<>();

    final boolean strict;
    /** The MX host name JavaMail connects by, and the address James's DNSService resolved for it. */
    String pinnedHost;
    java.net.InetAddress pinnedAddress;
    /** The remote and local addresses of the connection (RFC 8460 receiving-ip, sending-mta-ip), once made. */
    String receivingIp;
    String sendingIp;
    boolean handshakeAttempted;
    CertificateVerdict verdict = CertificateVerdict.NOT_CHECKED;
    String protocol;
    String error;
    /**
     * The MX host's DANE decision when this session is DANE's (secure TLSA records, RFC 7672 §2.2): the
     * certificate is then checked against the TLSA records (USABLE) or not at all (UNUSABLE), never by
     * PKIX; null for the other sessions.
     */
    dev.jamesmtasts.dane.DaneHost dane;
    /** What the TLSA check found, once the handshake completed (or was refused) under {@link #dane}. */
    dev.jamesmtasts.dane.TlsaVerification daneVerification;
    /** The DANE trust manager refused the chain during the handshake ({@link #daneAcceptsDuringHandshake}). */
    boolean refusedInHandshake;

    private TlsProbe(boolean strict) {
        this.strict = strict;
    }

    /** Starts observing a connection on this thread. */
    static TlsProbe begin(boolean strict) {
        TlsProbe p = new TlsProbe(strict);
        CURRENT.set(p);
        return p;
    }

    /**
     * A probe bound to no thread: for judging a chain already in hand by the session's own rules
     * ({@link DomainCheck}), where nothing on the thread observes a connection.
     */
    static TlsProbe detached(boolean strict) {
        return new TlsProbe(strict);
    }

    static TlsProbe current() {
        return CURRENT.get();
    }

    static void end() {
        CURRENT.remove();
    }

    /** Records the addresses of {@code socket}, connected, unless already known (the first connection counts). */
    void connected(java.net.Socket socket) {
        if (receivingIp == null && socket != null && socket.getInetAddress() != null) {
            receivingIp = socket.getInetAddress().getHostAddress();
            java.net.InetAddress local = socket.getLocalAddress();
            sendingIp = local == null || local.isAnyLocalAddress() ? null : local.getHostAddress();
        }
    }

    void handshakeSucceeded(String negotiated) {
        handshakeAttempted = true;
        protocol = negotiated;
        if (!TlsVersions.isAllowed(negotiated)) {
            verdict = CertificateVerdict.PROTOCOL_TOO_OLD;
            error = "TLS protocol " + negotiated + " is older than " + TlsVersions.MINIMUM;
        } else {
            verdict = CertificateVerdict.VALID;
        }
    }

    /**
     * A DANE session's handshake completed: the chain is checked against the usable TLSA records
     * (RFC 7672 §3); with none usable, TLS was all that was required (§3.1.3) and nothing is checked.
     */
    void daneChecked(String negotiated, java.util.List<java.security.cert.X509Certificate> chain) {
        handshakeSucceeded(negotiated);
        if (verdict != CertificateVerdict.VALID) {
            return;
        }
        if (dane.status() != dev.jamesmtasts.dane.DaneHost.Status.USABLE) {
            verdict = CertificateVerdict.NOT_CHECKED;
            return;
        }
        daneVerification = dane.verify(chain);
        if (!daneVerification.matched()) {
            refuse(daneVerification);
        }
    }

    /**
     * The DANE session's check while the handshake runs (RFC 7672 §3), called by its trust manager with the
     * server's chain: false when the host has usable TLSA records and none matches the chain (recorded as
     * {@link #daneChecked} records it), so that the handshake is refused there and the server gets a TLS
     * alert instead of a bare close. True when the chain matches, or nothing is to be checked.
     */
    boolean daneAcceptsDuringHandshake(java.util.List<java.security.cert.X509Certificate> chain) {
        if (dane == null || dane.status() != dev.jamesmtasts.dane.DaneHost.Status.USABLE) {
            return true;
        }
        dev.jamesmtasts.dane.TlsaVerification v = dane.verify(chain);
        if (v.matched()) {
            return true;
        }
        handshakeAttempted = true;
        daneVerification = v;
        refuse(v);
        refusedInHandshake = true;
        return false;
    }

    /** The chain failed the TLSA check: the typed verdict delivery and TLS-RPT read (one rule for both checks). */
    private void refuse(dev.jamesmtasts.dane.TlsaVerification v) {
        verdict = v.outcome() == dev.jamesmtasts.dane.TlsaVerification.Outcome.NAME_MISMATCH
                ? CertificateVerdict.HOST_MISMATCH : CertificateVerdict.DANE_MISMATCH;
        error = v.reason();
    }

    void handshakeFailed(Throwable t) {
        handshakeAttempted = true;
        verdict = classify(t);
        error = describe(verdict, t);
    }

    /**
     * Observation only (sessions not under enforce): records a certificate that is not valid for
     * the host name connected to, without failing the session. RFC 6125 DNS-ID matching as
     * RFC 8461 §4.2 asks: exact, or a wildcard standing for the whole left-most label.
     */
    void checkHostName(java.security.cert.Certificate peer, String host) {
        if (verdict != CertificateVerdict.VALID || host == null || host.isEmpty()
                || !(peer instanceof java.security.cert.X509Certificate)
                || Character.isDigit(host.charAt(host.length() - 1)) || host.indexOf(':') >= 0) {
            return;
        }
        if (!matchesDnsId((java.security.cert.X509Certificate) peer, host)) {
            verdict = CertificateVerdict.HOST_MISMATCH;
            error = describe(verdict, null);
        }
    }

    static boolean matchesDnsId(java.security.cert.X509Certificate cert, String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        h = h.toLowerCase(Locale.ROOT);
        try {
            java.util.Collection<java.util.List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null) {
                return false;
            }
            for (java.util.List<?> san : sans) {
                if (san.size() < 2 || !Integer.valueOf(2).equals(san.get(0))) {
                    continue;
                }
                String name = String.valueOf(san.get(1)).toLowerCase(Locale.ROOT);
                if (name.equals(h)) {
                    return true;
                }
                if (name.startsWith("*.")) {
                    int dot = h.indexOf('.');
                    if (dot > 0 && h.substring(dot + 1).equals(name.substring(2))) {
                        return true;
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
        return false;
    }

    /** Maps a handshake failure to a verdict by walking its causes. */
    static CertificateVerdict classify(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CertificateExpiredException || c instanceof CertificateNotYetValidException) {
                return CertificateVerdict.EXPIRED;
            }
            if (c instanceof CertPathBuilderException) {
                return CertificateVerdict.UNTRUSTED;
            }
            if (c instanceof CertPathValidatorException) {
                CertPathValidatorException v = (CertPathValidatorException) c;
                if (v.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                        || v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                    return CertificateVerdict.EXPIRED;
                }
            }
            String m = c.getMessage() == null ? "" : c.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("no subject alternative") || m.contains("no name matching")
                    || m.contains("can't verify identity")) {
                return CertificateVerdict.HOST_MISMATCH;
            }
            if (m.contains("pkix path building failed") || m.contains("unable to find valid certification path")) {
                return CertificateVerdict.UNTRUSTED;
            }
        }
        return CertificateVerdict.HANDSHAKE_FAILED;
    }

    static String describe(CertificateVerdict v, Throwable t) {
        switch (v) {
            case EXPIRED:
                return "certificate expired or not yet valid";
            case HOST_MISMATCH:
                return "certificate not valid for the MX host name";
            case UNTRUSTED:
                return "certificate not issued by a trusted CA";
            case DANE_MISMATCH:
                return "certificate matches none of the MX host's TLSA records";
            default:
                // The peer's alert or certificate names can be in the message: escaped, capped.
                return "TLS handshake failed: " + (t == null ? "" : SafeText.of(t.getMessage()));
        }
    }
}
