package dev.jamesmtasts.mtasts;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An MTA-STS policy as served at {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}
 * (RFC 8461 §3.2).
 *
 * <p>Parsing rules, all from §3.2 unless said otherwise:
 * <ul>
 *   <li>Lines end in LF or CRLF; each is {@code key ":" *WSP value}; trailing whitespace is dropped.
 *       Empty lines are skipped (leniency: some servers end the body with a blank line).</li>
 *   <li>{@code version}, {@code mode} and {@code max_age} are required. When a key other than
 *       {@code mx} appears more than once, the first occurrence wins and later ones are ignored.</li>
 *   <li>{@code mode} is {@code enforce}, {@code testing} or {@code none} (case-sensitive).</li>
 *   <li>{@code max_age} is 1 to 10 digits. Values above {@value #MAX_AGE_LIMIT} (one year, the
 *       RFC's upper bound) are <b>clamped</b> to it rather than rejected: rejecting would make the
 *       sender treat the domain as having no policy at all, which is the opposite of what the owner
 *       asked for. {@link #maxAgeClamped()} tells when that happened.</li>
 *   <li>At least one {@code mx} unless the mode is {@code none}; each is an A-label host name or
 *       {@code *.} + domain ({@link MxPattern}).</li>
 *   <li>Other keys are extensions: a valid extension name with a value free of control characters;
 *       they are kept but not interpreted.</li>
 * </ul>
 */
public final class StsPolicy {
    /** RFC 8461 §3.2: "max_age ... up to 31557600 (one year)". */
    public static final long MAX_AGE_LIMIT = 31_557_600L;

    /** The three policy modes of RFC 8461 §5. */
    public enum Mode {
        ENFORCE("enforce"), TESTING("testing"), NONE("none");

        private final String text;

        Mode(String text) {
            this.text = text;
        }

        /** The mode as written in a policy. */
        public String text() {
            return text;
        }

        /** The mode for its policy text, or null. */
        public static Mode fromText(String s) {
            for (Mode m : values()) {
                if (m.text.equals(s)) {
                    return m;
                }
            }
            return null;
        }
    }

    private final Mode mode;
    private final List<MxPattern> mx;
    private final long maxAgeSeconds;
    private final boolean maxAgeClamped;
    private final List<String> extensions;
    private final String text;

    private StsPolicy(Mode mode, List<MxPattern> mx, long maxAgeSeconds, boolean maxAgeClamped,
                      List<String> extensions, String text) {
        this.mode = mode;
        this.mx = mx;
        this.maxAgeSeconds = maxAgeSeconds;
        this.maxAgeClamped = maxAgeClamped;
        this.extensions = extensions;
        this.text = text;
    }

    /**
     * A policy built from its parts, e.g. a locally configured override or the synthetic
     * {@code none} policy stored for a failed fetch. {@code mx} may be empty only for {@code none}.
     */
    public static StsPolicy of(Mode mode, List<MxPattern> mx, long maxAgeSeconds) {
        Objects.requireNonNull(mode);
        if (mode != Mode.NONE && (mx == null || mx.isEmpty())) {
            throw new IllegalArgumentException("a " + mode.text() + " policy needs at least one mx pattern");
        }
        if (maxAgeSeconds < 0) {
            throw new IllegalArgumentException("max_age must not be negative");
        }
        List<MxPattern> list = mx == null ? List.of() : List.copyOf(mx);
        long age = Math.min(maxAgeSeconds, MAX_AGE_LIMIT);
        StringBuilder sb = new StringBuilder("version: STSv1\nmode: ").append(mode.text()).append('\n');
        for (MxPattern p : list) {
            sb.append("mx: ").append(p).append('\n');
        }
        sb.append("max_age: ").append(age).append('\n');
        return new StsPolicy(mode, list, age, age != maxAgeSeconds, List.of(), sb.toString());
    }

    /** Parses a policy body (already decoded as UTF-8). */
    public static StsPolicy parse(String body) throws StsSyntaxException {
        if (body == null) {
            throw new StsSyntaxException("policy: empty body");
        }
        String version = null;
        Mode mode = null;
        String maxAgeText = null;
        List<MxPattern> mx = new ArrayList<>(4);
        List<String> extensions = new ArrayList<>(0);
        int n = body.length();
        int lineStart = 0;
        int lineNo = 0;
        while (lineStart < n) {
            int lf = body.indexOf('\n', lineStart);
            int lineEnd = lf < 0 ? n : lf;
            int next = lf < 0 ? n : lf + 1;
            lineNo++;
            int end = lineEnd;
            if (end > lineStart && body.charAt(end - 1) == '\r') {
                end--;
            }
            while (end > lineStart && isWsp(body.charAt(end - 1))) {
                end--;
            }
            if (end == lineStart) {
                lineStart = next;
                continue;
            }
            int colon = body.indexOf(':', lineStart);
            if (colon < 0 || colon >= end) {
                throw new StsSyntaxException("policy line " + lineNo + ": expected 'key: value', got "
                        + SafeText.quoted(body.substring(lineStart, end)));
            }
            String key = body.substring(lineStart, colon);
            int vs = colon + 1;
            while (vs < end && isWsp(body.charAt(vs))) {
                vs++;
            }
            String value = body.substring(vs, end);
            checkValueChars(value, lineNo);
            switch (key) {
                case "version":
                    if (version == null) {
                        version = value;
                    }
                    break;
                case "mode":
                    if (mode == null) {
                        mode = Mode.fromText(value);
                        if (mode == null) {
                            throw new StsSyntaxException("policy: mode must be enforce, testing or none, got "
                                    + SafeText.quoted(value));
                        }
                    }
                    break;
                case "max_age":
                    if (maxAgeText == null) {
                        maxAgeText = value;
                    }
                    break;
                case "mx":
                    try {
                        mx.add(MxPattern.parse(value));
                    } catch (StsSyntaxException e) {
                        throw new StsSyntaxException("policy line " + lineNo + ": " + e.getMessage());
                    }
                    break;
                default:
                    if (!StsRecord.isExtName(key) || value.isEmpty()) {
                        throw new StsSyntaxException("policy line " + lineNo + ": invalid key " + SafeText.quoted(key));
                    }
                    extensions.add(key + ": " + value);
            }
            lineStart = next;
        }
        if (version == null) {
            throw new StsSyntaxException("policy: missing required version");
        }
        if (!version.equals("STSv1")) {
            throw new StsSyntaxException("policy: version must be STSv1, got " + SafeText.quoted(version));
        }
        if (mode == null) {
            throw new StsSyntaxException("policy: missing required mode");
        }
        if (maxAgeText == null) {
            throw new StsSyntaxException("policy: missing required max_age");
        }
        long maxAge = parseMaxAge(maxAgeText);
        if (mode != Mode.NONE && mx.isEmpty()) {
            throw new StsSyntaxException("policy: mode " + mode.text() + " requires at least one mx");
        }
        boolean clamped = maxAge > MAX_AGE_LIMIT;
        return new StsPolicy(mode, Collections.unmodifiableList(mx), clamped ? MAX_AGE_LIMIT : maxAge, clamped,
                extensions.isEmpty() ? List.of() : Collections.unmodifiableList(extensions), body);
    }

    private static long parseMaxAge(String v) throws StsSyntaxException {
        if (v.isEmpty() || v.length() > 10) {
            throw new StsSyntaxException("policy: max_age must be 1 to 10 digits, got " + SafeText.quoted(v));
        }
        long r = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                throw new StsSyntaxException("policy: max_age must be 1 to 10 digits, got " + SafeText.quoted(v));
            }
            r = r * 10 + (c - '0');
        }
        return r;
    }

    private static void checkValueChars(String value, int lineNo) throws StsSyntaxException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                throw new StsSyntaxException("policy line " + lineNo + ": control character in value");
            }
        }
    }

    private static boolean isWsp(char c) {
        return c == ' ' || c == '\t';
    }

    public Mode mode() {
        return mode;
    }

    /** The {@code mx} patterns in policy order (empty only for mode {@code none}). */
    public List<MxPattern> mx() {
        return mx;
    }

    /** Seconds the policy may be cached, counted from the successful fetch; at most {@value #MAX_AGE_LIMIT}. */
    public long maxAgeSeconds() {
        return maxAgeSeconds;
    }

    /** True when the published max_age exceeded one year and was clamped. */
    public boolean maxAgeClamped() {
        return maxAgeClamped;
    }

    /** Unknown fields, as {@code key: value}. */
    public List<String> extensions() {
        return extensions;
    }

    /** The policy body as served (or as rebuilt by {@link #of}). */
    public String text() {
        return text;
    }

    /**
     * True when {@code mxHost} matches one of the {@code mx} patterns (RFC 8461 §4.1). Allocation-free.
     */
    public boolean matchesMx(CharSequence mxHost) {
        List<MxPattern> l = mx;
        for (int i = 0, n = l.size(); i < n; i++) {
            if (l.get(i).matches(mxHost)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "StsPolicy{mode=" + mode.text() + ", mx=" + mx + ", max_age=" + maxAgeSeconds + "}";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof StsPolicy)) {
            return false;
        }
        StsPolicy p = (StsPolicy) o;
        return mode == p.mode && maxAgeSeconds == p.maxAgeSeconds && mx.equals(p.mx) && extensions.equals(p.extensions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, mx, maxAgeSeconds);
    }
}
