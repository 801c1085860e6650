package dev.jamesmtasts.mtasts;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Fetches {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 §3.3) with a hand-written
 * HTTP/1.1 client over an {@link SSLSocket}, so that every rule of the RFC is visible here. It is one
 * concept, the policy fetch of RFC 8461 §3.3, and stays one class (over 400 lines) so that the whole
 * exchange and its single deadline read top to bottom:
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
    private static final int MAX_LINE = 8192;
    private static final int MAX_HEADER_BYTES = 65536;

    private final DnsClient dns;
    private final MtaStsSettings settings;
    private final SSLSocketFactory sockets;
    private final ScheduledExecutorService watchdog;

    PolicyFetcher(DnsClient dns, MtaStsSettings settings, SSLSocketFactory sockets, ScheduledExecutorService watchdog) {
        this.dns = dns;
        this.settings = settings;
        this.sockets = sockets;
        this.watchdog = watchdog;
    }

    /** Fetches and parses the policy of {@code domain} (normalized, A-label). */
    PolicyFetchResult fetch(String domain) {
        String host = "mta-sts." + domain;
        try {
            if (!Domains.isLdhDomain(host)) {
                throw new Failure(FetchFailure.HOST_NOT_FOUND, "the policy host " + host + " is not a valid host name"
                        + " (RFC 8461 §3.3: its certificate must name it; letters, digits and hyphens only,"
                        + " at most 253 characters)");
            }
            return fetchWithinDeadline(host);
        } catch (Failure f) {
            PolicyFetchResult failure = PolicyFetchResult.failure(f.kind, f.getMessage());
            LOG.debug("policy fetch for {} failed: {} {}", domain, f.kind, failure.detail());
            return failure;
        } catch (RuntimeException e) {
            LOG.warn("policy fetch for {} failed unexpectedly", domain, e);
            return PolicyFetchResult.failure(FetchFailure.PROTOCOL, "unexpected error: " + e);
        }
    }

    /**
     * A then AAAA of the policy host, through the configured resolvers, minus refused addresses; no
     * query is sent after {@code deadline}, the fetch's.
     */
    private List<InetAddress> resolve(String host, long deadline) throws Failure {
        DnsClient.Answer a = dns.query(host, Type.A, deadline);
        DnsClient.Answer aaaa = dns.query(host, Type.AAAA, deadline);
        List<InetAddress> all = new ArrayList<>();
        for (Record r : a.records) {
            all.add(((ARecord) r).getAddress());
        }
        for (Record r : aaaa.records) {
            all.add(((AAAARecord) r).getAddress());
        }
        if (all.isEmpty()) {
            if (a.status == DnsClient.Status.TEMPORARY || aaaa.status == DnsClient.Status.TEMPORARY) {
                throw new Failure(FetchFailure.DNS_TEMPORARY, "cannot resolve " + host + ": A " + a + "; AAAA " + aaaa);
            }
            throw new Failure(FetchFailure.HOST_NOT_FOUND, host + " has no address: " + a.detail);
        }
        if (settings.allowPrivateAddresses()) {
            return all;
        }
        List<InetAddress> allowed = new ArrayList<>();
        StringBuilder refused = new StringBuilder();
        for (InetAddress address : all) {
            String why = AddressGuard.refusal(address);
            if (why == null) {
                allowed.add(address);
            } else {
                refused.append(refused.length() == 0 ? "" : ", ").append(address.getHostAddress()).append(" (").append(why).append(')');
            }
        }
        if (allowed.isEmpty()) {
            throw new Failure(FetchFailure.ADDRESS_REFUSED, host + " resolves only to refused addresses: " + refused);
        }
        if (refused.length() > 0) {
            LOG.info("policy host {}: skipping refused addresses {}", host, refused);
        }
        return allowed;
    }

    /**
     * The whole fetch under one deadline, started before the policy host's address lookups (issue 9:
     * a deadline started after them let slow DNS add its own time-outs on top of the fetch bound).
     */
    private PolicyFetchResult fetchWithinDeadline(String host) throws Failure {
        long timeoutMillis = settings.fetchTimeout().toMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        Exchange exchange = new Exchange();
        ScheduledFuture<?> alarm = watchdog.schedule(exchange::expire, timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            List<InetAddress> addresses = resolve(host, deadline);
            return exchange(exchange, host, addresses, deadline);
        } catch (Failure f) {
            // The socket's own read time-out (set to the time left) can fire before the watchdog thread
            // runs, and a DNS query cut short by the deadline reports a DNS time-out: either way the
            // failure is the fetch bound, not the peer's DNS, TLS or HTTP.
            if (exchange.expired() || System.nanoTime() - deadline >= 0) {
                throw new Failure(FetchFailure.TIMEOUT, "no complete answer from " + host + " within "
                        + settings.fetchTimeout().toMillis() + " ms (" + f.kind + ": " + f.getMessage() + ")");
            }
            throw f;
        } finally {
            alarm.cancel(false);
            exchange.close();
        }
    }

    private PolicyFetchResult exchange(Exchange exchange, String host, List<InetAddress> addresses, long deadline)
            throws Failure {
        int port = settings.policyPort();
        Socket raw = connect(exchange, host, addresses, port, deadline);
        SSLSocket tls = handshake(exchange, raw, host, port, deadline);
        try {
            OutputStream out = tls.getOutputStream();
            String request = "GET " + WELL_KNOWN_PATH + " HTTP/1.1\r\n"
                    + "Host: " + host + (port == 443 ? "" : ":" + port) + "\r\n"
                    + "User-Agent: james-mta-sts\r\n"
                    + "Accept: text/plain\r\n"
                    + "Connection: close\r\n\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(tls.getInputStream());
            return readResponse(in, host);
        } catch (IOException e) {
            throw new Failure(FetchFailure.PROTOCOL, "I/O error talking to " + host + ": " + e);
        } finally {
            // No TLS session resumption, ever: each fetch must see (and verify) the certificate the
            // policy host presents now (RFC 8461 §3.3), not one validated hours ago. Invalidated
            // after the exchange, when TLS 1.3 session tickets have arrived too.
            tls.getSession().invalidate();
        }
    }

    private static Socket connect(Exchange exchange, String host, List<InetAddress> addresses, int port, long deadline)
            throws Failure {
        StringBuilder errors = new StringBuilder();
        for (InetAddress address : addresses) {
            long remaining = remainingMillis(deadline);
            if (remaining <= 0) {
                throw new Failure(FetchFailure.TIMEOUT, "deadline passed while connecting to " + host);
            }
            Socket socket = new Socket();
            exchange.attach(socket);
            try {
                socket.connect(new InetSocketAddress(address, port), (int) Math.min(Integer.MAX_VALUE, remaining));
                return socket;
            } catch (IOException e) {
                errors.append(errors.length() == 0 ? "" : "; ").append(address.getHostAddress()).append(": ").append(e.getMessage());
                closeQuietly(socket);
            }
        }
        throw new Failure(FetchFailure.CONNECT, "cannot connect to " + host + " port " + port + ": " + errors);
    }

    private SSLSocket handshake(Exchange exchange, Socket raw, String host, int port, long deadline) throws Failure {
        try {
            SSLSocket tls = (SSLSocket) sockets.createSocket(raw, host, port, true);
            exchange.attach(tls);
            SSLParameters p = tls.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(host)));
            // Host-name verification of the certificate against mta-sts.<domain> (RFC 8461 §3.3).
            p.setEndpointIdentificationAlgorithm("HTTPS");
            List<String> supported = Arrays.asList(tls.getSupportedProtocols());
            List<String> protocols = new ArrayList<>();
            for (String proto : TlsVersions.ALLOWED) {
                if (supported.contains(proto)) {
                    protocols.add(proto);
                }
            }
            p.setProtocols(protocols.toArray(new String[0]));
            tls.setSSLParameters(p);
            // Belt and braces: the watchdog closes the socket at the deadline anyway.
            tls.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, remainingMillis(deadline))));
            tls.startHandshake();
            return tls;
        } catch (SSLException e) {
            throw new Failure(FetchFailure.TLS, "TLS with " + host + " failed: " + rootMessage(e));
        } catch (IOException e) {
            throw new Failure(FetchFailure.TLS, "TLS with " + host + " failed: " + e);
        }
    }

    private PolicyFetchResult readResponse(InputStream in, String host) throws IOException, Failure {
        String statusLine = readLine(in, "status line");
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || parts[1].length() != 3) {
            throw new Failure(FetchFailure.PROTOCOL, "malformed HTTP status line: " + SafeText.quoted(statusLine));
        }
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new Failure(FetchFailure.PROTOCOL, "malformed HTTP status line: " + SafeText.quoted(statusLine));
        }
        Map<String, List<String>> headers = readHeaders(in);
        String reason = parts.length > 2 ? " " + SafeText.of(parts[2]) : "";
        if (status >= 300 && status < 400) {
            throw new Failure(FetchFailure.REDIRECT, "HTTP " + status + reason + " to " + SafeText.of(first(headers, "location"))
                    + " (RFC 8461 §3.3: redirects are not followed)");
        }
        if (status != 200) {
            throw new Failure(FetchFailure.HTTP_STATUS, "HTTP " + status + reason + " from https://" + host + WELL_KNOWN_PATH);
        }
        checkContentType(first(headers, "content-type"));
        byte[] body = readBody(in, headers);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new Failure(FetchFailure.PROTOCOL, "policy body is not valid UTF-8");
        }
        try {
            return PolicyFetchResult.success(StsPolicy.parse(text));
        } catch (StsSyntaxException e) {
            throw new Failure(FetchFailure.SYNTAX, e.getMessage());
        }
    }

    private void checkContentType(String contentType) throws Failure {
        if (settings.contentTypePolicy() == MtaStsSettings.ContentTypePolicy.LENIENT) {
            return;
        }
        if (contentType == null) {
            throw new Failure(FetchFailure.CONTENT_TYPE, "no Content-Type (RFC 8461 §3.2: text/plain required)");
        }
        int semi = contentType.indexOf(';');
        String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        if (!media.equals("text/plain")) {
            throw new Failure(FetchFailure.CONTENT_TYPE, "Content-Type " + SafeText.quoted(contentType) + ", not text/plain");
        }
    }

    private byte[] readBody(InputStream in, Map<String, List<String>> headers) throws IOException, Failure {
        int max = settings.maxPolicyBytes();
        List<String> te = headers.get("transfer-encoding");
        if (te != null) {
            String last = te.get(te.size() - 1);
            String[] codings = last.split(",");
            if (!codings[codings.length - 1].trim().equalsIgnoreCase("chunked")) {
                throw new Failure(FetchFailure.PROTOCOL, "unsupported Transfer-Encoding: " + SafeText.quoted(String.join(", ", te)));
            }
            return readChunked(in, max);
        }
        List<String> cl = headers.get("content-length");
        if (cl != null) {
            long length = contentLength(cl);
            if (length > max) {
                throw new Failure(FetchFailure.TOO_LARGE, "Content-Length " + length + " exceeds the limit of " + max + " bytes");
            }
            byte[] body = in.readNBytes((int) length);
            if (body.length < length) {
                throw new Failure(FetchFailure.PROTOCOL, "connection closed after " + body.length + " of " + length + " body bytes");
            }
            return body;
        }
        // Close-delimited body (we asked for Connection: close).
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (out.size() + n > max) {
                throw new Failure(FetchFailure.TOO_LARGE, "body exceeds the limit of " + max + " bytes");
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static long contentLength(List<String> values) throws Failure {
        long length = -1;
        for (String v : values) {
            for (String item : v.split(",")) {
                String s = item.trim();
                long parsed;
                if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new Failure(FetchFailure.PROTOCOL, "malformed Content-Length: " + SafeText.quoted(v));
                }
                parsed = Long.parseLong(s);
                if (length >= 0 && parsed != length) {
                    throw new Failure(FetchFailure.PROTOCOL, "conflicting Content-Length values");
                }
                length = parsed;
            }
        }
        return length;
    }

    private static byte[] readChunked(InputStream in, int max) throws IOException, Failure {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(in, "chunk size");
            int semi = line.indexOf(';');
            String hex = (semi < 0 ? line : line.substring(0, semi)).trim();
            if (hex.isEmpty() || hex.length() > 15 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                throw new Failure(FetchFailure.PROTOCOL, "malformed chunk size: " + SafeText.quoted(line));
            }
            long size = Long.parseLong(hex, 16);
            if (size == 0) {
                // Trailer section, then the final CRLF.
                int trailerBytes = 0;
                String trailer;
                while (!(trailer = readLine(in, "chunk trailer")).isEmpty()) {
                    trailerBytes += trailer.length();
                    if (trailerBytes > MAX_HEADER_BYTES) {
                        throw new Failure(FetchFailure.PROTOCOL, "chunk trailer too long");
                    }
                }
                return out.toByteArray();
            }
            if (out.size() + size > max) {
                throw new Failure(FetchFailure.TOO_LARGE, "chunked body exceeds the limit of " + max + " bytes");
            }
            byte[] chunk = in.readNBytes((int) size);
            if (chunk.length < size) {
                throw new Failure(FetchFailure.PROTOCOL, "connection closed inside a chunk");
            }
            out.write(chunk);
            if (!readLine(in, "chunk end").isEmpty()) {
                throw new Failure(FetchFailure.PROTOCOL, "chunk not followed by CRLF");
            }
        }
    }

    private static Map<String, List<String>> readHeaders(InputStream in) throws IOException, Failure {
        Map<String, List<String>> headers = new HashMap<>();
        int total = 0;
        String line;
        while (!(line = readLine(in, "header")).isEmpty()) {
            total += line.length();
            if (total > MAX_HEADER_BYTES) {
                throw new Failure(FetchFailure.PROTOCOL, "response headers exceed " + MAX_HEADER_BYTES + " bytes");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new Failure(FetchFailure.PROTOCOL, "malformed header line: " + SafeText.quoted(line));
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            headers.computeIfAbsent(name, k -> new ArrayList<>(1)).add(line.substring(colon + 1).trim());
        }
        return headers;
    }

    /** Reads one CRLF- (or LF-) terminated line as ISO-8859-1, at most {@value #MAX_LINE} bytes. */
    private static String readLine(InputStream in, String what) throws IOException, Failure {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new Failure(FetchFailure.PROTOCOL, "connection closed while reading the " + what);
            }
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            if (sb.length() >= MAX_LINE) {
                throw new Failure(FetchFailure.PROTOCOL, what + " longer than " + MAX_LINE + " bytes");
            }
            sb.append((char) c);
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null ? null : values.get(0);
    }

    private static long remainingMillis(long deadline) {
        return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /**
     * The sockets of one fetch and its deadline state. The watchdog thread calls {@link #expire()},
     * which closes the current socket so that a blocked read or handshake returns at once.
     */
    private static final class Exchange {
        private final List<Socket> sockets = new ArrayList<>(2);
        private boolean expired;

        synchronized void attach(Socket socket) throws Failure {
            if (expired) {
                closeQuietly(socket);
                throw new Failure(FetchFailure.TIMEOUT, "deadline passed");
            }
            sockets.add(socket);
        }

        synchronized void expire() {
            expired = true;
            // Close only the plain TCP socket: that unblocks any read, write or handshake at once,
            // while closing an SSLSocket from this thread could wait on locks the fetching thread holds.
            for (Socket s : sockets) {
                if (!(s instanceof SSLSocket)) {
                    closeQuietly(s);
                }
            }
        }

        synchronized boolean expired() {
            return expired;
        }

        synchronized void close() {
            for (Socket s : sockets) {
                closeQuietly(s);
            }
            sockets.clear();
        }
    }

    /** A typed failure on its way to becoming a {@link PolicyFetchResult}. */
    private static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final FetchFailure kind;

        Failure(FetchFailure kind, String message) {
            super(message, null, false, false);
            this.kind = kind;
        }
    }
}
