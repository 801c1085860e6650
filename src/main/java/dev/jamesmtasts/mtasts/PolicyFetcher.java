package dev.jamesmtasts.mtasts;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;

import javax.net.ssl.SSLSocketFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 §3.3) with a hand-written
 * HTTP/1.1 client over an {@code SSLSocket}, so that every rule of the RFC is visible: the rules of the
 * connection (address lookup, address guard, TLS, the single deadline) live in {@link HttpsConnector},
 * which the TLS-RPT report POST (RFC 8460 §5.4) shares, the bounded response framing in
 * {@link HttpResponse}; what is particular to the policy fetch is here:
 *
 * <ul>
 *   <li>{@code mta-sts.<domain>} must be a valid host name (letters, digits, hyphens): a recipient
 *       domain with an {@code _} label may publish an {@code _mta-sts} TXT record, but no certificate
 *       can name its policy host (RFC 8461 §3.3, RFC 6125), so the fetch fails at once as
 *       {@link FetchFailure#HOST_NOT_FOUND}, without any traffic;</li>
 *   <li>{@code mta-sts.<domain>} is resolved through the same DNS servers as the TXT record (A, then
 *       AAAA; addresses tried in that order when a connection fails);</li>
 *   <li>addresses on loopback, private, link-local, ... networks are skipped unless allowed
 *       ({@link AddressGuard}); if none is left the fetch fails with {@link FetchFailure#ADDRESS_REFUSED};</li>
 *   <li>TLS 1.2 or 1.3 only, SNI = {@code mta-sts.<domain>}, PKIX validation and host-name verification
 *       ("HTTPS" endpoint identification) against that name;</li>
 *   <li>only 200 counts; a 3xx is {@link FetchFailure#REDIRECT} and is never followed; no HTTP caching;</li>
 *   <li>the size cap is enforced while streaming, for Content-Length, chunked and close-delimited bodies;</li>
 *   <li>ONE deadline ({@link MtaStsSettings#fetchTimeout()}) covers the policy host's A/AAAA lookups,
 *       connect, handshake, headers and body: DNS queries are never sent past it, and a watchdog
 *       closes the socket when it passes, so neither slow DNS for the policy host nor a server
 *       trickling one byte a second can hold the fetch;</li>
 *   <li>the body must be strict UTF-8 and parse as a policy ({@link StsPolicy#parse(String)}).</li>
 * </ul>
 *
 * Never throws: every outcome is a {@link PolicyFetchResult}. Thread-safe (no mutable state).
 */
final class PolicyFetcher {
    static final String WELL_KNOWN_PATH = "/.well-known/mta-sts.txt";
    private static final Logger LOG = LoggerFactory.getLogger(PolicyFetcher.class);

    private final MtaStsSettings settings;
    private final HttpsConnector https;

    PolicyFetcher(DnsClient dns, MtaStsSettings settings, SSLSocketFactory sockets, ScheduledExecutorService watchdog) {
        this.settings = settings;
        this.https = new HttpsConnector(dns, settings, sockets, watchdog);
    }

    /** Fetches and parses the policy of {@code domain} (normalized, A-label). */
    PolicyFetchResult fetch(String domain) {
        String host = "mta-sts." + domain;
        try {
            if (!Domains.isLdhDomain(host)) {
                throw new HttpsFailure(FetchFailure.HOST_NOT_FOUND, "the policy host " + host + " is not a valid host name"
                        + " (RFC 8461 §3.3: its certificate must name it; letters, digits and hyphens only,"
                        + " at most 253 characters)");
            }
            int port = settings.policyPort();
            // The whole fetch under one deadline, started before the policy host's address lookups.
            return https.exchange(host, port, settings.fetchTimeout(), tls -> {
                OutputStream out = tls.getOutputStream();
                String request = "GET " + WELL_KNOWN_PATH + " HTTP/1.1\r\n"
                        + "Host: " + host + (port == 443 ? "" : ":" + port) + "\r\n"
                        + "User-Agent: james-mta-sts\r\n"
                        + "Accept: text/plain\r\n"
                        + "Connection: close\r\n\r\n";
                out.write(request.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return readResponse(new BufferedInputStream(tls.getInputStream()), host);
            });
        } catch (HttpsFailure f) {
            PolicyFetchResult failure = PolicyFetchResult.failure(f.kind(), f.getMessage());
            LOG.debug("policy fetch for {} failed: {} {}", domain, f.kind(), failure.detail());
            return failure;
        } catch (RuntimeException e) {
            LOG.warn("policy fetch for {} failed unexpectedly", domain, e);
            return PolicyFetchResult.failure(FetchFailure.PROTOCOL, "unexpected error: " + e);
        }
    }

    private PolicyFetchResult readResponse(InputStream in, String host) throws IOException, HttpsFailure {
        HttpResponse response = HttpResponse.readHead(in);
        int status = response.status();
        String reason = response.reasonPhrase() != null ? " " + SafeText.of(response.reasonPhrase()) : "";
        if (status >= 300 && status < 400) {
            throw new HttpsFailure(FetchFailure.REDIRECT, "HTTP " + status + reason + " to " + SafeText.of(response.header("location"))
                    + " (RFC 8461 §3.3: redirects are not followed)");
        }
        if (status != 200) {
            throw new HttpsFailure(FetchFailure.HTTP_STATUS, "HTTP " + status + reason + " from https://" + host + WELL_KNOWN_PATH);
        }
        checkContentType(response.header("content-type"));
        byte[] body = response.readBody(in, settings.maxPolicyBytes(), false);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new HttpsFailure(FetchFailure.PROTOCOL, "policy body is not valid UTF-8");
        }
        try {
            return PolicyFetchResult.success(StsPolicy.parse(text));
        } catch (StsSyntaxException e) {
            throw new HttpsFailure(FetchFailure.SYNTAX, e.getMessage());
        }
    }

    private void checkContentType(String contentType) throws HttpsFailure {
        if (settings.contentTypePolicy() == MtaStsSettings.ContentTypePolicy.LENIENT) {
            return;
        }
        if (contentType == null) {
            throw new HttpsFailure(FetchFailure.CONTENT_TYPE, "no Content-Type (RFC 8461 §3.2: text/plain required)");
        }
        int semi = contentType.indexOf(';');
        String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        if (!media.equals("text/plain")) {
            throw new HttpsFailure(FetchFailure.CONTENT_TYPE, "Content-Type " + SafeText.quoted(contentType) + ", not text/plain");
        }
    }
}
