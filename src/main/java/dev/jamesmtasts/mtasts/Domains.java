package dev.jamesmtasts.mtasts;

import java.net.IDN;
import java.util.Locale;

/** Domain-name helpers shared by the record, policy and MX-pattern code. */
public final class Domains {
    private Domains() {
    }

    /**
     * Turns a recipient domain as written in an address into the A-label, lower-case form used for
     * DNS queries and as the cache key. A single trailing dot is dropped.
     *
     * <p>RFC 8461 §3.4: the policy is looked up for the recipient domain as written; no parent domain
     * is ever consulted, so this performs no tree-walking of any kind.
     *
     * <p>Labels may hold {@code _} besides letters, digits and hyphens. Such a domain is no RFC 5321
     * host name, but James accepts it and DNS holds it (RFC 2181 §11), so it can have MX records and
     * an {@code _mta-sts} TXT record (RFC 8461 §3.1); refusing it here made the mail wait and finally
     * bounce as "policy could not be looked up". Its policy host {@code mta-sts.<domain>} cannot be
     * named by a certificate, which the policy fetch reports as a typed failure (see
     * {@code PolicyFetcher}).
     *
     * @throws IllegalArgumentException when the name cannot be a DNS domain name (empty, bad IDN, a
     *         label that is empty, longer than 63, starts or ends with a hyphen, or holds a character
     *         other than a letter, digit, hyphen or underscore)
     */
    public static String normalize(String domain) {
        if (domain == null) {
            throw new IllegalArgumentException("domain is null");
        }
        if (isLowerCaseLdhDomain(domain)) {
            return domain; // already in the form below (the common case): no IDN conversion
        }
        String d = domain.trim();
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.isEmpty()) {
            throw new IllegalArgumentException("empty domain");
        }
        String ascii;
        try {
            // Without USE_STD3_ASCII_RULES, which would refuse '_': the label check below applies
            // those rules itself, with '_' admitted.
            ascii = IDN.toASCII(d);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid domain name: " + domain + " (" + e.getMessage() + ")");
        }
        ascii = ascii.toLowerCase(Locale.ROOT);
        if (!hasValidLabels(ascii, true)) {
            throw new IllegalArgumentException("not a valid domain name: " + domain);
        }
        return ascii;
    }

    /** True when {@link #normalize} would return {@code s} unchanged: a lower-case LDH domain. */
    public static boolean isLowerCaseLdhDomain(String s) {
        if (!isLdhDomain(s)) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return false;
            }
        }
        return true;
    }

    /**
     * True for an ASCII "letters, digits, hyphen" domain: labels of 1 to 63 characters that neither
     * start nor end with a hyphen, 253 characters at most, no trailing dot. This is the {@code Domain}
     * production of RFC 5321 §4.1.2 that RFC 8461 §3.2 uses for {@code mx} values (A-labels only).
     */
    public static boolean isLdhDomain(CharSequence s) {
        return hasValidLabels(s, false);
    }

    /** {@link #isLdhDomain(CharSequence)}, with {@code _} also admitted in a label when asked. */
    private static boolean hasValidLabels(CharSequence s, boolean underscore) {
        int n = s.length();
        if (n == 0 || n > 253) {
            return false;
        }
        int labelStart = 0;
        for (int i = 0; i <= n; i++) {
            if (i == n || s.charAt(i) == '.') {
                int len = i - labelStart;
                if (len < 1 || len > 63) {
                    return false;
                }
                if (s.charAt(labelStart) == '-' || s.charAt(i - 1) == '-') {
                    return false;
                }
                labelStart = i + 1;
                continue;
            }
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || (underscore && c == '_');
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
