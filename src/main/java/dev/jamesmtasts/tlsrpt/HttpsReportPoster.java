package dev.jamesmtasts.tlsrpt;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.DurationRange;
import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.HttpResponse;
import dev.jamesmtasts.mtasts.HttpsConnector;
import dev.jamesmtasts.mtasts.HttpsFailure;
import dev.jamesmtasts.mtasts.IntRange;
import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * Delivers a gzipped report to an {@code https:} rua by POST (RFC 8460 §3 "rua", §5.4):
 * {@code Content-Type: application/tlsrpt+gzip}, the report as the body; a 2xx answer is delivery,
 * anything else is not. The connection follows the policy fetch's rules ({@link HttpsConnector}): the
 * host resolved through the configured DNS servers, private and loopback addresses refused unless
 * allowed (the rua is chosen by the policy domain and must not reach into the sender's network), TLS
 * 1.2+ with certificate and host-name validation against the JDK trust store or the configured trust
 * material, and ONE deadline for DNS, connect, TLS, writing the report and reading the answer.
 *
 * <p>Choices where RFC 8460 leaves room:
 * <ul>
 *   <li>Certificates are validated. §3 allows ignoring validation errors ("MAY"), so that a domain
 *       whose HTTPS is as broken as its SMTP still hears of it; validating keeps the report (which
 *       names the sender's IPs and the receiver's hosts) from going to whoever intercepts the
 *       connection, and a rua with a bad certificate is reported as {@link FetchFailure#TLS}.</li>
 *   <li>Redirects are not followed: §5.4 counts only a "successful" response, so a 3xx is a failed
 *       delivery ({@link PostResult.Outcome#REJECTED}); following it would let the endpoint send the
 *       report, and this server, anywhere.</li>
 *   <li>The answer's body is not needed: for a non-2xx answer at most
 *       {@value #RESPONSE_EXCERPT_BYTES} bytes of it are read for the reason shown; for a 2xx none.</li>
 *   <li>Reports larger than the cap (5 MiB by default, as Stalwart) are not sent
 *       ({@link PostResult.Outcome#TOO_LARGE}).</li>
 * </ul>
 *
 * Never throws for network input: every outcome is a {@link PostResult}. Thread-safe; {@link #close()}
 * stops the deadline watchdog thread.
 */
public final class HttpsReportPoster implements AutoCloseable {
    /** The default bound on one POST, DNS to the last byte of the answer's head. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** The default cap on the gzipped report (as Stalwart's {@code maxReportSize}). */
    public static final int DEFAULT_MAX_REPORT_BYTES = 5 * 1024 * 1024;
    /** The timeout: greater than zero. */
    public static final DurationRange TIMEOUT = DurationRange.positive();
    /** The report size cap: 1 byte to 64 MiB. */
    public static final IntRange MAX_REPORT_BYTES = IntRange.between(1, 64 * 1024 * 1024);
    /** At most this much of a non-2xx answer's body is read, for the reason. */
    static final int RESPONSE_EXCERPT_BYTES = 4096;
    /** Longest rua accepted. */
    static final int MAX_URI_LENGTH = 2048;
    /** How many interim (1xx) answers are skipped before the final one. */
    private static final int MAX_INTERIM_RESPONSES = 5;
    private static final int EXCERPT_CHARS = 200;
    private static final Logger LOG = LoggerFactory.getLogger(HttpsReportPoster.class);

    private final HttpsConnector https;
    private final Duration timeout;
    private final int maxReportBytes;

    /**
     * @param network        resolvers, DNS time-out, trust material and whether private addresses are
     *                       allowed: the settings policy fetches use
     * @param timeout        the bound on one POST ({@link #TIMEOUT})
     * @param maxReportBytes the cap on a gzipped report ({@link #MAX_REPORT_BYTES})
     * @throws IllegalArgumentException for a value out of range, or a trust store that cannot be read
     */
    public HttpsReportPoster(MtaStsSettings network, Duration timeout, int maxReportBytes) {
        this.timeout = TIMEOUT.check("timeout", timeout);
        this.maxReportBytes = MAX_REPORT_BYTES.check("maxReportBytes", maxReportBytes);
        this.https = HttpsConnector.create(network, "tlsrpt-post-watchdog");
    }

    /**
     * POSTs {@code gzippedReport} to {@code rua}.
     *
     * @param rua           an {@code https:} URI from the policy domain's TLSRPT record (untrusted)
     * @param gzippedReport the report JSON, gzip-compressed (RFC 8460 §5.2)
     * @throws IllegalArgumentException when {@code gzippedReport} is not gzip data (a caller's bug, not
     *                                  the network's)
     */
    public PostResult post(String rua, byte[] gzippedReport) {
        Objects.requireNonNull(rua, "rua");
        if (!TlsRptMedia.isGzip(gzippedReport)) {
            throw new IllegalArgumentException("the report is not gzip data (RFC 8460 §5.2: sent as " + TlsRptMedia.GZIP + ")");
        }
        Target target;
        try {
            target = Target.parse(rua);
        } catch (IllegalArgumentException e) {
            return PostResult.invalidUri(e.getMessage());
        }
        if (gzippedReport.length > maxReportBytes) {
            return PostResult.tooLarge("report of " + gzippedReport.length + " bytes exceeds the limit of "
                    + maxReportBytes + " bytes; not sent to " + target);
        }
        try {
            PostResult result = https.exchange(target.host, target.port, timeout, tls -> exchange(tls, target, gzippedReport));
            LOG.debug("TLS-RPT POST to {}: {}", target, result);
            return result;
        } catch (HttpsFailure f) {
            PostResult result = PostResult.failed(f.kind(), "POST to " + target + ": " + f.getMessage());
            LOG.debug("TLS-RPT POST to {}: {}", target, result);
            return result;
        } catch (RuntimeException e) {
            LOG.warn("TLS-RPT POST to {} failed unexpectedly", target, e);
            return PostResult.failed(FetchFailure.PROTOCOL, "POST to " + target + ": unexpected error: " + e);
        }
    }

    private static PostResult exchange(javax.net.ssl.SSLSocket tls, Target target, byte[] report)
            throws IOException, HttpsFailure {
        OutputStream out = new BufferedOutputStream(tls.getOutputStream(), 16384);
        String head = "POST " + target.requestTarget + " HTTP/1.1\r\n"
                + "Host: " + target.hostHeader() + "\r\n"
                + "User-Agent: james-mta-sts\r\n"
                + "Content-Type: " + TlsRptMedia.GZIP + "\r\n"
                + "Content-Length: " + report.length + "\r\n"
                + "Connection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(report);
        out.flush();
        InputStream in = new BufferedInputStream(tls.getInputStream());
        HttpResponse response = HttpResponse.readHead(in);
        for (int interim = 0; response.status() >= 100 && response.status() < 200; interim++) {
            if (interim == MAX_INTERIM_RESPONSES) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "more than " + MAX_INTERIM_RESPONSES + " interim (1xx) answers");
            }
            response = HttpResponse.readHead(in);
        }
        int status = response.status();
        String statusText = "HTTP " + status
                + (response.reasonPhrase() == null ? "" : " " + SafeText.of(response.reasonPhrase()));
        if (status >= 200 && status < 300) {
            return PostResult.sent(status, statusText + " from " + target);
        }
        StringBuilder why = new StringBuilder(statusText).append(" from ").append(target);
        if (status >= 300 && status < 400) {
            why.append(", redirect to ").append(SafeText.of(response.header("location")))
                    .append(" not followed (RFC 8460 §5.4: only a successful response delivers a report)");
        }
        String excerpt = excerpt(response, in);
        if (!excerpt.isEmpty()) {
            why.append(": ").append(excerpt);
        }
        return PostResult.rejected(status, why.toString());
    }

    /**
     * The start of a non-2xx answer's body, for the reason: at most {@value #RESPONSE_EXCERPT_BYTES}
     * bytes read, shown escaped and cut at {@value #EXCERPT_CHARS} characters. Best effort: a body
     * that is malformed or never comes leaves the excerpt empty, the status decides the outcome.
     */
    private static String excerpt(HttpResponse response, InputStream in) {
        byte[] body;
        try {
            body = response.readBody(in, RESPONSE_EXCERPT_BYTES, true);
        } catch (IOException | HttpsFailure e) {
            return "";
        }
        // strip(), not trim(): trim() would also drop a leading ESC or other control character, which
        // is shown (escaped) like the rest.
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? "" : SafeText.quoted(text.length() > EXCERPT_CHARS ? text.substring(0, EXCERPT_CHARS) : text);
    }

    /** Stops the watchdog thread. */
    @Override
    public void close() {
        https.close();
    }

    /** Where a POST goes: an {@code https:} URI checked and split for the request. */
    static final class Target {
        final String host;
        final int port;
        final String requestTarget;

        private Target(String host, int port, String requestTarget) {
            this.host = host;
            this.port = port;
            this.requestTarget = requestTarget;
        }

        /**
         * Checks {@code rua}: printable ASCII only (no CR/LF, space or control character can reach the
         * request), an absolute {@code https:} URI with a host name (letters, digits, hyphens: the
         * certificate must name it, so no IP literal) and no user information.
         *
         * @throws IllegalArgumentException naming what is wrong, the rua escaped
         */
        static Target parse(String rua) {
            String shown = SafeText.quoted(rua);
            if (rua.length() > MAX_URI_LENGTH) {
                throw new IllegalArgumentException("rua longer than " + MAX_URI_LENGTH + " characters: " + shown);
            }
            for (int i = 0; i < rua.length(); i++) {
                char c = rua.charAt(i);
                if (c <= 0x20 || c >= 0x7f) {
                    throw new IllegalArgumentException("rua holds a character other than printable ASCII at index "
                            + i + ": " + shown);
                }
            }
            URI uri;
            try {
                uri = new URI(rua);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("rua is no valid URI (" + SafeText.of(e.getReason()) + "): " + shown);
            }
            if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase("https") || uri.isOpaque()) {
                throw new IllegalArgumentException("rua is no https: URI (RFC 8460 §3): " + shown);
            }
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("rua carries user information: " + shown);
            }
            String host = uri.getHost();
            if (host == null || !Domains.isLdhDomain(host) || isNumeric(host.substring(host.lastIndexOf('.') + 1))) {
                throw new IllegalArgumentException("rua has no host name its certificate can name"
                        + " (letters, digits and hyphens, no IP literal): " + shown);
            }
            int port = uri.getPort() == -1 ? 443 : uri.getPort();
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("rua has an invalid port: " + shown);
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
            return new Target(host.toLowerCase(Locale.ROOT), port, path + query);
        }

        /** An all-digit last label makes an IPv4 literal, not a name (RFC 3696 §2: no all-numeric TLD). */
        private static boolean isNumeric(String label) {
            return label.chars().allMatch(c -> c >= '0' && c <= '9');
        }

        String hostHeader() {
            return host + (port == 443 ? "" : ":" + port);
        }

        /** {@code https://host[:port]/path}, escaped and capped for messages. */
        @Override
        public String toString() {
            return "https://" + hostHeader() + SafeText.of(requestTarget);
        }
    }
}
