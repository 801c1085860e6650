package dev.jamesmtasts.mtasts;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import dev.jamesmtasts.mtasts.TlsRptSyntaxException.Reason;

/**
 * The {@code _smtp._tls.<domain>} TXT record of SMTP TLS Reporting (RFC 8460 §3): where a domain
 * wants its daily TLS reports sent.
 *
 * <pre>
 * tlsrpt-record     = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
 * field-delim       = *WSP ";" *WSP
 * tlsrpt-field      = tlsrpt-rua / tlsrpt-extension     ; tlsrpt-rua is required
 * tlsrpt-version    = %s"v=TLSRPTv1"
 * tlsrpt-rua        = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 * tlsrpt-uri        = URI   ; RFC 3986; "," "!" and ";" MUST be percent-encoded
 * tlsrpt-extension  = tlsrpt-ext-name "=" tlsrpt-ext-value
 * tlsrpt-ext-name   = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 * tlsrpt-ext-value  = 1*(%x21-3A / %x3C / %x3E-7E)
 * </pre>
 *
 * Decisions where RFC 8460 §3 leaves room (each has a test in {@code TlsRptRecordTest}):
 * <ul>
 *   <li><b>Unknown schemes are ignored, not errors.</b> §3 names two schemes ("mailto" and "https")
 *       and says parsers must accept records that are a superset of the specification; a URI of
 *       another scheme (or a mailto/https URI with no usable destination, see {@link Rua#parse}) is
 *       listed in {@link #ignoredRua()} with its reason. A record with no usable URI left is
 *       {@link Reason#NO_USABLE_RUA}: the domain cannot be sent a report.</li>
 *   <li><b>A URI that is no RFC 3986 URI makes the record invalid</b> ({@link Reason#SYNTAX}): the
 *       ABNF rejects it, so the list cannot be read with confidence.</li>
 *   <li><b>{@code rua=} may repeat</b> (the ABNF allows any field to repeat): the URIs of every
 *       {@code rua=} field are used, in record order, a URI listed twice once.</li>
 *   <li><b>A second {@code v=} field is an error</b> ({@link Reason#DUPLICATE_VERSION}), although it
 *       would match {@code tlsrpt-extension}: {@code v} is the version tag (§3), and a record stating
 *       two versions has no clear meaning.</li>
 *   <li><b>Case:</b> {@code v=TLSRPTv1} and {@code rua=} are case-sensitive ({@code %s} in the ABNF,
 *       RFC 7405); URI schemes are not (RFC 3986 §3.1).</li>
 *   <li><b>Bounds:</b> at most {@value #MAX_RECORD_LENGTH} characters ({@link Reason#RECORD_TOO_LONG})
 *       and {@value #MAX_RUA_URIS} URIs ({@link Reason#TOO_MANY_URIS}), so that a hostile record
 *       cannot make this MTA parse megabytes or send one report to hundreds of destinations.</li>
 * </ul>
 */
public final class TlsRptRecord {
    /** The version tag every TLS-RPT record begins with (RFC 8460 §3). */
    public static final String VERSION = "v=TLSRPTv1";
    /** Longest record accepted, in characters (the concatenated strings of one TXT record). */
    public static final int MAX_RECORD_LENGTH = 4096;
    /** Most URIs accepted over all {@code rua=} fields of one record (usable or not). */
    public static final int MAX_RUA_URIS = 10;

    private static final String RUA = "rua";

    private final List<Rua> rua;
    private final List<String> ignoredRua;
    private final List<String> extensions;

    private TlsRptRecord(List<Rua> rua, List<String> ignoredRua, List<String> extensions) {
        this.rua = rua;
        this.ignoredRua = ignoredRua;
        this.extensions = extensions;
    }

    /**
     * Whether a TXT string is meant to be a TLS-RPT record at all. RFC 8460 §3: records that do not
     * begin with {@code v=TLSRPTv1} are discarded, so {@code v=TLSRPTv10}, {@code V=TLSRPTv1} or
     * {@code rua=...; v=TLSRPTv1} are other TXT data, while {@code v=TLSRPTv1} or
     * {@code v=TLSRPTv1 ;} (the ABNF allows WSP before the ";") are TLS-RPT records that fail to parse.
     */
    public static boolean isTlsRptRecord(String txt) {
        if (txt == null || !txt.startsWith(VERSION)) {
            return false;
        }
        if (txt.length() == VERSION.length()) {
            return true;
        }
        char next = txt.charAt(VERSION.length());
        return next == ';' || next == ' ' || next == '\t';
    }

    /**
     * Parses one TLS-RPT TXT record (the concatenation of its strings, RFC 8460 §3).
     *
     * @throws TlsRptSyntaxException with the {@link TlsRptSyntaxException#reason() reason} the record
     *         cannot be used
     */
    public static TlsRptRecord parse(String txt) throws TlsRptSyntaxException {
        if (!isTlsRptRecord(txt)) {
            throw new TlsRptSyntaxException(Reason.NOT_TLSRPT, "record does not start with " + VERSION);
        }
        if (txt.length() > MAX_RECORD_LENGTH) {
            throw new TlsRptSyntaxException(Reason.RECORD_TOO_LONG, "record: " + txt.length()
                    + " characters, more than the " + MAX_RECORD_LENGTH + " accepted");
        }
        int pos = VERSION.length();
        int n = txt.length();
        List<String> uris = null;
        List<String> extensions = new ArrayList<>(0);
        while (pos < n) {
            // field-delim: *WSP ";" *WSP
            pos = StsRecord.skipWsp(txt, pos);
            if (pos >= n || txt.charAt(pos) != ';') {
                throw syntax("expected ';' at offset " + pos + " in " + SafeText.quoted(txt));
            }
            pos = StsRecord.skipWsp(txt, pos + 1);
            if (pos >= n) {
                break; // [field-delim] at the end
            }
            int eq = pos;
            while (eq < n && !isFieldEnd(txt.charAt(eq)) && txt.charAt(eq) != '=') {
                eq++;
            }
            if (eq >= n || txt.charAt(eq) != '=') {
                throw syntax("field without name=value: " + SafeText.quoted(txt.substring(pos, eq)));
            }
            String name = txt.substring(pos, eq);
            if (name.equals(RUA)) {
                if (uris == null) {
                    uris = new ArrayList<>(2);
                }
                pos = parseRuaList(txt, eq + 1, uris);
            } else if (name.equals("v")) {
                throw new TlsRptSyntaxException(Reason.DUPLICATE_VERSION, "record: a second v= field at offset " + pos);
            } else {
                int end = eq + 1;
                while (end < n && !isFieldEnd(txt.charAt(end))) {
                    end++;
                }
                String value = txt.substring(eq + 1, end);
                if (!StsRecord.isExtName(name) || !StsRecord.isExtValue(value)) {
                    throw syntax("invalid extension field " + SafeText.quoted(txt.substring(pos, end)));
                }
                extensions.add(name + '=' + value);
                pos = end;
            }
        }
        if (uris == null) {
            throw new TlsRptSyntaxException(Reason.MISSING_RUA, "record: missing required rua field");
        }
        List<Rua> usable = new ArrayList<>(uris.size());
        List<String> ignored = new ArrayList<>(0);
        Set<String> seen = new LinkedHashSet<>();
        for (String uri : uris) {
            if (!seen.add(uri)) {
                continue;
            }
            try {
                usable.add(Rua.parse(uri));
            } catch (TlsRptSyntaxException e) {
                ignored.add(SafeText.quoted(uri) + " (" + e.getMessage() + ")");
            }
        }
        if (usable.isEmpty()) {
            throw new TlsRptSyntaxException(Reason.NO_USABLE_RUA, "record: no usable rua URI (mailto: or https:): "
                    + SafeText.list(ignored, SafeText.LIST_MAX, "; "));
        }
        return new TlsRptRecord(Collections.unmodifiableList(usable),
                ignored.isEmpty() ? List.of() : Collections.unmodifiableList(ignored),
                extensions.isEmpty() ? List.of() : Collections.unmodifiableList(extensions));
    }

    /** {@code tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)} from {@code pos}; returns the offset after the last URI. */
    private static int parseRuaList(String txt, int pos, List<String> uris) throws TlsRptSyntaxException {
        int n = txt.length();
        while (true) {
            int start = pos;
            while (pos < n && !isFieldEnd(txt.charAt(pos)) && txt.charAt(pos) != ',') {
                pos++;
            }
            if (pos == start) {
                throw syntax("rua: empty URI at offset " + start);
            }
            String uri = txt.substring(start, pos);
            String problem = uriSyntaxProblem(uri);
            if (problem != null) {
                throw syntax("rua: " + SafeText.quoted(uri) + " is not a URI (" + problem + ")");
            }
            uris.add(uri);
            if (uris.size() > MAX_RUA_URIS) {
                throw new TlsRptSyntaxException(Reason.TOO_MANY_URIS, "record: more than " + MAX_RUA_URIS + " rua URIs");
            }
            int after = StsRecord.skipWsp(txt, pos);
            if (after >= n || txt.charAt(after) != ',') {
                return pos;
            }
            pos = StsRecord.skipWsp(txt, after + 1);
        }
    }

    private static boolean isFieldEnd(char c) {
        return c == ';' || c == ' ' || c == '\t';
    }

    private static TlsRptSyntaxException syntax(String message) {
        return new TlsRptSyntaxException(Reason.SYNTAX, "record: " + message);
    }

    /**
     * Null when {@code uri} is an RFC 3986 {@code URI} made of the characters a {@code tlsrpt-uri} may
     * hold, else what is wrong. Checked here: {@code scheme ":"} first, then only unreserved, reserved
     * and {@code pct-encoded} characters, minus {@code , ! ;} which RFC 8460 §3 requires encoded, and
     * at most one {@code #}. The scheme-specific parts are checked by {@link Rua#parse}.
     */
    static String uriSyntaxProblem(String uri) {
        int colon = uri.indexOf(':');
        if (colon <= 0) {
            return "no scheme";
        }
        if (!isAlpha(uri.charAt(0))) {
            return "scheme must start with a letter";
        }
        for (int i = 1; i < colon; i++) {
            char c = uri.charAt(i);
            if (!isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.') {
                return "invalid character in scheme";
            }
        }
        boolean fragment = false;
        for (int i = colon + 1; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '%') {
                if (i + 2 >= uri.length() || !isHex(uri.charAt(i + 1)) || !isHex(uri.charAt(i + 2))) {
                    return "'%' not followed by two hex digits";
                }
                i += 2;
            } else if (c == '#') {
                if (fragment) {
                    return "two '#'";
                }
                fragment = true;
            } else if (!isUriChar(c)) {
                return c == ',' || c == '!' || c == ';' ? "'" + c + "' must be percent-encoded (RFC 8460 §3)"
                        : "character " + SafeText.of(String.valueOf(c)) + " not allowed in a URI";
            }
        }
        return null;
    }

    /** RFC 3986 unreserved / gen-delims / sub-delims, without "," "!" ";" (RFC 8460 §3) and "#" (handled apart). */
    private static boolean isUriChar(char c) {
        return isAlpha(c) || isDigit(c) || "-._~:/?[]@$&'()*+=".indexOf(c) >= 0;
    }

    private static boolean isAlpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHex(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** The usable report destinations, in record order (never empty). */
    public List<Rua> rua() {
        return rua;
    }

    /** The URIs listed but not used, each quoted (through {@link SafeText}) with the reason. */
    public List<String> ignoredRua() {
        return ignoredRua;
    }

    /** Extension fields, as {@code name=value} in record order (RFC 8460 §3: kept, not interpreted). */
    public List<String> extensions() {
        return extensions;
    }

    /** The record in its published form, usable URIs only. Safe to show: every character passed the grammar. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(VERSION).append("; rua=");
        for (int i = 0; i < rua.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(rua.get(i).uri());
        }
        for (String e : extensions) {
            sb.append("; ").append(e);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TlsRptRecord)) {
            return false;
        }
        TlsRptRecord r = (TlsRptRecord) o;
        return rua.equals(r.rua) && ignoredRua.equals(r.ignoredRua) && extensions.equals(r.extensions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rua, ignoredRua, extensions);
    }

    /**
     * One usable {@code rua} destination (RFC 8460 §3): a mailbox for a {@code mailto:} URI
     * (RFC 6068), an endpoint for an {@code https:} URI (reports POSTed there, RFC 8460 §5.2).
     */
    public static final class Rua {
        /** The two schemes RFC 8460 §3 defines. */
        public enum Scheme { MAILTO, HTTPS }

        private final Scheme scheme;
        private final String uri;
        private final String mailbox;
        private final URI https;

        private Rua(Scheme scheme, String uri, String mailbox, URI https) {
            this.scheme = scheme;
            this.uri = uri;
            this.mailbox = mailbox;
            this.https = https;
        }

        /**
         * Parses one {@code rua} URI as published (percent-encoding intact).
         * <ul>
         *   <li>{@code mailto:}: exactly one address ({@code local@domain}) after percent-decoding,
         *       ASCII only; a dot-atom local part of at most 64 characters (no quoted local part); a
         *       domain that is a host name in A-label form (no address literal, no numeric top label).
         *       {@code ?hfields} (RFC 6068 §2) are allowed and ignored: a report goes only to the
         *       address in the path (a {@code to=} hfield would otherwise add recipients the record
         *       does not show). A fragment is not allowed (RFC 6068 defines none).</li>
         *   <li>{@code https:}: a URI java.net.URI accepts, with a host name (not an IP literal: the
         *       endpoint must be able to present a certificate for a name, and an address in DNS
         *       data is an easy pointer to internal hosts), no user information, a port of 1 to
         *       65535 if any.</li>
         * </ul>
         *
         * @throws TlsRptSyntaxException {@link Reason#SYNTAX} when {@code uri} is no URI,
         *         {@link Reason#UNUSABLE_URI} when it is one but cannot be used
         */
        public static Rua parse(String uri) throws TlsRptSyntaxException {
            String problem = uri == null ? "null" : uriSyntaxProblem(uri);
            if (problem != null) {
                throw new TlsRptSyntaxException(Reason.SYNTAX, "rua: " + SafeText.quoted(uri) + " is not a URI (" + problem + ")");
            }
            int colon = uri.indexOf(':');
            String scheme = uri.substring(0, colon).toLowerCase(Locale.ROOT);
            if (scheme.equals("mailto")) {
                return new Rua(Scheme.MAILTO, uri, mailbox(uri.substring(colon + 1)), null);
            }
            if (scheme.equals("https")) {
                return new Rua(Scheme.HTTPS, uri, null, httpsEndpoint(uri));
            }
            throw unusable("scheme " + SafeText.quoted(scheme) + " is not mailto or https (RFC 8460 §3)");
        }

        private static String mailbox(String rest) throws TlsRptSyntaxException {
            if (rest.indexOf('#') >= 0) {
                throw unusable("mailto: URI with a fragment");
            }
            int q = rest.indexOf('?');
            String to = decode(q < 0 ? rest : rest.substring(0, q));
            if (to.isEmpty()) {
                throw unusable("mailto: URI without an address");
            }
            if (to.indexOf(',') >= 0) {
                throw unusable("mailto: URI with more than one address");
            }
            int at = to.indexOf('@');
            if (at < 0 || at != to.lastIndexOf('@')) {
                throw unusable("mailto: address must hold exactly one '@'");
            }
            String local = to.substring(0, at);
            String domain = to.substring(at + 1);
            if (!isDotAtom(local)) {
                throw unusable("mailto: local part is not a dot-atom of 1 to 64 characters");
            }
            if (!isHostName(domain)) {
                throw unusable("mailto: domain part is not a host name");
            }
            return to;
        }

        /** Percent-decodes {@code s}; only ASCII may result (a report address must work without SMTPUTF8). */
        private static String decode(String s) throws TlsRptSyntaxException {
            StringBuilder out = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '%') {
                    c = (char) Integer.parseInt(s.substring(i + 1, i + 3), 16); // well-formed: uriSyntaxProblem checked it
                    i += 2;
                }
                if (c < 0x21 || c > 0x7e) {
                    throw unusable("mailto: address with a control, space or non-ASCII character");
                }
                out.append(c);
            }
            return out.toString();
        }

        /** RFC 5322 §3.2.3 dot-atom-text, at most 64 characters (RFC 5321 §4.5.3.1.1). */
        private static boolean isDotAtom(String s) {
            if (s.isEmpty() || s.length() > 64 || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
                return false;
            }
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!isAlpha(c) && !isDigit(c) && c != '.' && "!#$%&'*+-/=?^_`{|}~".indexOf(c) < 0) {
                    return false;
                }
            }
            return true;
        }

        /** An LDH host name (A-labels) whose top label is not all digits, so no IPv4 address either. */
        private static boolean isHostName(String s) {
            if (!Domains.isLdhDomain(s)) {
                return false;
            }
            String top = s.substring(s.lastIndexOf('.') + 1);
            for (int i = 0; i < top.length(); i++) {
                if (!isDigit(top.charAt(i))) {
                    return true;
                }
            }
            return false;
        }

        private static URI httpsEndpoint(String uri) throws TlsRptSyntaxException {
            URI u;
            try {
                u = new URI(uri);
            } catch (URISyntaxException e) {
                throw unusable("https: URI that does not parse (" + SafeText.of(e.getReason()) + ")");
            }
            if (u.getRawUserInfo() != null) {
                throw unusable("https: URI with user information");
            }
            String host = u.getHost();
            if (host == null || !isHostName(host)) {
                throw unusable("https: URI without a host name");
            }
            if (u.getPort() != -1 && (u.getPort() < 1 || u.getPort() > 65535)) {
                throw unusable("https: URI with port " + u.getPort());
            }
            return u;
        }

        private static TlsRptSyntaxException unusable(String message) {
            return new TlsRptSyntaxException(Reason.UNUSABLE_URI, message);
        }

        public Scheme scheme() {
            return scheme;
        }

        /** The URI as published in the record (percent-encoding intact). */
        public String uri() {
            return uri;
        }

        /** For {@link Scheme#MAILTO}: the address to send the report to ({@code local@domain}, decoded); else null. */
        public String mailbox() {
            return mailbox;
        }

        /** For {@link Scheme#HTTPS}: the endpoint to POST the report to; else null. */
        public URI httpsUri() {
            return https;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Rua && ((Rua) o).uri.equals(uri);
        }

        @Override
        public int hashCode() {
            return uri.hashCode();
        }

        @Override
        public String toString() {
            return uri;
        }
    }
}
