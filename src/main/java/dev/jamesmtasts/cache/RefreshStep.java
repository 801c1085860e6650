package dev.jamesmtasts.cache;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

import dev.jamesmtasts.cache.PolicyDecisions.Action;
import dev.jamesmtasts.cache.PolicyDecisions.Caller;
import dev.jamesmtasts.cache.PolicyDecisions.Decision;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.RecordLookupResult;

/**
 * The refresher's work on one stored row (also an admin's forced refresh of one domain): housekeeping
 * first (delete a row unused for {@code deleteUnusedAfter} or whose backoff is over, skip a row not
 * due yet), then the TXT lookup and, when the {@link PolicyDecisions} ask, the fetch; then their
 * decision is carried out in the store, the due index and this node's near cache.
 */
final class RefreshStep {
    private static final long NOT_INDEXED = Long.MIN_VALUE;

    private final PolicyStore store;
    private final DueIndexTable dueIndex;
    private final LivePolicySource source;
    private final PolicyDecisions decisions;
    private final NearCache near;
    private final CacheSettings settings;
    private final Clock clock;
    private final CacheMetrics metrics;

    RefreshStep(PolicyStore store, LivePolicySource source, PolicyDecisions decisions, NearCache near,
                CacheSettings settings, Clock clock, CacheMetrics metrics) {
        this.store = store;
        this.dueIndex = store.dueIndex();
        this.source = source;
        this.decisions = decisions;
        this.near = near;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
    }

    PolicyStore store() {
        return store;
    }

    CacheSettings settings() {
        return settings;
    }

    Clock clock() {
        return clock;
    }

    /**
     * Refreshes one stored row ({@code row} as just read, null when gone). {@code forced}: re-fetch now
     * whatever the due time. {@code cancelled} is checked before any write (a node that lost its lease
     * or is shutting down must not write).
     */
    RefreshReport refresh(String d, StoredPolicy row, boolean forced, BooleanSupplier cancelled) {
        Instant now = clock.instant();
        if (!forced) {
            RefreshReport housekeeping = housekeeping(d, row, now, cancelled);
            if (housekeeping != null) {
                return housekeeping;
            }
        }
        Caller caller = forced ? Caller.FORCED_REFRESH : Caller.REFRESH;
        RecordLookupResult rec = source.lookupRecord(d);
        if (cancelled.getAsBoolean()) {
            return report(d, RefreshReport.Effect.SKIPPED, "cancelled", NOT_INDEXED);
        }
        Decision decision = decisions.afterLookup(caller, d, row, null, rec, now);
        if (decision.action == Action.FETCH) {
            PolicyFetchResult f = source.fetchPolicy(d);
            if (cancelled.getAsBoolean()) {
                return report(d, RefreshReport.Effect.SKIPPED, "cancelled", NOT_INDEXED);
            }
            decision = decisions.afterFetch(caller, row, decision.recordId, f, now);
        }
        return carryOut(d, row, decision, now, cancelled);
    }

    /** Before any lookup: a report when the row needs none (gone, unused, backoff over or running, not due), else null. */
    private RefreshReport housekeeping(String d, StoredPolicy row, Instant now, BooleanSupplier cancelled) {
        if (row == null) {
            return report(d, RefreshReport.Effect.SKIPPED, "row gone", NOT_INDEXED);
        }
        Instant lastUse = firstNonNull(row.lastUse(), row.lastUpdate(), row.inserted(), row.backoffUntil());
        if (lastUse == null || lastUse.plus(settings.deleteUnusedAfter()).isBefore(now)) {
            return delete(d, row, now, "unused since " + lastUse, cancelled);
        }
        if (row.policy() == null) {
            if (!row.backoffActive(now)) {
                return delete(d, row, now, "failed fetch remembered until " + row.backoffUntil() + ", backoff over", cancelled);
            }
            return notDue(row, now);
        }
        if (row.due(settings.staleAfter()).isAfter(now)) {
            return notDue(row, now);
        }
        return null;
    }

    private RefreshReport carryOut(String d, StoredPolicy row, Decision decision, Instant now, BooleanSupplier cancelled) {
        Duration stale = settings.staleAfter();
        switch (decision.action) {
            case RECORD_CHECK:
                store.writeChecked(row, now);
                return report(d, RefreshReport.Effect.UNCHANGED, decision.reason, dueIndex.bucketOf(row.withCheck(now).due(stale)));
            case WRITE_FETCHED: {
                StoredPolicy n = store.writeFetched(d, decision.recordId, decision.policy, now, row);
                near.put(d, new NearEntry(n, now.toEpochMilli(), now.toEpochMilli(), false, null));
                return report(d, RefreshReport.Effect.UPDATED, decision.reason, dueIndex.bucketOf(n.due(stale)));
            }
            case WRITE_BACKOFF:
                store.writeBackoff(d, now, decision.backoffUntil, decision.backoffReason, row);
                near.remove(d);
                // a backoff-only row is filed under the end of its backoff; a stored (expired) policy keeps its entry
                return report(d, RefreshReport.Effect.FAILED, decision.reason,
                        row == null || row.policy() == null ? dueIndex.bucketOf(decision.backoffUntil) : NOT_INDEXED);
            case DELETE:
                return delete(d, row, now, decision.reason, cancelled);
            case KEEP:
                return keepAndRetryLater(row, now, decision.reason);
            default: // NOTHING: no row, nothing known
                return report(d, RefreshReport.Effect.SKIPPED, decision.reason, NOT_INDEXED);
        }
    }

    /**
     * The stored row stays; it is filed to be retried staleAfter from now (so the next round retries
     * it, and this round does not meet it again in a later index bucket).
     */
    private RefreshReport keepAndRetryLater(StoredPolicy row, Instant now, String why) {
        Instant retry = now.plus(settings.staleAfter());
        dueIndex.index(row, retry);
        return report(row.domain(), RefreshReport.Effect.KEPT, why, dueIndex.bucketOf(max(row.due(settings.staleAfter()), retry)));
    }

    private RefreshReport notDue(StoredPolicy row, Instant now) {
        dueIndex.index(row, now);
        return report(row.domain(), RefreshReport.Effect.NOT_DUE, "due " + row.due(settings.staleAfter()),
                dueIndex.bucketOf(max(row.due(settings.staleAfter()), now)));
    }

    private RefreshReport delete(String d, StoredPolicy row, Instant now, String why, BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            return report(d, RefreshReport.Effect.SKIPPED, "cancelled", NOT_INDEXED);
        }
        store.delete(d, now, row);
        near.remove(d);
        return report(d, RefreshReport.Effect.DELETED, why, NOT_INDEXED);
    }

    private RefreshReport report(String d, RefreshReport.Effect outcome, String detail, long indexedBucket) {
        return metrics.refreshed(new RefreshReport(d, outcome, detail, indexedBucket));
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
