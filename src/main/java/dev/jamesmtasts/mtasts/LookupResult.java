package dev.jamesmtasts.mtasts;

/**
 * The answer to "what MTA-STS policy does this domain publish right now?", straight from DNS and
 * HTTPS with no cache in between (the cache lives in {@code dev.jamesmtasts.cache}).
 */
public final class LookupResult {
    /** The four outcomes of a live lookup. */
    public enum Kind {
        /** A record and a valid policy. */
        POLICY,
        /** The domain publishes no usable MTA-STS record (no record, several, or an invalid one). */
        NONE,
        /** A record exists but the policy could not be fetched or parsed; see {@link #fetchFailure()}. */
        FETCH_ERROR,
        /** DNS could not answer; nothing can be concluded. */
        TEMPORARY;

        /**
         * The name shown for it ({@code policy}, {@code none}, {@code fetch-error}, {@code temporary}): the
         * {@code result} of {@code mta-sts lookup --json} and of the published policy in {@code mta-sts check}.
         */
        public String label() {
            return this == FETCH_ERROR ? "fetch-error" : name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Kind kind;
    private final String domain;
    private final StsRecord record;
    private final StsPolicy policy;
    private final FetchFailure fetchFailure;
    private final String reason;

    private LookupResult(Kind kind, String domain, StsRecord record, StsPolicy policy, FetchFailure fetchFailure,
                         String reason) {
        this.kind = kind;
        this.domain = domain;
        this.record = record;
        this.policy = policy;
        this.fetchFailure = fetchFailure;
        this.reason = reason;
    }

    public static LookupResult policy(String domain, StsRecord record, StsPolicy policy) {
        return new LookupResult(Kind.POLICY, domain, record, policy, null, "policy id " + record.id());
    }

    public static LookupResult none(String domain, String reason) {
        return new LookupResult(Kind.NONE, domain, null, null, null, reason);
    }

    public static LookupResult fetchError(String domain, StsRecord record, FetchFailure failure, String reason) {
        return new LookupResult(Kind.FETCH_ERROR, domain, record, null, failure, reason);
    }

    public static LookupResult temporary(String domain, String reason) {
        return new LookupResult(Kind.TEMPORARY, domain, null, null, null, reason);
    }

    /**
     * Combines a record lookup and (when a record was found) a fetch, as RFC 8461 §3.3 describes.
     * {@code fetch} is only consulted for a FOUND record.
     */
    public static LookupResult of(String domain, RecordLookupResult rec, java.util.function.Supplier<PolicyFetchResult> fetch) {
        switch (rec.kind()) {
            case FOUND:
                PolicyFetchResult f = fetch.get();
                return f.isSuccess()
                        ? policy(domain, rec.record(), f.policy())
                        : fetchError(domain, rec.record(), f.failure(), f.failure() + ": " + f.detail());
            case TEMPORARY_ERROR:
                return temporary(domain, rec.reason());
            default:
                return none(domain, rec.kind() + ": " + rec.reason());
        }
    }

    public Kind kind() {
        return kind;
    }

    public String domain() {
        return domain;
    }

    /** The TXT record, for POLICY and FETCH_ERROR; else null. */
    public StsRecord record() {
        return record;
    }

    /** The policy, for POLICY; else null. */
    public StsPolicy policy() {
        return policy;
    }

    /** The fetch failure, for FETCH_ERROR; else null. */
    public FetchFailure fetchFailure() {
        return fetchFailure;
    }

    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return domain + " " + kind + ": " + reason;
    }
}
