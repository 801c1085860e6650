package dev.jamesmtasts.cache;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.PolicySource;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * The MTA-STS policy cache shared by every James node: a bounded in-process near cache in front of
 * the Cassandra {@link PolicyStore}, in front of the live {@link PolicySource} (DNS + HTTPS).
 *
 * <p>Semantics of {@link #get} (RFC 8461 §3.1 note, §3.3, §5.1, §10.2):
 * <ul>
 *   <li>The TXT id is re-checked on use, at most once per {@code idCheckInterval} per node; a changed
 *       id triggers a re-fetch; a failed re-fetch keeps the cached policy, and this node does not try
 *       that re-fetch again before {@code backoff} (5 min) has passed (RFC 8461 §3.3).</li>
 *   <li>A cached non-{@code none} policy is applied until its valid_until (last successful fetch +
 *       max_age) whatever fails around it: DNS errors, fetch errors, a vanished TXT record, a store
 *       outage (answered from memory).</li>
 *   <li>A fetch failure with nothing valid cached: BACKOFF (behave as no policy), remembered in the
 *       store for {@code backoff} (5 min) so deliveries do not re-fetch; no fetch during the backoff.</li>
 *   <li>A cached {@code none} policy whose TXT record vanished is deleted.</li>
 *   <li>A temporary DNS error with nothing cached, or a store outage with nothing in memory: ERROR,
 *       never "no policy" for a domain that may be enforced.</li>
 *   <li>The body is re-fetched at least every max_age/2 even with an unchanged id.</li>
 *   <li>Concurrent gets of one domain that need DNS/HTTPS or the store share one flight: one TXT
 *       lookup, one fetch.</li>
 * </ul>
 *
 * <p><b>Stale-while-revalidate</b> (when {@code idCheckInterval} &gt; 0). A get never waits for DNS,
 * HTTPS or Cassandra when the near cache already holds a still-valid answer and the only reasons to
 * go further are that the TXT id check is due, the body is due for its max_age/2 re-fetch, or the
 * entry is older than {@code nearCacheTtl}. Such a get returns the cached answer at once
 * ({@code fresh=false}) and starts one background revalidation of the domain, which does exactly what
 * a synchronous get would have done (store re-read, id check, re-fetch on a changed id, the 5-minute
 * re-fetch limit, deletion of a {@code none} policy whose record vanished, last_use write) and leaves
 * its result in the near cache and the store for the following gets. "Still valid" means:
 * <ul>
 *   <li>a policy (any mode) before its valid_until (RFC 8461 §5.1, §10.2: a cached policy applies
 *       until it expires whatever the check finds, so applying it during the check changes no
 *       verdict the check could not also have returned);</li>
 *   <li>a stored backoff before its end (RFC 8461 §3.3: no re-fetch during it anyway);</li>
 *   <li>a "no record" answer for at most one extra {@code idCheckInterval} after its check became due;
 *       past that (e.g. the revalidations keep failing on a DNS error) the get checks synchronously, so
 *       a lasting DNS error still gives ERROR, never an indefinitely extended "no policy".</li>
 * </ul>
 * Everything else stays synchronous: the first get of a domain on this node (including one whose
 * stored policy is then read from Cassandra and id-checked), an expired policy, an ended backoff, and
 * every get when {@code idCheckInterval} is 0. Revalidations run on a small executor owned by the
 * cache ({@value #REVALIDATION_THREADS} threads, {@value #REVALIDATION_QUEUE} queued, shut down by
 * {@link #close()}); they share the single-flight map with synchronous gets, so a domain never has more
 * than one lookup in flight, and a synchronous get that arrives meanwhile waits for that flight. A
 * revalidation that throws is logged and counted ({@code mtasts.cache.revalidate.failed}), never
 * thrown to a caller; one the full executor refuses is counted ({@code mtasts.cache.revalidate.rejected})
 * and tried again by the next get. A revalidation can only replace the cached entry the way a
 * synchronous get would, so it never downgrades or drops a valid cached policy.
 * Differences from mox's single-node mtastsdb (the seed): a failed first fetch is a separate backoff
 * state that can never overwrite a stored policy written by another node; writes converge on the
 * newest fetch across nodes; last-use writes are throttled instead of one write per delivery; the
 * body is re-fetched every max_age/2 with an unchanged id; a vanished TXT record with a cached
 * {@code none} policy deletes the row.
 */
public final class PolicyCache implements PolicyProvider, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyCache.class);
    private static final long NEVER = Long.MIN_VALUE;
    private static final long STORE_RETRY_NANOS = 1_000_000_000L;
    /** Threads of the background revalidation executor (they wait on DNS/HTTPS/Cassandra, not on the CPU). */
    static final int REVALIDATION_THREADS = 4;
    /** Revalidations queued beyond the running ones; more are dropped (and retried by the next get). */
    static final int REVALIDATION_QUEUE = 4096;
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    private final PolicyStore store;
    private final PolicySource source;
    private final CacheSettings settings;
    private final Clock clock;
    private final CacheMetrics metrics;
    private final String nodeId;
    private final NearCache near;
    private final ConcurrentHashMap<String, CompletableFuture<CacheResult>> flights = new ConcurrentHashMap<>();
    private final long nearTtl;
    private final long idCheckInterval;
    private final long lastUseInterval;
    private final Object refresherLock = new Object();
    /** System.nanoTime() before which the store is not asked again after a failure (fast answers in an outage). */
    private volatile long storeRetryAt = System.nanoTime();
    private PolicyRefresher adminRefresher;
    private volatile boolean closed;
    /** Stale-while-revalidate is on unless idCheckInterval is 0 (then every get checks synchronously). */
    private final boolean revalidateInBackground;
    /** Null when {@link #revalidateInBackground} is off. */
    private final ThreadPoolExecutor revalidator;
    /** Test hook: told of each finished background revalidation (after its flight is removed). */
    private volatile BiConsumer<String, CacheResult> revalidationListener;

    /**
     * @param nodeId this node's name in refresh leases (any unique string; null for a random one)
     */
    public PolicyCache(PolicyStore store, PolicySource source, CacheSettings settings, Clock clock,
                       MetricRegistry registry, String nodeId) {
        this.store = store;
        this.source = source;
        this.settings = settings;
        this.clock = clock;
        this.metrics = new CacheMetrics(registry);
        this.nodeId = nodeId != null ? nodeId : "node-" + UUID.randomUUID();
        this.near = new NearCache(settings.nearCacheSize());
        this.nearTtl = settings.nearCacheTtl().toMillis();
        this.idCheckInterval = settings.idCheckInterval().toMillis();
        this.lastUseInterval = settings.lastUseWriteInterval().toMillis();
        this.revalidateInBackground = idCheckInterval > 0;
        this.revalidator = revalidateInBackground ? newRevalidator(this.nodeId) : null;
        registry.gauge("mtasts.cache.near.size", () -> near::size);
    }

    private static ThreadPoolExecutor newRevalidator(String nodeId) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor ex = new ThreadPoolExecutor(REVALIDATION_THREADS, REVALIDATION_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(REVALIDATION_QUEUE), r -> {
                    Thread t = new Thread(r, "mtasts-revalidate-" + nodeId + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        ex.allowCoreThreadTimeOut(true); // no idle threads between id-check rounds
        return ex;
    }

    /** Creates the schema if needed, then the cache. The session stays owned by the caller. */
    public static PolicyCache create(CqlSession session, PolicySource source, CacheSettings settings, Clock clock,
                                     MetricRegistry registry, String nodeId) {
        return new PolicyCache(PolicyStore.create(session, settings, clock), source, settings, clock, registry, nodeId);
    }

    public String nodeId() {
        return nodeId;
    }

    public CacheSettings settings() {
        return settings;
    }

    PolicyStore store() {
        return store;
    }

    Clock clock() {
        return clock;
    }

    CacheMetrics metrics() {
        return metrics;
    }

    // ------------------------------------------------------------------ get

    @Override
    public CacheResult get(String domain) {
        String d;
        try {
            d = normalize(domain);
        } catch (IllegalArgumentException e) {
            return metrics.got(CacheResult.error("invalid domain: " + e.getMessage()));
        }
        long now = clock.millis();
        NearEntry e = near.get(d);
        if (e != null) {
            boolean nearFresh = now - e.loadedAt < nearTtl;
            if (e.hasValidPolicy(now)) {
                if (nearFresh && !idCheckDue(e, now) && now < e.bodyRefreshAt) {
                    metrics.nearHits.inc();
                    touch(d, e, now);
                    return metrics.got(e.cachedAnswer);
                }
                if (revalidateInBackground) {
                    // RFC 8461 §5.1, §10.2: the cached policy stays valid until valid_until whatever the
                    // id check finds, so it is applied now and checked off the delivery thread
                    return metrics.got(stale(d, e.cachedAnswer));
                }
            } else if (e.backoffActive(now)) {
                if (nearFresh) {
                    metrics.nearHits.inc();
                    touch(d, e, now);
                    return metrics.got(e.backoffAnswer);
                }
                if (revalidateInBackground) {
                    return metrics.got(stale(d, e.backoffAnswer)); // RFC 8461 §3.3: no re-fetch before backoff end
                }
            } else if (e.negative) {
                if (nearFresh && !idCheckDue(e, now)) {
                    metrics.nearHits.inc();
                    return metrics.got(e.notFoundAnswer);
                }
                if (revalidateInBackground && e.lastIdCheck != NEVER && now - e.lastIdCheck < 2 * idCheckInterval) {
                    return metrics.got(stale(d, e.notFoundAnswer));
                }
            }
        }
        return metrics.got(singleFlight(d));
    }

    /** Already-normalized names (the common case) skip the IDN conversion. */
    private static String normalize(String domain) {
        if (domain != null && Domains.isLdhDomain(domain)) {
            boolean lower = true;
            for (int i = 0; i < domain.length() && lower; i++) {
                char c = domain.charAt(i);
                lower = c < 'A' || c > 'Z';
            }
            if (lower) {
                return domain;
            }
        }
        return Domains.normalize(domain);
    }

    private boolean idCheckDue(NearEntry e, long now) {
        return e.lastIdCheck == NEVER || now - e.lastIdCheck >= idCheckInterval;
    }

    /** Throttled last-use write: at most once per lastUseWriteInterval per domain on this node. */
    private void touch(String d, NearEntry e, long now) {
        if (e.row == null) {
            return;
        }
        long last = e.lastUseWritten;
        if (last == NEVER || now - last >= lastUseInterval) {
            e.lastUseWritten = now;
            try {
                store.touchLastUse(d, Instant.ofEpochMilli(now));
            } catch (RuntimeException ex) {
                LOG.debug("last_use write for {} not sent: {}", d, ex.toString());
            }
        }
    }

    private CacheResult singleFlight(String d) {
        CompletableFuture<CacheResult> mine = new CompletableFuture<>();
        CompletableFuture<CacheResult> running = flights.putIfAbsent(d, mine);
        if (running == null) {
            return fly(d, mine, false);
        }
        try {
            return running.get(settings.flightTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return CacheResult.error("interrupted waiting for the lookup of " + d);
        } catch (ExecutionException ex) {
            return CacheResult.error("lookup of " + d + " failed: " + ex.getCause());
        } catch (TimeoutException ex) {
            return CacheResult.error("lookup of " + d + " did not finish within " + settings.flightTimeout());
        }
    }

    /** Runs the flight this thread owns ({@code mine} is registered in {@link #flights}) and completes it. */
    private CacheResult fly(String d, CompletableFuture<CacheResult> mine, boolean background) {
        CacheResult r = null;
        try {
            r = slow(d);
            return r;
        } catch (RuntimeException ex) {
            if (background) {
                metrics.revalidationFailures.inc();
            }
            LOG.error("MTA-STS cache {} for {} failed", background ? "background revalidation" : "get", d, ex);
            r = CacheResult.error("internal error: " + ex);
            return r;
        } finally {
            mine.complete(r != null ? r : CacheResult.error("internal error"));
            flights.remove(d, mine);
            if (background) {
                BiConsumer<String, CacheResult> l = revalidationListener;
                if (l != null) {
                    l.accept(d, r);
                }
            }
        }
    }

    /**
     * Stale-while-revalidate: {@code answer} (still valid) is returned at once, and the work a
     * synchronous get would have done ({@link #slow}: store re-read, TXT id check, re-fetch) runs on
     * the revalidation executor, at most one flight per domain (a running synchronous lookup or
     * revalidation of the same domain is not doubled). A full executor queue drops the revalidation;
     * the next get of the domain tries again.
     */
    private CacheResult stale(String d, CacheResult answer) {
        metrics.staleAnswers.inc();
        CompletableFuture<CacheResult> mine = new CompletableFuture<>();
        if (flights.putIfAbsent(d, mine) == null) {
            Revalidation task = new Revalidation(d, mine, answer);
            try {
                revalidator.execute(task);
                metrics.revalidations.inc();
            } catch (RejectedExecutionException ex) {
                metrics.revalidationsRejected.inc();
                LOG.debug("background revalidation of {} not started: {}", d, ex.toString());
                task.abandon();
            }
        }
        return answer;
    }

    /** One queued background revalidation; owns its flight until it has run or been abandoned. */
    private final class Revalidation implements Runnable {
        private final String domain;
        private final CompletableFuture<CacheResult> flight;
        private final CacheResult staleAnswer;

        Revalidation(String domain, CompletableFuture<CacheResult> flight, CacheResult staleAnswer) {
            this.domain = domain;
            this.flight = flight;
            this.staleAnswer = staleAnswer;
        }

        @Override
        public void run() {
            fly(domain, flight, true);
        }

        /** Never run (executor full or shut down): whoever joined the flight gets the still-valid answer. */
        void abandon() {
            flight.complete(staleAnswer);
            flights.remove(domain, flight);
        }
    }

    /** Everything that is not a near-cache hit; runs once per domain at a time (single flight). */
    private CacheResult slow(String d) {
        Instant nowI = clock.instant();
        long now = nowI.toEpochMilli();
        NearEntry e = near.get(d);
        if (e == null || now - e.loadedAt >= nearTtl) {
            metrics.nearMisses.inc();
            try {
                if (System.nanoTime() - storeRetryAt < 0) {
                    throw new StoreException("store failed less than a second ago", null);
                }
                StoredPolicy row = store.read(d).orElse(null);
                e = fromStore(row, now, e);
                near.put(d, e);
            } catch (StoreException ex) {
                metrics.storeErrors.inc();
                if (ex.getCause() != null) {
                    // a store that times out must not make every delivery wait storeTimeout: skip it for a second
                    storeRetryAt = System.nanoTime() + STORE_RETRY_NANOS;
                }
                if (e == null) {
                    return CacheResult.error("policy store unavailable and nothing known in memory: " + ex.getMessage());
                }
                LOG.warn("policy store unavailable, answering {} from memory: {}", d, ex.getMessage());
                // keep using the entry for another near-cache TTL before asking the store again
                e = e.reloadedAt(now);
                near.put(d, e);
            }
        } else {
            metrics.nearHits.inc();
        }
        if (e.hasValidPolicy(now)) {
            touch(d, e, now);
            if (idCheckDue(e, now) || now >= e.bodyRefreshAt) {
                return check(d, e, nowI);
            }
            return e.cachedAnswer;
        }
        if (e.backoffActive(now)) {
            touch(d, e, now);
            return e.backoffAnswer; // RFC 8461 §3.3: no re-fetch during the backoff
        }
        if (e.negative && !idCheckDue(e, now)) {
            return e.notFoundAnswer;
        }
        return lookupAndFetch(d, e, nowI);
    }

    private NearEntry fromStore(StoredPolicy row, long now, NearEntry old) {
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

    /** A valid policy is cached and its id is due for a check (or its body for a re-fetch). */
    private CacheResult check(String d, NearEntry e, Instant nowI) {
        long now = nowI.toEpochMilli();
        RecordLookupResult rec = lookupRecord(d);
        e.lastIdCheck = now;
        switch (rec.kind()) {
            case FOUND:
                String id = rec.record().id();
                boolean sameId = id.equals(e.recordId());
                if (sameId && now < e.bodyRefreshAt) {
                    return answer(e.policy(), id, true, "id " + id + " confirmed in DNS");
                }
                String what = sameId ? "body re-fetch" : "id changed to " + id + ", re-fetch";
                if (now < e.refetchNotBefore) {
                    // RFC 8461 §3.3: after a failed GET, limit further attempts to one per five minutes
                    // (without this, every id check - once a minute per node - hit the failing host)
                    return keep(e, what + " failed recently, next attempt after " + Instant.ofEpochMilli(e.refetchNotBefore));
                }
                PolicyFetchResult f = fetch(d);
                if (f.isSuccess()) {
                    return stored(d, e, id, f.policy(), nowI);
                }
                e.refetchNotBefore = now + settings.backoff().toMillis();
                // RFC 8461 §3.3, §5.1: a failed re-fetch never removes or downgrades the cached policy
                return keep(e, what + " failed (" + f + ")");
            case TEMPORARY_ERROR:
                return keep(e, "TXT lookup failed (" + rec.reason() + ")");
            default: // NO_RECORD, MULTIPLE_RECORDS, INVALID_RECORD
                if (e.policy().mode() == StsPolicy.Mode.NONE) {
                    try {
                        store.delete(d, nowI, e.row);
                    } catch (StoreException ex) {
                        metrics.storeErrors.inc();
                        LOG.warn("could not delete the none policy of {}: {}", d, ex.getMessage());
                    }
                    String why = "cached policy none and the TXT record is gone (" + rec + "): deleted";
                    near.put(d, new NearEntry(null, now, now, true, why));
                    return CacheResult.notFound(why);
                }
                // RFC 8461 §10.2: a vanished record must not strip a cached policy before it expires
                return keep(e, "TXT record gone (" + rec + ")");
        }
    }

    /** Nothing valid is cached and no backoff is running: a full lookup. */
    private CacheResult lookupAndFetch(String d, NearEntry e, Instant nowI) {
        long now = nowI.toEpochMilli();
        RecordLookupResult rec = lookupRecord(d);
        switch (rec.kind()) {
            case FOUND:
                String id = rec.record().id();
                PolicyFetchResult f = fetch(d);
                if (f.isSuccess()) {
                    return stored(d, e, id, f.policy(), nowI);
                }
                // RFC 8461 §3.3: behave as no policy and do not retry for a while
                Instant until = nowI.plus(settings.backoff());
                String reason = "id " + id + ": " + f.failure() + ": " + f.detail();
                try {
                    store.writeBackoff(d, nowI, until, reason, e.row);
                } catch (StoreException ex) {
                    metrics.storeErrors.inc();
                    LOG.warn("could not store the backoff of {}: {}", d, ex.getMessage());
                }
                NearEntry b = new NearEntry(PolicyStore.backoffRow(d, until, reason, e.row), now, now, false, null);
                b.lastUseWritten = now;
                near.put(d, b);
                return CacheResult.backoff("policy fetch failed (" + reason + "); no policy applied, retry after " + until);
            case TEMPORARY_ERROR:
                return CacheResult.error("temporary DNS error for _mta-sts." + d + " and no valid policy cached: "
                        + rec.reason());
            default:
                String why = rec.kind().name().toLowerCase(Locale.ROOT) + ": " + rec.reason();
                near.put(d, new NearEntry(e.row, now, now, true, why));
                return CacheResult.notFound(why);
        }
    }

    private CacheResult stored(String d, NearEntry e, String id, StsPolicy policy, Instant nowI) {
        long now = nowI.toEpochMilli();
        StoredPolicy row;
        try {
            row = store.writeFetched(d, id, policy, nowI, e.row);
        } catch (StoreException ex) {
            metrics.storeErrors.inc();
            LOG.warn("could not store the policy of {} (kept in memory): {}", d, ex.getMessage());
            row = PolicyStore.fetchedRow(d, id, policy, nowI, e.row);
        }
        NearEntry n = new NearEntry(row, now, now, false, null);
        n.lastUseWritten = e.lastUseWritten;
        near.put(d, n);
        touch(d, n, now);
        return answer(policy, id, true, "fetched, id " + id);
    }

    private static CacheResult answer(StsPolicy p, String id, boolean fresh, String reason) {
        return p.mode() == StsPolicy.Mode.NONE ? CacheResult.noPolicy("policy mode none, " + reason)
                : CacheResult.policy(p, id, fresh, reason);
    }

    private static CacheResult keep(NearEntry e, String why) {
        return answer(e.policy(), e.recordId(), false, why + "; keeping the cached policy until " + e.validUntilInstant());
    }

    private RecordLookupResult lookupRecord(String d) {
        try (Timer.Context t = metrics.recordLookupLatency.time()) {
            RecordLookupResult r = source.lookupRecord(d);
            return r != null ? r : RecordLookupResult.temporaryError("policy source returned nothing");
        } catch (RuntimeException ex) {
            LOG.warn("TXT lookup for {} threw", d, ex);
            return RecordLookupResult.temporaryError("lookup failed: " + ex);
        }
    }

    private PolicyFetchResult fetch(String d) {
        try (Timer.Context t = metrics.fetchLatency.time()) {
            PolicyFetchResult r = source.fetchPolicy(d);
            return r != null ? r : PolicyFetchResult.failure(FetchFailure.PROTOCOL, "policy source returned nothing");
        } catch (RuntimeException ex) {
            LOG.warn("policy fetch for {} threw", d, ex);
            return PolicyFetchResult.failure(FetchFailure.PROTOCOL, "fetch failed: " + ex);
        }
    }

    // ------------------------------------------------------------------ refresh (refresher + admin)

    /**
     * Refreshes one stored row (the refresher's per-domain step). {@code forced}: re-fetch now
     * whatever the due time. {@code cancelled} is checked before any write (a node that lost its
     * lease or is shutting down must not write).
     */
    RefreshReport refreshRow(String d, StoredPolicy row, boolean forced, BooleanSupplier cancelled) {
        Instant nowI = clock.instant();
        Duration stale = settings.staleAfter();
        if (row == null && !forced) {
            return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.SKIPPED, "row gone", NEVER));
        }
        if (!forced) {
            Instant lastUse = firstNonNull(row.lastUse(), row.lastUpdate(), row.inserted(), row.backoffUntil());
            if (lastUse == null || lastUse.plus(settings.deleteUnusedAfter()).isBefore(nowI)) {
                return delete(d, row, nowI, "unused since " + lastUse, cancelled);
            }
            if (row.policy() == null) {
                if (!row.backoffActive(nowI)) {
                    return delete(d, row, nowI, "failed fetch remembered until " + row.backoffUntil() + ", backoff over",
                            cancelled);
                }
                return notDue(row, nowI);
            }
            if (row.due(stale).isAfter(nowI)) {
                return notDue(row, nowI);
            }
        }
        RecordLookupResult rec = lookupRecord(d);
        if (cancelled.getAsBoolean()) {
            return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.SKIPPED, "cancelled", NEVER));
        }
        switch (rec.kind()) {
            case FOUND:
                String id = rec.record().id();
                if (!forced && row.policy() != null && id.equals(row.recordId())
                        && nowI.isBefore(row.lastUpdate().plusSeconds(Math.max(1, row.policy().maxAgeSeconds() / 2)))) {
                    store.writeChecked(row, nowI);
                    return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.UNCHANGED, "id " + id + " unchanged",
                            store.bucketOf(PolicyStore.withCheck(row, nowI).due(stale))));
                }
                PolicyFetchResult f = fetch(d);
                if (cancelled.getAsBoolean()) {
                    return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.SKIPPED, "cancelled", NEVER));
                }
                if (f.isSuccess()) {
                    StoredPolicy n = store.writeFetched(d, id, f.policy(), nowI, row);
                    NearEntry ne = new NearEntry(n, nowI.toEpochMilli(), nowI.toEpochMilli(), false, null);
                    near.put(d, ne);
                    String what = row == null || row.recordId() == null ? "fetched id " + id
                            : id.equals(row.recordId()) ? "body re-fetched, id " + id : "id " + row.recordId() + " -> " + id;
                    return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.UPDATED, what,
                            store.bucketOf(n.due(stale))));
                }
                if (row != null && row.hasValidPolicy(nowI)) {
                    return kept(row, nowI, "fetch failed (" + f + "); kept until " + row.validUntil());
                }
                Instant until = nowI.plus(settings.backoff());
                store.writeBackoff(d, nowI, until, f.failure() + ": " + f.detail(), row);
                near.remove(d);
                return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.FAILED, "fetch failed (" + f
                        + "); backoff until " + until, row == null || row.policy() == null ? store.bucketOf(until) : NEVER));
            case TEMPORARY_ERROR:
                if (row == null) {
                    return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.SKIPPED, rec.toString(), NEVER));
                }
                return kept(row, nowI, "TXT lookup failed (" + rec.reason() + ")");
            default:
                if (row == null) {
                    return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.SKIPPED, rec.toString(), NEVER));
                }
                if (row.policy() == null || row.policy().mode() == StsPolicy.Mode.NONE || !row.hasValidPolicy(nowI)) {
                    return delete(d, row, nowI, "TXT record gone (" + rec + ")", cancelled);
                }
                return kept(row, nowI, "TXT record gone (" + rec + "); kept until " + row.validUntil());
        }
    }

    /**
     * The stored policy stays; the row is filed to be retried staleAfter from now (so the next round
     * retries it, and this round does not meet it again in a later index bucket).
     */
    private RefreshReport kept(StoredPolicy row, Instant nowI, String why) {
        Instant retry = nowI.plus(settings.staleAfter());
        store.index(row, retry);
        return metrics.refreshed(new RefreshReport(row.domain(), RefreshReport.Outcome.KEPT, why,
                store.bucketOf(max(row.due(settings.staleAfter()), retry))));
    }

    private RefreshReport notDue(StoredPolicy row, Instant nowI) {
        store.index(row, nowI);
        return metrics.refreshed(new RefreshReport(row.domain(), RefreshReport.Outcome.NOT_DUE,
                "due " + row.due(settings.staleAfter()), store.bucketOf(max(row.due(settings.staleAfter()), nowI))));
    }

    private RefreshReport delete(String d, StoredPolicy row, Instant nowI, String why, BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.SKIPPED, "cancelled", NEVER));
        }
        store.delete(d, nowI, row);
        near.remove(d);
        return metrics.refreshed(new RefreshReport(d, RefreshReport.Outcome.DELETED, why, NEVER));
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

    // ------------------------------------------------------------------ admin operations

    /** One page of stored rows (CLI {@code cache list}, WebAdmin); token null for the first page. */
    public PolicyPage list(int pageSize, String pagingToken) {
        return store.list(pageSize, pagingToken);
    }

    /** Rows in store order after {@code afterDomain} (see {@link PolicyStore#listAfter}). */
    public List<StoredPolicy> listAfter(String afterDomain, int limit) {
        return store.listAfter(afterDomain == null || afterDomain.isEmpty() ? null : Domains.normalize(afterDomain), limit);
    }

    /** The full stored row of a domain. */
    public Optional<StoredPolicy> show(String domain) {
        return store.read(Domains.normalize(domain));
    }

    /** Forced re-fetch now (TXT lookup + HTTPS), whatever the row's due time; a failure keeps a valid policy. */
    public RefreshReport refresh(String domain) {
        String d = Domains.normalize(domain);
        StoredPolicy row = store.read(d).orElse(null);
        RefreshReport r = refreshRow(d, row, true, () -> false);
        if (r.outcome() != RefreshReport.Outcome.UPDATED) {
            near.remove(d);
        }
        return r;
    }

    /** Deletes the stored row and forgets the domain here; true when there was a row. Other nodes forget it within the near-cache TTL. */
    public boolean evict(String domain) {
        String d = Domains.normalize(domain);
        StoredPolicy row = store.read(d).orElse(null);
        if (row != null) {
            store.delete(d, clock.instant(), row);
        }
        near.remove(d);
        return row != null;
    }

    /** Runs one refresh round now (unpaced), sharing the round with other nodes through the leases. */
    public RoundSummary runRefreshRound() {
        PolicyRefresher r;
        synchronized (refresherLock) {
            if (adminRefresher == null) {
                adminRefresher = new PolicyRefresher(this, nodeId);
            }
            r = adminRefresher;
        }
        return r.runRound();
    }

    /** Forgets everything held in memory (tests, benchmarks, admin). */
    public void clearNearCache() {
        near.clear();
    }

    boolean isClosed() {
        return closed;
    }

    /** True while a lookup or background revalidation of {@code domain} (normalized) is in flight. */
    boolean inFlight(String domain) {
        return flights.containsKey(domain);
    }

    /** True when the background revalidation executor has been shut down and its threads are gone. */
    boolean revalidatorTerminated() {
        return revalidator == null || revalidator.isTerminated();
    }

    void revalidationListener(BiConsumer<String, CacheResult> l) {
        revalidationListener = l;
    }

    /**
     * Stops the refresher and the background revalidations: no new one starts, running ones get
     * {@value #CLOSE_WAIT_MILLIS} ms to finish their writes, then are interrupted.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (refresherLock) {
            if (adminRefresher != null) {
                adminRefresher.close();
            }
        }
        if (revalidator != null) {
            revalidator.shutdown();
            try {
                if (!revalidator.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    abandonQueued();
                }
            } catch (InterruptedException e) {
                abandonQueued();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Interrupts the running revalidations and releases the flights of those that never ran. */
    private void abandonQueued() {
        for (Runnable r : revalidator.shutdownNow()) {
            if (r instanceof Revalidation) {
                ((Revalidation) r).abandon();
            }
        }
    }
}
