package dev.jamesmtasts.cache;

import java.time.Instant;

import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * What this node knows about one domain: the store row as last read (or null: no row), and local
 * bookkeeping (when the TXT id was last confirmed, when last_use was last written). The answers
 * for the hot path are built once here so a near-cache hit allocates nothing.
 */
final class NearEntry {
    final StoredPolicy row;
    /** Millis when the row was read from (or written to) the store. */
    final long loadedAt;
    /** True when DNS said "no record" at {@link #lastIdCheck} (kept only here, never stored). */
    final boolean negative;
    final String negativeReason;
    final long validUntil;
    final long backoffUntil;
    final long bodyRefreshAt;
    final CacheResult cachedAnswer;
    final CacheResult backoffAnswer;
    final CacheResult notFoundAnswer;
    volatile long lastIdCheck;
    volatile long lastUseWritten;
    /**
     * Millis before which a failed re-fetch of the cached policy is not tried again from this node
     * (RFC 8461 §3.3: limit attempts after a failed GET to one per five minutes); kept only here.
     */
    volatile long refetchNotBefore = Long.MIN_VALUE;

    NearEntry(StoredPolicy row, long loadedAt, long lastIdCheck, boolean negative, String negativeReason) {
        this.row = row;
        this.loadedAt = loadedAt;
        this.negative = negative;
        this.negativeReason = negativeReason;
        this.lastIdCheck = lastIdCheck;
        StsPolicy p = row == null ? null : row.policy();
        this.validUntil = p != null && row.validUntil() != null ? row.validUntil().toEpochMilli() : Long.MIN_VALUE;
        this.backoffUntil = row != null && row.backoff() && row.backoffUntil() != null
                ? row.backoffUntil().toEpochMilli() : Long.MIN_VALUE;
        this.bodyRefreshAt = p != null && row.lastUpdate() != null
                ? row.lastUpdate().toEpochMilli() + Math.max(1, p.maxAgeSeconds() / 2) * 1000L : Long.MAX_VALUE;
        this.lastUseWritten = row != null && row.lastUse() != null ? row.lastUse().toEpochMilli() : Long.MIN_VALUE;
        if (p == null) {
            cachedAnswer = null;
        } else if (p.mode() == StsPolicy.Mode.NONE) {
            cachedAnswer = CacheResult.noPolicy("cached policy mode none, id " + row.recordId());
        } else {
            cachedAnswer = CacheResult.policy(p, row.recordId(), false, "cached, id " + row.recordId()
                    + ", valid until " + row.validUntil());
        }
        backoffAnswer = CacheResult.backoff(row == null ? "backoff" : "policy fetch failed recently ("
                + row.backoffReason() + "); retry after " + row.backoffUntil(),
                row == null ? null : PolicyDecisions.backoffFailure(row.backoffReason()));
        notFoundAnswer = CacheResult.notFound(negativeReason == null ? "no MTA-STS record" : negativeReason);
    }

    /** This entry as if just read (used while the store is down); keeps the local bookkeeping. */
    NearEntry reloadedAt(long now) {
        NearEntry e = new NearEntry(row, now, lastIdCheck, negative, negativeReason);
        e.lastUseWritten = lastUseWritten;
        e.refetchNotBefore = refetchNotBefore;
        return e;
    }

    boolean hasValidPolicy(long now) {
        return now < validUntil;
    }

    boolean backoffActive(long now) {
        return now < backoffUntil;
    }

    StsPolicy policy() {
        return row == null ? null : row.policy();
    }

    String recordId() {
        return row == null ? null : row.recordId();
    }

    Instant validUntilInstant() {
        return row == null ? null : row.validUntil();
    }
}
