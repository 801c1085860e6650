package dev.jamesmtasts.mtasts;

import java.util.Locale;

/**
 * One {@code mx} value of a policy: a host name, or {@code *.} followed by a domain.
 *
 * <p>RFC 8461 §4.1: a wildcard matches exactly one label, the left-most one, and nothing else:
 * {@code *.example.com} matches {@code mx.example.com} but neither {@code example.com} nor
 * {@code a.b.example.com} nor {@code evilexample.com}. Matching is case-insensitive and ignores a
 * trailing dot on the MX host name. Matching allocates nothing.
 */
public final class MxPattern {
    private final String pattern;
    private final boolean wildcard;
    /** For a wildcard: the domain after "*." (lower case); otherwise the whole host name. */
    private final String suffix;

    private MxPattern(String pattern, boolean wildcard, String suffix) {
        this.pattern = pattern;
        this.wildcard = wildcard;
        this.suffix = suffix;
    }

    /**
     * Parses an {@code mx} value: {@code ["*."] Domain} with A-labels only (RFC 8461 §3.2).
     *
     * @throws StsSyntaxException for anything else, e.g. {@code *.*.example}, {@code **.example},
     *     {@code test.example-} or a U-label such as {@code møx.example}
     */
    public static MxPattern parse(String value) throws StsSyntaxException {
        if (value == null || value.isEmpty()) {
            throw new StsSyntaxException("mx: empty value");
        }
        boolean wildcard = value.startsWith("*.");
        String domain = wildcard ? value.substring(2) : value;
        if (!Domains.isLdhDomain(domain)) {
            throw new StsSyntaxException("mx: not an A-label host name or *.domain: " + SafeText.quoted(value));
        }
        String lower = domain.toLowerCase(Locale.ROOT);
        return new MxPattern(wildcard ? "*." + lower : lower, wildcard, lower);
    }

    /** True when {@code host} (an MX host name, possibly with a trailing dot) is covered by this pattern. */
    public boolean matches(CharSequence host) {
        if (host == null) {
            return false;
        }
        int len = host.length();
        if (len > 0 && host.charAt(len - 1) == '.') {
            len--;
        }
        int sl = suffix.length();
        if (!wildcard) {
            return len == sl && regionEqualsIgnoreCase(host, 0, suffix, sl);
        }
        // "*." + suffix: host must be  label "." suffix  with a non-empty label without dots.
        int labelLen = len - sl - 1;
        if (labelLen < 1 || host.charAt(labelLen) != '.') {
            return false;
        }
        for (int i = 0; i < labelLen; i++) {
            if (host.charAt(i) == '.') {
                return false;
            }
        }
        return regionEqualsIgnoreCase(host, labelLen + 1, suffix, sl);
    }

    private static boolean regionEqualsIgnoreCase(CharSequence host, int offset, String lowerSuffix, int n) {
        for (int i = 0; i < n; i++) {
            char c = host.charAt(offset + i);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            }
            if (c != lowerSuffix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    public boolean isWildcard() {
        return wildcard;
    }

    /** The pattern in lower case, as it would appear in a policy. */
    @Override
    public String toString() {
        return pattern;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MxPattern && ((MxPattern) o).pattern.equals(pattern);
    }

    @Override
    public int hashCode() {
        return pattern.hashCode();
    }
}
