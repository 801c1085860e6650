package dev.jamesmtasts.cache;

import java.time.Duration;
import java.time.Instant;

import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * One row of the policy table, as stored in Cassandra (what {@code show(domain)} prints).
 *
 * <p>A row holds the last successful fetch (record id + policy, {@code last_update} = the fetch
 * time, {@code valid_until} = fetch time + max_age, RFC 8461 §3.3) and, independently, the backoff
 * state of a failed fetch (RFC 8461 §3.3: retry no sooner than 5 minutes). A row may have a backoff
 * and no policy (a failed first fetch), or both (a valid policy always wins over the backoff).
 */
public final class StoredPolicy {
    private final String domain;
    private final String recordId;
    private final StsPolicy policy;
    private final Instant inserted;
    private final Instant validUntil;
    private final Instant lastUpdate;
    private final Instant lastCheck;
    private final Instant lastUse;
    private final boolean backoff;
    private final Instant backoffUntil;
    private final String backoffReason;

    StoredPolicy(String domain, String recordId, StsPolicy policy, Instant inserted, Instant validUntil,
                 Instant lastUpdate, Instant lastCheck, Instant lastUse, boolean backoff, Instant backoffUntil,
                 String backoffReason) {
        this.domain = domain;
        this.recordId = recordId;
        this.policy = policy;
        this.inserted = inserted;
        this.validUntil = validUntil;
        this.lastUpdate = lastUpdate;
        this.lastCheck = lastCheck;
        this.lastUse = lastUse;
        this.backoff = backoff;
        this.backoffUntil = backoffUntil;
        this.backoffReason = backoffReason;
    }

    /** The row a successful fetch at {@code fetchedAt} produces from {@code previous} (null: none). */
    static StoredPolicy fetched(String domain, String recordId, StsPolicy policy, Instant fetchedAt, StoredPolicy previous) {
        return new StoredPolicy(domain, recordId, policy,
                previous != null && previous.inserted() != null ? previous.inserted() : fetchedAt,
                fetchedAt.plusSeconds(policy.maxAgeSeconds()), fetchedAt, fetchedAt,
                previous != null ? previous.lastUse() : null, false, null, null);
    }

    /** {@code previous} (possibly null) with a backoff until {@code until}; its policy, if any, untouched. */
    static StoredPolicy withBackoff(String domain, Instant until, String reason, StoredPolicy previous) {
        if (previous == null) {
            return new StoredPolicy(domain, null, null, null, null, null, null, null, true, until, reason);
        }
        return new StoredPolicy(domain, previous.recordId(), previous.policy(), previous.inserted(),
                previous.validUntil(), previous.lastUpdate(), previous.lastCheck(), previous.lastUse(), true, until, reason);
    }

    /** This row with its TXT id confirmed at {@code at}. */
    StoredPolicy withCheck(Instant at) {
        return new StoredPolicy(domain, recordId, policy, inserted, validUntil, lastUpdate, at, lastUse, backoff,
                backoffUntil, backoffReason);
    }

    public String domain() { return domain; }
    /** The TXT id the policy was fetched under, or null when no fetch ever succeeded. */
    public String recordId() { return recordId; }
    /** The last successfully fetched policy, or null (backoff-only row). */
    public StsPolicy policy() { return policy; }
    public Instant inserted() { return inserted; }
    /** Last successful fetch + max_age (RFC 8461 §3.3); null without a policy. */
    public Instant validUntil() { return validUntil; }
    /** Time of the last successful fetch. */
    public Instant lastUpdate() { return lastUpdate; }
    /** Time the refresher last confirmed the TXT id (or the last fetch, whichever is later). */
    public Instant lastCheck() { return lastCheck; }
    /** Last delivery use seen by any node (written at most once per lastUseWriteInterval per node). */
    public Instant lastUse() { return lastUse; }
    public boolean backoff() { return backoff; }
    public Instant backoffUntil() { return backoffUntil; }
    public String backoffReason() { return backoffReason; }

    /** True when a policy is stored and has not expired at {@code now}. */
    public boolean hasValidPolicy(Instant now) {
        return policy != null && validUntil != null && validUntil.isAfter(now);
    }

    /** True when a failed fetch is remembered and its backoff has not run out at {@code now}. */
    public boolean backoffActive(Instant now) {
        return backoff && backoffUntil != null && backoffUntil.isAfter(now);
    }

    /**
     * When the refresher should look at this row next: the id is re-checked {@code staleAfter} after
     * the last check, and the body re-fetched max_age/2 after the last fetch (owners change bodies
     * without changing ids); a backoff-only row when its backoff runs out.
     */
    public Instant due(Duration staleAfter) {
        if (policy == null) {
            return backoffUntil != null ? backoffUntil : (lastUse != null ? lastUse : Instant.EPOCH);
        }
        Instant checked = lastCheck != null && lastCheck.isAfter(lastUpdate) ? lastCheck : lastUpdate;
        Instant byCheck = checked.plus(staleAfter);
        Instant byBody = lastUpdate.plusSeconds(Math.max(1, policy.maxAgeSeconds() / 2));
        return byCheck.isBefore(byBody) ? byCheck : byBody;
    }

    @Override
    public String toString() {
        return "StoredPolicy{" + domain + ", id=" + recordId + ", policy=" + policy + ", validUntil=" + validUntil
                + ", lastUpdate=" + lastUpdate + ", lastCheck=" + lastCheck + ", lastUse=" + lastUse
                + ", backoff=" + backoff + (backoff ? " until " + backoffUntil + " (" + backoffReason + ")" : "") + "}";
    }
}
