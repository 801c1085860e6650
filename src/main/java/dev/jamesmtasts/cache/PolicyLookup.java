package dev.jamesmtasts.cache;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.cache.PolicyDecisions.Action;
import dev.jamesmtasts.cache.PolicyDecisions.Caller;
import dev.jamesmtasts.cache.PolicyDecisions.Decision;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.RecordLookupResult;

/**
 * What a get does when the near cache cannot answer alone (one {@link SingleFlight} flight per domain,
 * on the delivery thread or in the background): re-read the store row when the near entry is older
 * than {@code nearCacheTtl}, look up the TXT record when a check is due, fetch when the
 * {@link PolicyDecisions} say so, and carry out their decision in the store and the near cache.
 *
 * <p>Store outage ({@link CacheSettings.StoreOutage}): a domain with an entry in memory is answered
 * from it; a domain without one gets ERROR ({@code defer}) or is looked up as on a first contact
 * ({@code live}); a policy fetched while the store cannot be written is kept in memory and in
 * {@link #unsaved}, and written when the store answers again ({@link #writeUnsaved}, and before the
 * entry is re-read from the store, so a policy learnt meanwhile is never lost to an empty row).
 */
final class PolicyLookup {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyLookup.class);
    static final long NEVER = Long.MIN_VALUE;
    private static final long STORE_RETRY_NANOS = 1_000_000_000L;

    private final PolicyStore store;
    private final LivePolicySource source;
    private final PolicyDecisions decisions;
    private final NearCache near;
    private final Clock clock;
    private final CacheMetrics metrics;
    private final long nearTtl;
    private final long idCheckInterval;
    private final long lastUseInterval;
    /** System.nanoTime() before which the store is not asked again after a failure (fast answers in an outage). */
    private volatile long storeRetryAt = System.nanoTime();
    private final CacheSettings.StoreOutage onStoreOutage;
    /** Policies fetched while the store could not be written, by domain; bounded by the near-cache size. */
    private final Map<String, StoredPolicy> unsaved = new ConcurrentHashMap<>();
    private final int maxUnsaved;

    PolicyLookup(PolicyStore store, LivePolicySource source, PolicyDecisions decisions, NearCache near,
                 CacheSettings settings, Clock clock, CacheMetrics metrics) {
        this.store = store;
        this.source = source;
        this.decisions = decisions;
        this.near = near;
        this.clock = clock;
        this.metrics = metrics;
        this.nearTtl = settings.nearCacheTtl().toMillis();
        this.idCheckInterval = settings.idCheckInterval().toMillis();
        this.lastUseInterval = settings.lastUseWriteInterval().toMillis();
        this.onStoreOutage = settings.onStoreOutage();
        this.maxUnsaved = settings.nearCacheSize();
    }

    /** The TXT id of this entry is due for a check on this node (never checked, or idCheckInterval ago). */
    private boolean idCheckDue(NearEntry e, long now) {
        return e.lastIdCheck == NEVER || now - e.lastIdCheck >= idCheckInterval;
    }

    /**
     * What this node may answer from {@code e} without a TXT lookup (and writes the throttled last use
     * of a cached policy or backoff), or null when a lookup is due: a valid policy until its id check
     * (idCheckInterval) or body re-fetch (max_age/2) is due, a backoff until its end (RFC 8461 §3.3: no
     * fetch during it), a "no record" until its id check is due.
     */
    CacheResult answerWithoutLookup(String d, NearEntry e, long now) {
        if (e.hasValidPolicy(now)) {
            if (idCheckDue(e, now) || now >= e.bodyRefreshAt) {
                return null;
            }
            writeLastUse(d, e, now);
            return e.cachedAnswer;
        }
        if (e.backoffActive(now)) {
            writeLastUse(d, e, now);
            return e.backoffAnswer;
        }
        return e.negative && !idCheckDue(e, now) ? e.notFoundAnswer : null;
    }

    /**
     * What a get may answer from {@code e} while the lookup runs in the background (stale-while-revalidate),
     * or null when it must wait for it: a policy before its valid_until (RFC 8461 §5.1, §10.2: it applies
     * whatever the check finds), a backoff before its end (RFC 8461 §3.3), a recent "no record".
     */
    CacheResult answerWhileChecking(NearEntry e, long now) {
        if (e.hasValidPolicy(now)) {
            return e.cachedAnswer;
        }
        if (e.backoffActive(now)) {
            return e.backoffAnswer;
        }
        return e.negative && noRecordStillUsable(e, now) ? e.notFoundAnswer : null;
    }

    /**
     * A "no record" answer may still be given while it is revalidated: for one extra idCheckInterval
     * after its check became due, no longer (a lasting DNS error must become ERROR, not "no policy").
     */
    private boolean noRecordStillUsable(NearEntry e, long now) {
        return e.lastIdCheck != NEVER && now - e.lastIdCheck < 2 * idCheckInterval;
    }

    /** True while the entry may answer without going to the store (read less than nearCacheTtl ago). */
    boolean nearFresh(NearEntry e, long now) {
        return now - e.loadedAt < nearTtl;
    }

    /** Throttled last-use write: at most once per lastUseWriteInterval per domain on this node. */
    void writeLastUse(String d, NearEntry e, long now) {
        if (e.row == null) {
            return;
        }
        long last = e.lastUseWritten;
        if (last == NEVER || now - last >= lastUseInterval) {
            e.lastUseWritten = now;
            try {
                store.writeLastUse(d, Instant.ofEpochMilli(now));
            } catch (RuntimeException ex) {
                LOG.debug("last_use write for {} not sent: {}", d, ex.toString());
            }
        }
    }

    /** Everything that is not a near-cache hit; runs once per domain at a time (single flight). */
    CacheResult lookUp(String d) {
        Instant nowI = clock.instant();
        long now = nowI.toEpochMilli();
        NearEntry e = near.get(d);
        if (e == null || !nearFresh(e, now)) {
            metrics.nearMisses.inc();
            try {
                e = reread(d, now, e);
            } catch (StoreException ex) {
                metrics.storeErrors.inc();
                if (ex.getCause() != null) {
                    // a store that times out must not make every delivery wait storeTimeout: skip it for a second
                    storeRetryAt = System.nanoTime() + STORE_RETRY_NANOS;
                }
                if (e == null) {
                    if (onStoreOutage == CacheSettings.StoreOutage.DEFER) {
                        return CacheResult.error("policy store unavailable and nothing known in memory: " + ex.getMessage());
                    }
                    // live: a first contact as far as this node can tell; check() looks the record up and
                    // fetches, decided by the same rules (a failed TXT lookup is still ERROR, never "no policy")
                    metrics.storeOutageLookups.inc();
                    e = new NearEntry(null, now, NEVER, false, null);
                } else {
                    // the outage itself is logged once by StoreStatus, not once per domain
                    LOG.debug("policy store unavailable, answering {} from memory: {}", d, ex.getMessage());
                    // keep using the entry for another near-cache TTL before asking the store again
                    e = e.reloadedAt(now);
                    near.put(d, e);
                }
            }
        } else {
            metrics.nearHits.inc();
        }
        CacheResult known = answerWithoutLookup(d, e, now);
        if (known != null) {
            return known;
        }
        if (e.hasValidPolicy(now)) {
            writeLastUse(d, e, now); // a use of the cached policy, even while its check is due
        }
        return check(d, e, nowI);
    }

    private NearEntry reread(String d, long now, NearEntry old) {
        if (System.nanoTime() - storeRetryAt < 0) {
            throw new StoreException("store failed less than a second ago", null);
        }
        StoredPolicy row = store.read(d).orElse(null);
        StoredPolicy mine = unsaved.get(d);
        if (mine != null) {
            row = save(d, mine, row);
        }
        NearEntry e = fromStore(row, now, old);
        near.put(d, e);
        return e;
    }

    /**
     * Writes {@code mine}, a policy fetched during a store outage, unless {@code stored} holds a fetch at
     * least as new (another node's); returns the row as it now reads. Throws StoreException (kept unsaved).
     */
    private StoredPolicy save(String d, StoredPolicy mine, StoredPolicy stored) {
        StoredPolicy row = stored;
        if (stored == null || stored.policy() == null || stored.lastUpdate() == null
                || stored.lastUpdate().isBefore(mine.lastUpdate())) {
            row = store.writeFetched(d, mine.recordId(), mine.policy(), mine.lastUpdate(), stored);
        }
        unsaved.remove(d, mine);
        return row;
    }

    /** Policies fetched during a store outage and not written yet. */
    int unsavedCount() {
        return unsaved.size();
    }

    /**
     * Writes the policies learnt during a store outage (each read first: a newer fetch stored by another
     * node wins). Stops at the first store failure; what is left is written at the next try.
     * Returns how many were written or found superseded.
     */
    int writeUnsaved() {
        int n = 0;
        for (Map.Entry<String, StoredPolicy> u : unsaved.entrySet()) {
            try {
                save(u.getKey(), u.getValue(), store.read(u.getKey()).orElse(null));
                n++;
            } catch (StoreException ex) {
                LOG.debug("writing the policy of {} learnt during the store outage failed: {}", u.getKey(), ex.getMessage());
                break;
            }
        }
        return n;
    }

    /** The entry for a freshly read row; this node's bookkeeping survives when the row is the one it knew. */
    private static NearEntry fromStore(StoredPolicy row, long now, NearEntry old) {
        long lastCheck = NEVER;
        long refetchNotBefore = NEVER;
        boolean negative = false;
        String negativeReason = null;
        if (old != null) {
            boolean samePolicy = row != null && old.row != null && row.recordId() != null
                    && row.recordId().equals(old.recordId()) && row.lastUpdate() != null
                    && row.lastUpdate().equals(old.row.lastUpdate());
            if (samePolicy || (row == null && old.row == null && old.negative)) {
                lastCheck = old.lastIdCheck;
                refetchNotBefore = old.refetchNotBefore;
                negative = old.negative;
                negativeReason = old.negativeReason;
            }
        }
        NearEntry e = new NearEntry(row, now, lastCheck, negative, negativeReason);
        e.refetchNotBefore = refetchNotBefore;
        if (old != null && old.lastUseWritten != NEVER && (e.lastUseWritten == NEVER || old.lastUseWritten > e.lastUseWritten)) {
            e.lastUseWritten = old.lastUseWritten;
        }
        return e;
    }

    /** A check is due (or nothing usable is known): TXT lookup, a fetch if the decisions ask, then their decision. */
    private CacheResult check(String d, NearEntry e, Instant nowI) {
        long now = nowI.toEpochMilli();
        RecordLookupResult rec = source.lookupRecord(d);
        if (e.hasValidPolicy(now)) {
            // only a check that keeps a valid policy is remembered: a negative answer whose check failed
            // is checked again by the next get, so a lasting DNS error becomes ERROR, not "no policy"
            e.lastIdCheck = now;
        }
        Instant refetchNotBefore = e.refetchNotBefore == NEVER ? null : Instant.ofEpochMilli(e.refetchNotBefore);
        Decision decision = decisions.afterLookup(Caller.DELIVERY, d, e.row, refetchNotBefore, rec, nowI);
        if (decision.action == Action.FETCH) {
            PolicyFetchResult f = source.fetchPolicy(d);
            decision = decisions.afterFetch(Caller.DELIVERY, e.row, decision.recordId, f, nowI);
        }
        return carryOut(d, e, decision, nowI);
    }

    /** Does what the decision says to the store (a store failure keeps the result in memory) and the near cache. */
    private CacheResult carryOut(String d, NearEntry e, Decision decision, Instant nowI) {
        long now = nowI.toEpochMilli();
        switch (decision.action) {
            case WRITE_FETCHED: {
                StoredPolicy row;
                try {
                    if (!store.status().available()) {
                        // known down: do not make the delivery wait for a write that will fail
                        throw new StoreException("policy store unavailable: " + store.status().reading().reason(), null);
                    }
                    row = store.writeFetched(d, decision.recordId, decision.policy, nowI, e.row);
                } catch (StoreException ex) {
                    metrics.storeErrors.inc();
                    row = StoredPolicy.fetched(d, decision.recordId, decision.policy, nowI, e.row);
                    if (unsaved.size() < maxUnsaved || unsaved.containsKey(d)) {
                        unsaved.put(d, row);
                        LOG.info("policy of {} kept in memory and written to the store once it is back: {}", d, ex.getMessage());
                    } else {
                        LOG.warn("could not store the policy of {} (kept in memory only): {}", d, ex.getMessage());
                    }
                }
                NearEntry n = new NearEntry(row, now, now, false, null);
                n.lastUseWritten = e.lastUseWritten;
                near.put(d, n);
                writeLastUse(d, n, now);
                return decision.answer;
            }
            case WRITE_BACKOFF: {
                try {
                    store.writeBackoff(d, nowI, decision.backoffUntil, decision.backoffReason, e.row);
                } catch (StoreException ex) {
                    metrics.storeErrors.inc();
                    LOG.warn("could not store the backoff of {}: {}", d, ex.getMessage());
                }
                NearEntry b = new NearEntry(StoredPolicy.withBackoff(d, decision.backoffUntil, decision.backoffReason, e.row),
                        now, now, false, null);
                b.lastUseWritten = now;
                near.put(d, b);
                return decision.answer;
            }
            case DELETE:
                try {
                    store.delete(d, nowI, e.row);
                } catch (StoreException ex) {
                    metrics.storeErrors.inc();
                    LOG.warn("could not delete the row of {}: {}", d, ex.getMessage());
                }
                near.put(d, new NearEntry(null, now, now, true, decision.reason));
                return decision.answer;
            default: // KEEP, NOTHING, RECORD_CHECK (a delivery remembers the check in memory: lastIdCheck)
                if (decision.refetchNotBefore != null) {
                    e.refetchNotBefore = decision.refetchNotBefore.toEpochMilli();
                }
                if (decision.noRecord) {
                    near.put(d, new NearEntry(e.row, now, now, true, decision.reason));
                }
                return decision.answer;
        }
    }
}
