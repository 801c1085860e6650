package dev.jamesmtasts.cache;

import java.util.Objects;

import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * The answer of {@link PolicyProvider#get(String)}.
 *
 * <ul>
 *   <li>{@link Outcome#OK}: {@link #policy()} is the policy to apply, or null when the domain has no
 *       MTA-STS policy (deliver as without MTA-STS).</li>
 *   <li>{@link Outcome#BACKOFF}: a recent fetch failed and nothing valid is cached (RFC 8461 §3.3:
 *       behave as if there were no policy, retry the fetch after the backoff). Policy is null.</li>
 *   <li>{@link Outcome#NOT_FOUND}: the domain publishes no policy. Policy is null.</li>
 *   <li>{@link Outcome#ERROR}: nothing is known (temporary DNS failure with nothing cached, store
 *       outage with nothing in memory). Policy is null; the caller decides (the mailet defers by
 *       default).</li>
 * </ul>
 * A cached non-{@code none} policy is always returned as OK with that policy, whatever failed
 * around it (RFC 8461 §5.1, §10.2).
 *
 * <p>{@link #fetchFailure()} says how the HTTPS policy fetch failed when one did (a BACKOFF, or an OK
 * answer keeping the cached policy after a failed re-fetch): TLS-RPT reports it (RFC 8460 §4.3.2.2).
 */
public final class CacheResult {
    /** The result classes; their lower-case names are the metric labels (as in mox). */
    public enum Outcome { OK, BACKOFF, NOT_FOUND, ERROR }

    /**
     * Which bound on a get's work, if any, made it answer ERROR without a lookup result: the flight
     * time-out ({@code flightTimeout}: the lookup goes on in the background and fills the cache for the
     * next attempt) or the cap on concurrent first lookups ({@code cache.maxConcurrentLookups}: the
     * lookup was not started). Both are temporary: the mailet defers the mail.
     */
    public enum Bound { NONE, FLIGHT_TIMEOUT, LOOKUP_CAP }

    private final Outcome outcome;
    private final StsPolicy policy;
    private final String recordId;
    private final boolean fresh;
    private final String reason;
    private final Bound bound;
    private final FetchFailure fetchFailure;

    private CacheResult(Outcome outcome, StsPolicy policy, String recordId, boolean fresh, String reason) {
        this(outcome, policy, recordId, fresh, reason, Bound.NONE, null);
    }

    private CacheResult(Outcome outcome, StsPolicy policy, String recordId, boolean fresh, String reason, Bound bound,
                        FetchFailure fetchFailure) {
        this.bound = bound;
        this.fetchFailure = fetchFailure;
        this.outcome = outcome;
        this.policy = policy;
        this.recordId = recordId;
        this.fresh = fresh;
        this.reason = reason;
    }

    /** A policy to apply; {@code fresh} when its id was confirmed in DNS during this call. */
    public static CacheResult policy(StsPolicy policy, String recordId, boolean fresh, String reason) {
        return new CacheResult(Outcome.OK, Objects.requireNonNull(policy), recordId, fresh, reason);
    }

    /** The domain has no policy (OK with no policy, e.g. a cached {@code none}). */
    public static CacheResult noPolicy(String reason) {
        return new CacheResult(Outcome.OK, null, null, true, reason);
    }

    public static CacheResult notFound(String reason) {
        return new CacheResult(Outcome.NOT_FOUND, null, null, true, reason);
    }

    public static CacheResult backoff(String reason) {
        return new CacheResult(Outcome.BACKOFF, null, null, false, reason);
    }

    /** BACKOFF after a policy fetch that failed as {@code failure} (null: not known). */
    public static CacheResult backoff(String reason, FetchFailure failure) {
        return new CacheResult(Outcome.BACKOFF, null, null, false, reason, Bound.NONE, failure);
    }

    /**
     * This answer, noting that a re-fetch failed as {@code failure} while it was kept (RFC 8461 §3.3,
     * §5.1: a failed re-fetch never removes the cached policy).
     */
    public CacheResult withFetchFailure(FetchFailure failure) {
        return new CacheResult(outcome, policy, recordId, fresh, reason, bound, failure);
    }

    public static CacheResult error(String reason) {
        return new CacheResult(Outcome.ERROR, null, null, false, reason);
    }

    /** ERROR because the lookup did not finish within the flight time-out (it goes on in the background). */
    public static CacheResult timedOut(String reason) {
        return new CacheResult(Outcome.ERROR, null, null, false, reason, Bound.FLIGHT_TIMEOUT, null);
    }

    /** ERROR because too many first lookups are running: this one was not started ("busy"). */
    public static CacheResult busy(String reason) {
        return new CacheResult(Outcome.ERROR, null, null, false, reason, Bound.LOOKUP_CAP, null);
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The policy to apply, or null when none applies. */
    public StsPolicy policy() {
        return policy;
    }

    /** The TXT record id the policy was fetched under, or null. */
    public String recordId() {
        return recordId;
    }

    /** True when the answer was confirmed against DNS during this call (or just fetched). */
    public boolean fresh() {
        return fresh;
    }

    /** The bound that cut this get short ({@link Bound#NONE} for every answer that is a lookup's result). */
    public Bound bound() {
        return bound;
    }

    /**
     * How the HTTPS policy fetch behind this answer failed (RFC 8461 §3.3), or null when none failed: set
     * on a BACKOFF and on an answer that keeps the cached policy after a failed re-fetch.
     */
    public FetchFailure fetchFailure() {
        return fetchFailure;
    }

    /** Why, in words, for logs. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return outcome + (policy != null ? " " + policy : "") + " (" + reason + ")";
    }
}
