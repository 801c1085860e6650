package dev.jamesmtasts.cache;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * The RFC 8461 cache rules, written once: given what is known about a domain (its stored row), what
 * DNS said about its {@code _mta-sts} TXT record and, when one was needed, what the HTTPS fetch
 * returned, decide what to store, what to answer and whether to fetch. Pure: no I/O, no clock, no
 * shared state; {@link PolicyCache#get} (synchronous and background revalidation) and the refresher's
 * {@link RefreshStep} both call it and only carry out what it says.
 *
 * <p>Two steps, because the fetch is only made when the first step asks for it:
 * <ol>
 *   <li>{@link #afterLookup}: the TXT lookup is done. Either {@link Action#FETCH}, or a final decision.</li>
 *   <li>{@link #afterFetch}: the fetch is done. Always a final decision.</li>
 * </ol>
 *
 * <p>The table (V = a policy is cached and not past its valid_until, RFC 8461 §3.3, §5.1):
 * <pre>
 * TXT lookup            cached                      decision
 * found, same id        V, body not due (max_age/2) confirmed: answer it fresh (refresher: write last_check)
 * found, same id        V, body due                 fetch (the body can change under an unchanged id) *
 * found, id changed     V                           fetch *
 *                                                   * unless this node's re-fetch limit runs: keep, no fetch
 * found                 nothing valid               fetch
 * temporary DNS error   V                           keep (RFC 8461 §5.1)
 * temporary DNS error   nothing valid               ERROR, never "no policy" for a domain that may enforce
 * none/invalid/multiple V, mode enforce/testing     keep until it expires (RFC 8461 §10.2)
 * none/invalid/multiple V, mode none                delete the row; NOT_FOUND
 * none/invalid/multiple nothing valid               NOT_FOUND (refresher: delete the dead row)
 * fetch ok              any                         write the policy; answer it fresh
 * fetch failed          V                           keep (RFC 8461 §3.3, §5.1); no re-fetch from this node for
 *                                                   {@code backoff}
 * fetch failed          nothing valid               write a backoff until now + {@code backoff}; BACKOFF
 *                                                   (behave as if no policy, RFC 8461 §3.3)
 * </pre>
 * The three {@link Caller}s differ only where each constant says, and on purpose.
 *
 * <p>What comes before the lookup (is a check due at all?) is scheduling, not an RFC decision, and
 * stays with each caller: the near cache's id-check interval for deliveries
 * ({@link PolicyLookup#answerWithoutLookup}), the row's due time for the refresher ({@link RefreshStep}).
 * A running backoff is honoured there too (RFC 8461 §3.3: no fetch during it): a delivery answers the
 * stored backoff, the refresher files the row under the backoff's end; only an admin's forced refresh
 * reaches this table during a backoff, and fetches.
 */
final class PolicyDecisions {

    /** Who asks. */
    enum Caller {
        /**
         * A delivery ({@code get}, or its background revalidation). An id confirmed in DNS is
         * remembered in this node's memory only (no store write on the delivery path). A row with
         * nothing valid left whose record vanished is left for the refresher to delete. Honours the
         * per-node re-fetch limit ({@code refetchNotBefore}).
         */
        DELIVERY,
        /**
         * The refresher visiting a due row. A confirmed id is written ({@code last_check}, which moves the
         * row's due time); a row with nothing valid whose record vanished is deleted.
         */
        REFRESH,
        /** An admin's forced refresh: as {@link #REFRESH}, but fetches even when the id is unchanged. */
        FORCED_REFRESH
    }

    /** What to do to the stored row (and whether to fetch). */
    enum Action {
        /** No row, nothing to store. */
        NOTHING,
        /** The row stays as it is (a refresher files it for a retry {@code staleAfter} later). */
        KEEP,
        /** The id was confirmed in DNS: record the check ({@link Caller#DELIVERY}: in memory only). */
        RECORD_CHECK,
        /** Not decided yet: fetch the policy of {@link Decision#recordId}, then call {@link #afterFetch}. */
        FETCH,
        /** Store {@link Decision#policy} fetched under {@link Decision#recordId}. */
        WRITE_FETCHED,
        /** Remember the failed fetch until {@link Decision#backoffUntil}; a stored policy is untouched. */
        WRITE_BACKOFF,
        /** Delete the row. */
        DELETE
    }

    /** One decision: what to store, what to answer, and the words for both. */
    static final class Decision {
        final Action action;
        /** What {@code get} answers; null only for {@link Action#FETCH}. */
        final CacheResult answer;
        /** Why, in words (the answer's reason, the refresh report's detail). */
        final String reason;
        /** The TXT id to fetch ({@link Action#FETCH}) or that was fetched ({@link Action#WRITE_FETCHED}). */
        final String recordId;
        /** The fetched policy ({@link Action#WRITE_FETCHED}), else null. */
        final StsPolicy policy;
        /** End of the backoff ({@link Action#WRITE_BACKOFF}), else null. */
        final Instant backoffUntil;
        /** The stored reason of the backoff ({@link Action#WRITE_BACKOFF}), else null. */
        final String backoffReason;
        /**
         * When a re-fetch of the still-valid cached policy failed: no new attempt from this node
         * before this instant (RFC 8461 §3.3); null otherwise. Deliveries remember it in the near cache;
         * the refresher has its own pace (the row is retried {@code staleAfter} later).
         */
        final Instant refetchNotBefore;
        /** DNS says the domain publishes no (usable) policy record: a delivery remembers that in memory. */
        final boolean noRecord;

        private Decision(Action action, CacheResult answer, String reason, String recordId, StsPolicy policy,
                         Instant backoffUntil, String backoffReason, Instant refetchNotBefore, boolean noRecord) {
            this.action = action;
            this.answer = answer;
            this.reason = reason;
            this.recordId = recordId;
            this.policy = policy;
            this.backoffUntil = backoffUntil;
            this.backoffReason = backoffReason;
            this.refetchNotBefore = refetchNotBefore;
            this.noRecord = noRecord;
        }

        static Decision of(Action action, CacheResult answer) {
            return new Decision(action, answer, answer.reason(), null, null, null, null, null, false);
        }

        @Override
        public String toString() {
            return action + " -> " + answer;
        }
    }

    private final Duration backoff;

    /** @param backoff how long a failed fetch is not retried (RFC 8461 §3.3 suggests 5 minutes) */
    PolicyDecisions(Duration backoff) {
        this.backoff = backoff;
    }

    PolicyDecisions(CacheSettings settings) {
        this(settings.backoff());
    }

    /**
     * Step 1, the TXT lookup of {@code domain} is done.
     *
     * @param row              the stored row as known (null: none)
     * @param refetchNotBefore this node's limit on re-fetching the cached policy after a failure, or null
     */
    Decision afterLookup(Caller caller, String domain, StoredPolicy row, Instant refetchNotBefore,
                         RecordLookupResult lookup, Instant now) {
        boolean valid = row != null && row.hasValidPolicy(now);
        switch (lookup.kind()) {
            case FOUND: {
                String id = lookup.record().id();
                boolean sameId = valid && id.equals(row.recordId());
                if (sameId && !bodyDue(row, now) && caller != Caller.FORCED_REFRESH) {
                    return Decision.of(Action.RECORD_CHECK, answer(row.policy(), id, true, "id " + id + " confirmed in DNS"));
                }
                if (valid && refetchNotBefore != null && now.isBefore(refetchNotBefore)) {
                    // RFC 8461 §3.3: after a failed GET, limit further attempts to one per five minutes
                    // (without this, every id check - once a minute per node - hit the failing host)
                    return keepCachedPolicy(row, refetchWhat(row, id) + " failed recently, next attempt after " + refetchNotBefore);
                }
                return new Decision(Action.FETCH, null, refetchWhat(row, id), id, null, null, null, null, false);
            }
            case TEMPORARY_ERROR:
                if (valid) {
                    return keepCachedPolicy(row, "TXT lookup failed (" + lookup.reason() + ")");
                }
                return Decision.of(row != null ? Action.KEEP : Action.NOTHING, CacheResult.error(
                        "temporary DNS error for _mta-sts." + domain + " and no valid policy cached: " + lookup.reason()));
            default: // NO_RECORD, MULTIPLE_RECORDS, INVALID_RECORD: the domain publishes no usable record
                if (valid && row.policy().mode() != StsPolicy.Mode.NONE) {
                    // RFC 8461 §10.2: a vanished record must not strip a cached policy before it expires
                    return keepCachedPolicy(row, "TXT record gone (" + lookup + ")");
                }
                if (valid) {
                    return noRecord(Action.DELETE, "cached policy none and the TXT record is gone (" + lookup + "): deleted");
                }
                String why = lookup.kind().name().toLowerCase(Locale.ROOT) + ": " + lookup.reason();
                if (row == null) {
                    return noRecord(Action.NOTHING, why);
                }
                // nothing valid is left in the row: the refresher deletes it; a delivery leaves that to the refresher
                return caller == Caller.DELIVERY ? noRecord(Action.KEEP, why)
                        : noRecord(Action.DELETE, why + "; nothing valid cached: deleted");
        }
    }

    /**
     * Step 2, after {@link Action#FETCH}: {@code fetch} is the result of fetching the policy of
     * {@code recordId} (the id step 1 returned).
     */
    Decision afterFetch(Caller caller, StoredPolicy row, String recordId, PolicyFetchResult fetch, Instant now) {
        if (fetch.isSuccess()) {
            String what = row == null || row.recordId() == null ? "fetched, id " + recordId
                    : recordId.equals(row.recordId()) ? "body re-fetched, id " + recordId
                    : "fetched, id " + row.recordId() + " -> " + recordId;
            return new Decision(Action.WRITE_FETCHED, answer(fetch.policy(), recordId, true, what), what, recordId,
                    fetch.policy(), null, null, null, false);
        }
        if (row != null && row.hasValidPolicy(now)) {
            // RFC 8461 §3.3, §5.1: a failed re-fetch never removes or downgrades the cached policy
            Decision kept = keepCachedPolicy(row, refetchWhat(row, recordId) + " failed (" + fetch + ")");
            // the answer says how the re-fetch failed: TLS-RPT reports it (RFC 8460 §4.3.2.2)
            return new Decision(Action.KEEP, kept.answer.withFetchFailure(fetch.failure()), kept.reason, null, null,
                    null, null, now.plus(backoff), false);
        }
        // RFC 8461 §3.3: behave as if there were no policy, and do not fetch again for a while
        Instant until = now.plus(backoff);
        String stored = backoffReason(recordId, fetch);
        CacheResult answer = CacheResult.backoff("policy fetch failed (" + stored + "); no policy applied, retry after "
                + until, fetch.failure());
        return new Decision(Action.WRITE_BACKOFF, answer, answer.reason(), recordId, null, until, stored, null, false);
    }

    /**
     * The stored reason of a backoff ({@code backoff_reason}): {@code id ID: FAILURE: detail}. The failure
     * kind is written by name so that every node reading the row knows it ({@link #backoffFailure}).
     */
    static String backoffReason(String recordId, PolicyFetchResult fetch) {
        return "id " + recordId + ": " + fetch.failure() + ": " + fetch.detail();
    }

    /**
     * The failure kind of a stored backoff reason written by {@link #backoffReason}, or null (an older
     * row, or text of another form).
     */
    static FetchFailure backoffFailure(String storedReason) {
        if (storedReason == null || !storedReason.startsWith("id ")) {
            return null;
        }
        int start = storedReason.indexOf(": ");
        int end = start < 0 ? -1 : storedReason.indexOf(':', start + 2);
        if (end < 0) {
            return null;
        }
        String name = storedReason.substring(start + 2, end);
        for (FetchFailure f : FetchFailure.values()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** RFC 8461 §3.3: the body is re-fetched max_age/2 after the last fetch even with an unchanged id. */
    static boolean bodyDue(StoredPolicy row, Instant now) {
        return !now.isBefore(row.lastUpdate().plusSeconds(Math.max(1, row.policy().maxAgeSeconds() / 2)));
    }

    private static String refetchWhat(StoredPolicy row, String id) {
        if (row == null || row.policy() == null || row.recordId() == null) {
            return "fetch of id " + id;
        }
        return id.equals(row.recordId()) ? "body re-fetch" : "id changed to " + id + ", re-fetch";
    }

    /** The cached (valid) policy stays and is answered, not fresh. */
    private static Decision keepCachedPolicy(StoredPolicy row, String why) {
        return Decision.of(Action.KEEP, answer(row.policy(), row.recordId(), false,
                why + "; keeping the cached policy until " + row.validUntil()));
    }

    private static Decision noRecord(Action action, String why) {
        return new Decision(action, CacheResult.notFound(why), why, null, null, null, null, null, true);
    }

    /** A policy as {@code get} answers it: mode none is "no policy" (RFC 8461 §5). */
    static CacheResult answer(StsPolicy p, String id, boolean fresh, String reason) {
        return p.mode() == StsPolicy.Mode.NONE ? CacheResult.noPolicy("policy mode none, " + reason)
                : CacheResult.policy(p, id, fresh, reason);
    }
}
