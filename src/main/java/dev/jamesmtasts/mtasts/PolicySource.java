package dev.jamesmtasts.mtasts;

/**
 * Where live MTA-STS data comes from: the TXT record and the HTTPS policy of a domain. The cache
 * layer depends on this interface only; {@link MtaStsResolver} is the real implementation.
 *
 * <p>Implementations never throw for any input or network condition: every outcome is a typed
 * result. Domains passed in are already normalized by {@link Domains#normalize(String)}.
 */
public interface PolicySource {
    /** Looks up {@code _mta-sts.<domain>} TXT. */
    RecordLookupResult lookupRecord(String domain);

    /** Fetches and parses {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}. */
    PolicyFetchResult fetchPolicy(String domain);

    /** Record lookup, then the fetch when a record was found. */
    default LookupResult lookup(String domain) {
        return LookupResult.of(domain, lookupRecord(domain), () -> fetchPolicy(domain));
    }
}
