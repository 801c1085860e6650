package dev.jamesmtasts.tlsrpt;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link AppliedPolicy} of each domain's current policy, kept from one delivery attempt to the
 * next, so that recording an attempt (RFC 8460 §4.4: sessions counted per applied policy) does not
 * split the policy text into lines, copy the mx patterns and hash them all again: per attempt, one map
 * lookup by domain and a comparison with the previous text (the same String object while the policy
 * cache holds the same policy). A changed policy replaces the domain's entry.
 *
 * <p>Bounded: at most {@code maxDomains} entries; when full, it is emptied and fills again (a burst of
 * new domains costs what it would cost without this class, never more memory). Thread-safe, lock-free
 * on reads; never throws for a valid argument.
 */
public final class AppliedPolicies {
    /** Default bound: domains whose policy is kept. */
    public static final int DEFAULT_MAX_DOMAINS = 10_000;

    private static final class Entry {
        final String text;
        final List<String> mx;
        final AppliedPolicy policy;

        Entry(String text, List<String> mx, AppliedPolicy policy) {
            this.text = text;
            this.mx = mx;
            this.policy = policy;
        }

        boolean matches(String t, List<String> m) {
            return (t == text || (t != null && t.equals(text))) && AppliedPolicy.sameLines(m, mx);
        }
    }

    private final int maxDomains;
    private final ConcurrentHashMap<String, Entry> sts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AppliedPolicy> none = new ConcurrentHashMap<>();

    public AppliedPolicies(int maxDomains) {
        if (maxDomains < 1) {
            throw new IllegalArgumentException("maxDomains must be at least 1");
        }
        this.maxDomains = maxDomains;
    }

    /** {@link AppliedPolicy#sts}{@code (domain, policyText, mxPatterns)}, the same instance while they do not change. */
    public AppliedPolicy sts(String domain, String policyText, List<String> mxPatterns) {
        Entry e = sts.get(domain);
        if (e != null && e.matches(policyText, mxPatterns)) {
            return e.policy;
        }
        AppliedPolicy p = AppliedPolicy.sts(domain, policyText, mxPatterns);
        bound(sts);
        sts.put(domain, new Entry(policyText, p.mxHosts(), p));
        return p;
    }

    /** {@link AppliedPolicy#none}{@code (domain)}, one instance per domain. */
    public AppliedPolicy none(String domain) {
        AppliedPolicy p = none.get(domain);
        if (p == null) {
            p = AppliedPolicy.none(domain);
            bound(none);
            none.put(domain, p);
        }
        return p;
    }

    /** Entries held now (both kinds). */
    public int size() {
        return sts.size() + none.size();
    }

    private void bound(ConcurrentHashMap<String, ?> map) {
        if (map.size() >= maxDomains) {
            map.clear();
        }
    }
}
