package dev.jamesmtasts.cache;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.BiConsumer;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.mtasts.Domains;
import dev.jamesmtasts.mtasts.PolicySource;

/**
 * The MTA-STS policy cache shared by every James node: a bounded in-process near cache in front of
 * the Cassandra {@link PolicyStore}, in front of the live {@link PolicySource} (DNS + HTTPS).
 *
 * <p>Semantics of {@link #get} (RFC 8461 §3.1 note, §3.3, §5.1, §10.2; the rules themselves are written once,
 * in {@link PolicyDecisions}):
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
 *   <li>Bounded work: a get waits for a flight at most {@code flightTimeout}, also the get that started
 *       it (the lookup runs on the lookup executor and goes on in the background; the get answers a
 *       {@link CacheResult.Bound#FLIGHT_TIMEOUT} ERROR). At most {@code maxConcurrentLookups} cold
 *       lookups (nothing in memory could answer) run at once; beyond, a get answers a
 *       {@link CacheResult.Bound#LOOKUP_CAP} ERROR at once. A near hit or a stale answer never waits
 *       for either (see {@link SingleFlight}, {@link LookupLimiter}).</li>
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
 * every get when {@code idCheckInterval} is 0. Revalidations run on the {@link Revalidator}'s small
 * executor (shut down by {@link #close()}); they are {@link SingleFlight} flights like synchronous
 * lookups, so a domain never has more than one lookup in flight, and a synchronous get that arrives
 * meanwhile waits for that flight. A revalidation can only replace the cached entry the way a
 * synchronous get would ({@link PolicyLookup}, deciding with {@link PolicyDecisions}), so it never
 * downgrades or drops a valid cached policy.
 *
 * <p><b>Store outage.</b> The cache can be made before Cassandra answers ({@link #unconnected}, then
 * {@link #connectStore}); while the store cannot be read, gets are answered from memory, and a domain
 * unknown in memory is looked up directly or answered ERROR as {@link CacheSettings.StoreOutage} says.
 * Policies learnt meanwhile are written back as soon as the store answers again ({@link #storeStatus()}
 * turning available starts that write-back in the background).
 *
 * <p>Where the work lives: this class is the near-cache fast path, the stale-while-revalidate choice
 * and the admin operations; {@link PolicyLookup} everything else a get does; {@link PolicyDecisions}
 * the RFC 8461 rules; {@link RefreshStep} and {@link PolicyRefresher} the proactive refresh.
 *
 * <p>Differences from mox's single-node mtastsdb (the seed): a failed first fetch is a separate backoff
 * state that can never overwrite a stored policy written by another node; writes converge on the
 * newest fetch across nodes; last-use writes are throttled instead of one write per delivery; the
 * body is re-fetched every max_age/2 with an unchanged id; a vanished TXT record with a cached
 * {@code none} policy deletes the row.
 */
public final class PolicyCache implements PolicyProvider, AutoCloseable {
    private final PolicyStore store;
    private final CacheSettings settings;
    private final Clock clock;
    private final CacheMetrics metrics;
    private final String nodeId;
    private final NearCache near;
    private final PolicyLookup lookup;
    private final SingleFlight flights;
    /** Runs the synchronous lookups, so that a delivery thread waits for one at most flightTimeout. */
    private final ThreadPoolExecutor lookupExecutor;
    private final LookupLimiter limiter;
    /** Null when idCheckInterval is 0: then every get that is not a plain near hit checks synchronously. */
    private final Revalidator revalidator;
    private final LivePolicySource live;
    private final PolicyDecisions decisions;
    /**
     * The per-row step of refresh rounds and of {@link #refresh}; shared with the refreshers made here.
     * Made once the store is connected (it holds the due-index table).
     */
    private volatile RefreshStep refreshStep;
    private final java.util.concurrent.atomic.AtomicBoolean writingBack = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;
    private final Object refresherLock = new Object();
    private PolicyRefresher adminRefresher;

    /**
     * @param nodeId this node's name in refresh leases (any unique string; null for a random one)
     */
    public PolicyCache(PolicyStore store, PolicySource source, CacheSettings settings, Clock clock,
                       MetricRegistry registry, String nodeId) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.metrics = new CacheMetrics(registry);
        this.nodeId = nodeId != null ? nodeId : "node-" + UUID.randomUUID();
        this.near = new NearCache(settings.nearCacheSize());
        this.live = new LivePolicySource(source, metrics);
        this.decisions = new PolicyDecisions(settings);
        this.lookup = new PolicyLookup(store, live, decisions, near, settings, clock, metrics);
        this.limiter = new LookupLimiter(settings.maxConcurrentLookups());
        this.lookupExecutor = SingleFlight.lookupExecutor(this.nodeId, settings.maxConcurrentLookups());
        this.flights = new SingleFlight(lookup::lookUp, settings.flightTimeout(), metrics, lookupExecutor, limiter);
        this.revalidator = settings.idCheckInterval().toMillis() > 0 ? new Revalidator(flights, metrics, this.nodeId) : null;
        registry.gauge("mtasts.cache.near.size", () -> near::size);
        registry.gauge("mtasts.cache.lookup.running", () -> limiter::running);
        // replaced, not reused: after a restart in the same registry the gauges must read this cache
        registry.remove("mtasts.store.available");
        registry.register("mtasts.store.available", (com.codahale.metrics.Gauge<Integer>) () -> store.status().available() ? 1 : 0);
        registry.remove("mtasts.store.unsaved");
        registry.register("mtasts.store.unsaved", (com.codahale.metrics.Gauge<Integer>) lookup::unsavedCount);
        store.status().onAvailable(this::writeBackInBackground);
    }

    /**
     * A cache whose store is not connected yet (Cassandra down at start): it answers from live lookups or
     * ERROR ({@link CacheSettings#onStoreOutage()}) until {@link #connectStore} succeeds.
     */
    public static PolicyCache unconnected(PolicySource source, CacheSettings settings, Clock clock,
                                          MetricRegistry registry, String nodeId) {
        return new PolicyCache(PolicyStore.unconnected(settings, clock), source, settings, clock, registry, nodeId);
    }

    /**
     * Connects the store: takes a session from {@code sessions} (which may open one), creates the schema
     * when missing and prepares the statements. When Cassandra does not answer it throws and the store
     * stays unconnected, its {@link #storeStatus()} saying why; nothing happens when already connected.
     */
    public void connectStore(java.util.function.Supplier<CqlSession> sessions) {
        if (store.connected()) {
            return;
        }
        CqlSession session;
        try {
            session = sessions.get();
        } catch (RuntimeException e) {
            store.status().down(e.getMessage());
            throw e;
        }
        store.connect(session);
    }

    public boolean storeConnected() {
        return store.connected();
    }

    /** Whether the store answers, as this node last saw it (also the gauge {@code mtasts.store.available}). */
    public StoreStatus storeStatus() {
        return store.status();
    }

    /** One cheap read to refresh {@link #storeStatus()}; false when the store did not answer. */
    public boolean probeStore() {
        try {
            store.probe();
            return true;
        } catch (StoreException e) {
            return false;
        }
    }

    /** Policies learnt during a store outage that are not written to the store yet (gauge {@code mtasts.store.unsaved}). */
    public int unsavedPolicies() {
        return lookup.unsavedCount();
    }

    /** Writes the policies learnt during an outage, on a thread of its own, one write-back at a time. */
    private void writeBackInBackground() {
        if (closed || lookup.unsavedCount() == 0 || !writingBack.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                int n = lookup.writeUnsaved();
                org.slf4j.LoggerFactory.getLogger(PolicyCache.class).info(
                        "MTA-STS: {} policies learnt during the store outage written to the store, {} left", n,
                        lookup.unsavedCount());
            } finally {
                writingBack.set(false);
            }
        }, "mta-sts-store-writeback");
        t.setDaemon(true);
        t.start();
    }

    private RefreshStep refreshStep() {
        RefreshStep r = refreshStep;
        if (r == null) {
            synchronized (this) {
                r = refreshStep;
                if (r == null) {
                    // throws StoreException while the store is not connected
                    r = refreshStep = new RefreshStep(store, live, decisions, near, settings, clock, metrics);
                }
            }
        }
        return r;
    }

    /** Creates the schema if needed, then the cache. The session stays owned by the caller. */
    public static PolicyCache create(CqlSession session, PolicySource source, CacheSettings settings, Clock clock,
                                     MetricRegistry registry, String nodeId) {
        return new PolicyCache(PolicyStore.create(session, settings, clock), source, settings, clock, registry, nodeId);
    }

    /**
     * A refresher of this cache's store for {@code owner} (its name in the refresh leases), sharing this
     * cache's source, near cache and metrics; the caller starts and closes it.
     */
    public PolicyRefresher newRefresher(String owner) {
        return new PolicyRefresher(refreshStep(), owner);
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

    // ------------------------------------------------------------------ get

    @Override
    public CacheResult get(String domain) {
        String d;
        try {
            d = Domains.normalize(domain); // returns a lower-case LDH name as it is (the common case)
        } catch (IllegalArgumentException e) {
            return metrics.got(CacheResult.error("invalid domain: " + e.getMessage()));
        }
        long now = clock.millis();
        NearEntry e = near.get(d);
        boolean cold = true;
        if (e != null) {
            if (lookup.nearFresh(e, now)) {
                CacheResult known = lookup.answerWithoutLookup(d, e, now);
                if (known != null) {
                    metrics.nearHits.inc();
                    return metrics.got(known);
                }
            }
            CacheResult stillValid = lookup.answerWhileChecking(e, now);
            if (stillValid != null) {
                if (revalidator != null) {
                    return metrics.got(answerWhileRevalidating(d, stillValid));
                }
                cold = false; // idCheckInterval 0: a synchronous check of a domain known here, no permit needed
            }
        }
        // a cold lookup (nothing here could answer now) counts against cache.maxConcurrentLookups
        return metrics.got(flights.get(d, cold));
    }

    /**
     * Stale-while-revalidate: {@code stillValid} is returned at once, and the work a synchronous get
     * would have done ({@link PolicyLookup#lookUp}: store re-read, TXT id check, re-fetch) is started in
     * the background, at most one flight per domain.
     */
    private CacheResult answerWhileRevalidating(String d, CacheResult stillValid) {
        metrics.staleAnswers.inc();
        revalidator.start(d, stillValid);
        return stillValid;
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
        RefreshReport r = refreshStep().refresh(d, row, true, () -> false);
        if (r.outcome() != RefreshReport.Effect.UPDATED) {
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
                adminRefresher = newRefresher(nodeId);
            }
            r = adminRefresher;
        }
        return r.runRound();
    }

    /** Forgets everything held in memory (tests, benchmarks, admin). */
    public void clearNearCache() {
        near.clear();
    }

    // ------------------------------------------------------------------ test hooks

    /** True while a lookup or background revalidation of {@code domain} (normalized) is in flight. */
    boolean inFlight(String domain) {
        return flights.inFlight(domain);
    }

    /** Cold lookups running now (held permits of cache.maxConcurrentLookups). */
    int coldLookupsRunning() {
        return limiter.running();
    }

    /** True when the background revalidation executor has been shut down and its threads are gone. */
    boolean revalidatorTerminated() {
        return revalidator == null || revalidator.terminated();
    }

    /** Told of each finished background revalidation (after its flight has landed). */
    void revalidationListener(BiConsumer<String, CacheResult> l) {
        if (revalidator != null) {
            revalidator.listener(l);
        }
    }

    /**
     * Stops the admin refresher and the background revalidations: no new one starts, running ones get
     * {@value Revalidator#CLOSE_WAIT_MILLIS} ms to finish their writes, then are interrupted.
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
            revalidator.close();
        }
        // lookups whose callers already gave up (flight time-out): no one waits for them any more
        lookupExecutor.shutdownNow();
    }
}
