package dev.jamesmtasts.mtasts;

import java.util.List;

/**
 * The TLS protocol versions MTA-STS connections may use, for both the HTTPS policy fetch and the
 * SMTP STARTTLS session under an enforce policy: TLS 1.2 or newer. RFC 8461 §4.2 requires the MX's
 * TLS to satisfy RFC 8460's requirements (TLS 1.2 or later), and RFC 8996 deprecates TLS 1.0 and
 * 1.1. The one place this list is written.
 */
public final class TlsVersions {
    /** The oldest version accepted. */
    public static final String MINIMUM = "TLSv1.2";
    /** The accepted versions, newest first (JSSE names). */
    public static final List<String> ALLOWED = List.of("TLSv1.3", MINIMUM);
    /** {@link #ALLOWED} as JavaMail's space-separated {@code mail.smtp.ssl.protocols} value. */
    public static final String JAVAMAIL_LIST = String.join(" ", ALLOWED);

    private TlsVersions() {
    }

    /** A copy of {@link #ALLOWED} for {@code SSLParameters.setProtocols}. */
    public static String[] allowed() {
        return ALLOWED.toArray(new String[0]);
    }

    /** The allowed versions among those a socket supports ({@code SSLSocket.getSupportedProtocols()}), newest first. */
    public static String[] allowedOf(String[] supported) {
        List<String> s = java.util.Arrays.asList(supported);
        return ALLOWED.stream().filter(s::contains).toArray(String[]::new);
    }

    /** True when a negotiated protocol (as {@code SSLSession.getProtocol()} names it) is allowed. */
    public static boolean isAllowed(String negotiated) {
        return negotiated != null && ALLOWED.contains(negotiated);
    }
}
