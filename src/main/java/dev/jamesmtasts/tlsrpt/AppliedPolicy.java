package dev.jamesmtasts.tlsrpt;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code policy} object of one {@code policies[]} entry of a report (RFC 8460 §4.4): which policy
 * a set of sessions was under. Two results belong to the same entry iff their AppliedPolicy is equal
 * (value semantics), so this is also the aggregation key of a day's results for a policy domain.
 *
 * <p>{@code policyString} holds the policy text as fetched, one element per line (RFC 8460 §4.4:
 * "an encoding of the applied policy as a JSON array of strings"); empty for no-policy-found.
 * {@code mxHosts} are the policy's {@code mx} patterns (erratum 6241: an array); empty for none.
 */
public final class AppliedPolicy {
    private final PolicyType type;
    private final String policyDomain;
    private final List<String> policyString;
    private final List<String> mxHosts;
    /** Computed once: this is a hash key on the delivery thread (one lookup per recorded session). */
    private final int hash;
    /** The successful session under this policy: immutable, so counting a success allocates nothing. */
    private final SessionResult success;

    public AppliedPolicy(PolicyType type, String policyDomain, List<String> policyString, List<String> mxHosts) {
        this.type = Objects.requireNonNull(type);
        this.policyDomain = Objects.requireNonNull(policyDomain);
        this.policyString = List.copyOf(policyString);
        this.mxHosts = List.copyOf(mxHosts);
        this.hash = Objects.hash(type, policyDomain, this.policyString, this.mxHosts);
        this.success = SessionResult.newSuccess(this);
    }

    /** Sessions under no policy for {@code domain} (RFC 8460 §4.4 {@code no-policy-found}). */
    public static AppliedPolicy none(String domain) {
        return new AppliedPolicy(PolicyType.NO_POLICY_FOUND, domain, List.of(), List.of());
    }

    /**
     * An MTA-STS policy as fetched: {@code policyText} is split into lines (CRLF or LF, RFC 8461 §3.2),
     * trailing empty lines dropped.
     */
    public static AppliedPolicy sts(String domain, String policyText, List<String> mxPatterns) {
        return new AppliedPolicy(PolicyType.STS, domain, lines(policyText), mxPatterns);
    }

    /**
     * DANE TLSA records (RFC 8460 §4.4 policy-type {@code tlsa}): {@code tlsaBase} is the TLSA base domain
     * (RFC 8460 §3: the Policy Domain of DANE is the TLSA base domain of the receiving MX, RFC 7672 §2.2.3),
     * {@code records} the TLSA records in presentation form ({@code 3 1 1 0A1B...}), one per policy-string
     * element; empty when they could not be obtained (a bogus lookup).
     */
    public static AppliedPolicy tlsa(String tlsaBase, List<String> records) {
        return new AppliedPolicy(PolicyType.TLSA, tlsaBase, records, List.of());
    }

    /**
     * The lines of {@code text}, split at LF or CRLF (a lone CR stays in its line), trailing empty lines
     * dropped. By hand, not {@code String.split("\\r?\\n")}: that compiles a regular expression per
     * call, and this runs for every recorded attempt whose policy is not in {@link AppliedPolicies}.
     */
    static List<String> lines(String text) {
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
            int end = nl > start && text.charAt(nl - 1) == '\r' ? nl - 1 : nl;
            out.add(text.substring(start, end));
            start = nl + 1;
        }
        out.add(text.substring(start));
        int n = out.size();
        while (n > 0 && out.get(n - 1).isEmpty()) {
            n--;
        }
        return out.subList(0, n);
    }

    /** The successful session under this policy (one shared instance). */
    SessionResult success() {
        return success;
    }

    public PolicyType type() {
        return type;
    }

    /** The domain the policy is published for (the recipient domain, A-label form). */
    public String policyDomain() {
        return policyDomain;
    }

    public List<String> policyString() {
        return policyString;
    }

    public List<String> mxHosts() {
        return mxHosts;
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (!(o instanceof AppliedPolicy)) {
            return false;
        }
        AppliedPolicy p = (AppliedPolicy) o;
        return hash == p.hash && type == p.type && policyDomain.equals(p.policyDomain) && sameLines(policyString, p.policyString)
                && sameLines(mxHosts, p.mxHosts);
    }

    /** List equality by index: no iterator allocated (equals runs per recorded session). */
    static boolean sameLines(List<String> a, List<String> b) {
        int n = a.size();
        if (n != b.size()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!a.get(i).equals(b.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return type.label() + " " + policyDomain + " mx=" + mxHosts;
    }
}
