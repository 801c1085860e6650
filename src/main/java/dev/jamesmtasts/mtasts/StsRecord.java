package dev.jamesmtasts.mtasts;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The {@code _mta-sts.<domain>} TXT record (RFC 8461 §3.1).
 *
 * <pre>
 * sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep]
 * sts-field       = sts-id / sts-extension
 * sts-version     = %s"v=STSv1"
 * sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 * sts-sep         = *WSP %x3B *WSP
 * sts-extension   = sts-ext-name "=" sts-ext-value
 * sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 * sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 * </pre>
 *
 * The {@code id} field is required and may appear only once (two ids would make "has the policy
 * changed?" ambiguous).
 */
public final class StsRecord {
    static final String VERSION = "v=STSv1";

    private final String id;
    private final List<String> extensions;

    private StsRecord(String id, List<String> extensions) {
        this.id = id;
        this.extensions = extensions;
    }

    /** A record with the given id and no extension fields (e.g. to rebuild one from a cache row). */
    public static StsRecord of(String id) {
        return new StsRecord(Objects.requireNonNull(id), List.of());
    }

    /**
     * Whether a TXT string is meant to be an STS record at all. RFC 8461 §3.1: records that do not
     * begin with {@code v=STSv1} are discarded, so {@code v=STSv10}, {@code v=STSv2} or
     * {@code id=1; v=STSv1} are other TXT data, while {@code v=STSv1} or {@code v=STSv1;} are STS
     * records that fail to parse.
     */
    public static boolean isStsRecord(String txt) {
        if (txt == null || !txt.startsWith(VERSION)) {
            return false;
        }
        if (txt.length() == VERSION.length()) {
            return true;
        }
        char next = txt.charAt(VERSION.length());
        return next == ';' || next == ' ' || next == '\t';
    }

    /** Parses one STS TXT record (the concatenation of its strings). */
    public static StsRecord parse(String txt) throws StsSyntaxException {
        if (!isStsRecord(txt)) {
            throw new StsSyntaxException("record does not start with v=STSv1");
        }
        int pos = VERSION.length();
        int n = txt.length();
        String id = null;
        List<String> extensions = new ArrayList<>(0);
        int fields = 0;
        while (pos < n) {
            // sts-sep: *WSP ";" *WSP
            pos = skipWsp(txt, pos);
            if (pos >= n || txt.charAt(pos) != ';') {
                throw new StsSyntaxException("record: expected ';' at offset " + pos + " in " + SafeText.quoted(txt));
            }
            pos = skipWsp(txt, pos + 1);
            if (pos >= n) {
                break; // trailing separator is allowed
            }
            int end = pos;
            while (end < n && txt.charAt(end) != ';' && txt.charAt(end) != ' ' && txt.charAt(end) != '\t') {
                end++;
            }
            String field = txt.substring(pos, end);
            pos = end;
            fields++;
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new StsSyntaxException("record: field without name=value: " + SafeText.quoted(field));
            }
            String name = field.substring(0, eq);
            String value = field.substring(eq + 1);
            if (name.equals("id")) {
                if (id != null) {
                    throw new StsSyntaxException("record: duplicate id field");
                }
                if (!isValidId(value)) {
                    throw new StsSyntaxException("record: id must be 1 to 32 letters or digits, got " + SafeText.quoted(value));
                }
                id = value;
            } else {
                if (!isExtName(name) || !isExtValue(value)) {
                    throw new StsSyntaxException("record: invalid extension field " + SafeText.quoted(field));
                }
                extensions.add(field);
            }
        }
        if (fields == 0) {
            throw new StsSyntaxException("record: no fields after v=STSv1");
        }
        if (id == null) {
            throw new StsSyntaxException("record: missing required id field");
        }
        return new StsRecord(id, extensions.isEmpty() ? List.of() : Collections.unmodifiableList(extensions));
    }

    /** Skips {@code *WSP} (SP / HTAB), shared with the TLS-RPT record grammar (RFC 8460 §3). */
    static int skipWsp(String s, int pos) {
        while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
            pos++;
        }
        return pos;
    }

    static boolean isValidId(String v) {
        if (v.isEmpty() || v.length() > 32) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            if (!isAlnum(v.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")}, shared with the policy grammar and
     * with RFC 8460 §3's {@code tlsrpt-ext-name}.
     */
    static boolean isExtName(String name) {
        if (name.isEmpty() || name.length() > 32 || !isAlnum(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isAlnum(c) && c != '_' && c != '-' && c != '.') {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code 1*(%x21-3A / %x3C / %x3E-7E)}: the extension value of RFC 8461 §3.1, identical to
     * RFC 8460 §3's {@code tlsrpt-ext-value}.
     */
    static boolean isExtValue(String v) {
        if (v.isEmpty()) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x21 || c > 0x7e || c == '=' || c == ';') {
                return false;
            }
        }
        return true;
    }

    static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** The policy id; a change of id tells senders to fetch the policy again (RFC 8461 §3.1). */
    public String id() {
        return id;
    }

    /** Extension fields, as {@code name=value} in record order. */
    public List<String> extensions() {
        return extensions;
    }

    @Override
    public String toString() {
        return VERSION + "; id=" + id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StsRecord && ((StsRecord) o).id.equals(id) && ((StsRecord) o).extensions.equals(extensions);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }
}
