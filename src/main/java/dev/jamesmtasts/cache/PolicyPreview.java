package dev.jamesmtasts.cache;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

import dev.jamesmtasts.cache.PolicyDecisions.Action;
import dev.jamesmtasts.cache.PolicyDecisions.Caller;
import dev.jamesmtasts.cache.PolicyDecisions.Decision;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.RecordLookupResult;

/**
 * What a delivery's policy lookup would answer, without doing it: the answer {@link PolicyCache#get}
 * gives the next delivery to a domain whose TXT id check is due, from the stored row and a TXT lookup
 * (and, when the rules ask for one, a policy fetch) made by the caller. The rules are
 * {@link PolicyDecisions}' (RFC 8461 §3.3, §5.1, §10.2), asked as a delivery asks them; nothing is
 * written. For {@code mta-sts check} and the WebAdmin check route: "which policy would the next
 * attempt apply, and why".
 *
 * <p>What it leaves out is node-local scheduling, not RFC rules: the near cache's
 * {@code cache.idCheckInterval} (between two checks a node answers its cached policy without a lookup:
 * the same policy, as long as the id did not change) and a node's pause after a failed re-fetch of a
 * still-valid policy (the policy is kept either way).
 */
public final class PolicyPreview {
    private PolicyPreview() {
    }

    /**
     * @param domain  the recipient domain, normalized
     * @param row     the stored row (null: none stored, a first contact)
     * @param lookup  the TXT lookup of {@code _mta-sts.<domain>} just made
     * @param fetch   the policy fetch, called only when the rules ask for one
     * @param now     the time of the lookup
     * @param backoff {@code cache.backoff} (RFC 8461 §3.3), for the wording of a failed first fetch
     */
    public static CacheResult nextDelivery(String domain, StoredPolicy row, RecordLookupResult lookup,
                                           Supplier<PolicyFetchResult> fetch, Instant now, Duration backoff) {
        if (row != null && !row.hasValidPolicy(now) && row.backoffActive(now)) {
            // RFC 8461 §3.3: no fetch during a backoff; a delivery answers the stored one (NearEntry's answer)
            return new NearEntry(row, now.toEpochMilli(), PolicyLookup.NEVER, false, null).backoffAnswer;
        }
        PolicyDecisions decisions = new PolicyDecisions(backoff);
        Decision d = decisions.afterLookup(Caller.DELIVERY, domain, row, null, lookup, now);
        if (d.action == Action.FETCH) {
            d = decisions.afterFetch(Caller.DELIVERY, row, d.recordId, fetch.get(), now);
        }
        return d.answer;
    }
}
