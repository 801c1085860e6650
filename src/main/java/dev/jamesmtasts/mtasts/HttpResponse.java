package dev.jamesmtasts.mtasts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reading an HTTP/1.1 response from an untrusted server, bounded everywhere: the status line and each
 * header line at most {@value #MAX_LINE} bytes, all headers at most {@value #MAX_HEADER_BYTES} bytes,
 * the body at most the caller's cap, enforced while streaming for Content-Length, chunked and
 * close-delimited bodies. Shared by the policy fetch (RFC 8461 §3.3) and the report POST (RFC 8460
 * §5.4); time is bounded by the {@link HttpsConnector} deadline the reading runs under.
 *
 * <p>{@link #reasonPhrase()} and header values are the server's raw text: escape them
 * ({@link SafeText}) before they reach any message.
 */
public final class HttpResponse {
    private static final int MAX_LINE = 8192;
    private static final int MAX_HEADER_BYTES = 65536;

    private final int status;
    private final String reasonPhrase;
    private final Map<String, List<String>> headers;

    private HttpResponse(int status, String reasonPhrase, Map<String, List<String>> headers) {
        this.status = status;
        this.reasonPhrase = reasonPhrase;
        this.headers = headers;
    }

    /** Reads the status line and the header section; the body is left in {@code in}. */
    public static HttpResponse readHead(InputStream in) throws IOException, HttpsFailure {
        String statusLine = readLine(in, "status line");
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || parts[1].length() != 3) {
            throw new HttpsFailure(FetchFailure.PROTOCOL, "malformed HTTP status line: " + SafeText.quoted(statusLine));
        }
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new HttpsFailure(FetchFailure.PROTOCOL, "malformed HTTP status line: " + SafeText.quoted(statusLine));
        }
        return new HttpResponse(status, parts.length > 2 ? parts[2] : null, readHeaders(in));
    }

    /** The three-digit status code. */
    public int status() {
        return status;
    }

    /** The reason phrase as sent (raw, unescaped), or null when the status line has none. */
    public String reasonPhrase() {
        return reasonPhrase;
    }

    /** The first value of header {@code name} (case-insensitive) as sent (raw, unescaped), or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null ? null : values.get(0);
    }

    /**
     * Reads the body, at most {@code max} bytes: beyond that it is {@link FetchFailure#TOO_LARGE}, or,
     * with {@code truncate}, the first {@code max} bytes are returned and the rest is left unread.
     */
    public byte[] readBody(InputStream in, int max, boolean truncate) throws IOException, HttpsFailure {
        List<String> te = headers.get("transfer-encoding");
        if (te != null) {
            String last = te.get(te.size() - 1);
            String[] codings = last.split(",");
            if (!codings[codings.length - 1].trim().equalsIgnoreCase("chunked")) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "unsupported Transfer-Encoding: " + SafeText.quoted(String.join(", ", te)));
            }
            return readChunked(in, max, truncate);
        }
        List<String> cl = headers.get("content-length");
        if (cl != null) {
            long length = contentLength(cl);
            if (length > max) {
                if (!truncate) {
                    throw new HttpsFailure(FetchFailure.TOO_LARGE, "Content-Length " + length + " exceeds the limit of " + max + " bytes");
                }
                length = max;
            }
            byte[] body = in.readNBytes((int) length);
            if (body.length < length) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "connection closed after " + body.length + " of " + length + " body bytes");
            }
            return body;
        }
        // Close-delimited body (the request said Connection: close).
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf, 0, truncate ? Math.min(buf.length, max - out.size()) : buf.length)) > 0) {
            if (out.size() + n > max) {
                throw new HttpsFailure(FetchFailure.TOO_LARGE, "body exceeds the limit of " + max + " bytes");
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static long contentLength(List<String> values) throws HttpsFailure {
        long length = -1;
        for (String v : values) {
            for (String item : v.split(",")) {
                String s = item.trim();
                long parsed;
                if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new HttpsFailure(FetchFailure.PROTOCOL, "malformed Content-Length: " + SafeText.quoted(v));
                }
                parsed = Long.parseLong(s);
                if (length >= 0 && parsed != length) {
                    throw new HttpsFailure(FetchFailure.PROTOCOL, "conflicting Content-Length values");
                }
                length = parsed;
            }
        }
        return length;
    }

    private static byte[] readChunked(InputStream in, int max, boolean truncate) throws IOException, HttpsFailure {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(in, "chunk size");
            int semi = line.indexOf(';');
            String hex = (semi < 0 ? line : line.substring(0, semi)).trim();
            if (hex.isEmpty() || hex.length() > 15 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "malformed chunk size: " + SafeText.quoted(line));
            }
            long size = Long.parseLong(hex, 16);
            if (size == 0) {
                // Trailer section, then the final CRLF.
                int trailerBytes = 0;
                String trailer;
                while (!(trailer = readLine(in, "chunk trailer")).isEmpty()) {
                    trailerBytes += trailer.length();
                    if (trailerBytes > MAX_HEADER_BYTES) {
                        throw new HttpsFailure(FetchFailure.PROTOCOL, "chunk trailer too long");
                    }
                }
                return out.toByteArray();
            }
            if (out.size() + size > max) {
                if (!truncate) {
                    throw new HttpsFailure(FetchFailure.TOO_LARGE, "chunked body exceeds the limit of " + max + " bytes");
                }
                out.write(in.readNBytes(max - out.size()));
                return out.toByteArray();
            }
            byte[] chunk = in.readNBytes((int) size);
            if (chunk.length < size) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "connection closed inside a chunk");
            }
            out.write(chunk);
            if (!readLine(in, "chunk end").isEmpty()) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "chunk not followed by CRLF");
            }
        }
    }

    private static Map<String, List<String>> readHeaders(InputStream in) throws IOException, HttpsFailure {
        Map<String, List<String>> headers = new HashMap<>();
        int total = 0;
        String line;
        while (!(line = readLine(in, "header")).isEmpty()) {
            total += line.length();
            if (total > MAX_HEADER_BYTES) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "response headers exceed " + MAX_HEADER_BYTES + " bytes");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "malformed header line: " + SafeText.quoted(line));
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            headers.computeIfAbsent(name, k -> new ArrayList<>(1)).add(line.substring(colon + 1).trim());
        }
        return headers;
    }

    /** Reads one CRLF- (or LF-) terminated line as ISO-8859-1, at most {@value #MAX_LINE} bytes. */
    private static String readLine(InputStream in, String what) throws IOException, HttpsFailure {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, "connection closed while reading the " + what);
            }
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            if (sb.length() >= MAX_LINE) {
                throw new HttpsFailure(FetchFailure.PROTOCOL, what + " longer than " + MAX_LINE + " bytes");
            }
            sb.append((char) c);
        }
    }
}
