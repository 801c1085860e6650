package dev.jamesmtasts.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most one lookup per domain at a time: concurrent gets of a domain that need the store, DNS or
 * HTTPS share one flight (one TXT lookup, one fetch), and a background revalidation is a flight too,
 * so a synchronous get that arrives meanwhile waits for it instead of starting another.
 *
 * <p>Bounded work (issue 9): a get never waits longer than the flight time-out, the get that started
 * the flight included. Its lookup runs on a small lookup executor ({@link #lookupExecutor}) and every
 * caller waits on the flight with that bound; on time-out the caller gets a
 * {@link CacheResult.Bound#FLIGHT_TIMEOUT} ERROR (the mailet defers the mail) while the lookup goes
 * on and fills the cache for the next attempt. A cold lookup (nothing in memory could answer for the
 * domain) needs a permit of the {@link LookupLimiter}; without one the get answers a
 * {@link CacheResult.Bound#LOOKUP_CAP} ("busy") ERROR at once. Only flights take this path: a near
 * cache hit or a stale-while-revalidate answer never reaches this class.
 */
final class SingleFlight {
    private static final Logger LOG = LoggerFactory.getLogger(SingleFlight.class);
    /**
     * Lookup threads beyond the cold-lookup cap, for synchronous checks of domains that have a usable
     * answer in memory (only when {@code idCheckInterval} is 0: otherwise those are answered at once and
     * revalidated in the background). They are few at once (one flight per domain, each bounded by the
     * resolver's deadlines); when all are taken a get answers "busy" rather than grow the pool.
     */
    static final int WARM_LOOKUP_THREADS = 32;

    private final ConcurrentHashMap<String, CompletableFuture<CacheResult>> flights = new ConcurrentHashMap<>();
    private final Function<String, CacheResult> lookup;
    private final Duration waitLimit;
    private final CacheMetrics metrics;
    /** Where the lookup of a flight started by {@link #get} runs. */
    private final Executor executor;
    /** The cap on cold lookups; null = no cap. */
    private final LookupLimiter limiter;

    /**
     * A single flight whose lookups run on the thread of the get that starts them, with no cap (unit
     * tests of the flight on its own; the time-out then only bounds the other callers).
     */
    SingleFlight(Function<String, CacheResult> lookup, Duration waitLimit, CacheMetrics metrics) {
        this(lookup, waitLimit, metrics, Runnable::run, null);
    }

    /**
     * @param lookup    the work of one flight (never called twice at once for one domain)
     * @param waitLimit how long any get waits for a flight, its own included, before answering ERROR
     * @param executor  where the lookup of a flight started by a get runs ({@link #lookupExecutor})
     * @param limiter   the cap on cold lookups, or null for none
     */
    SingleFlight(Function<String, CacheResult> lookup, Duration waitLimit, CacheMetrics metrics,
                 Executor executor, LookupLimiter limiter) {
        this.lookup = lookup;
        this.waitLimit = waitLimit;
        this.metrics = metrics;
        this.executor = executor;
        this.limiter = limiter;
    }

    /**
     * The executor of synchronous lookups: up to {@code maxConcurrentLookups} + {@value #WARM_LOOKUP_THREADS}
     * daemon threads, no queue (a lookup that finds no thread is refused at once, never queued behind a
     * tarpit), idle threads end after 30 s.
     */
    static ThreadPoolExecutor lookupExecutor(String nodeId, int maxConcurrentLookups) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor ex = new ThreadPoolExecutor(0, maxConcurrentLookups + WARM_LOOKUP_THREADS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "mtasts-lookup-" + nodeId + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        return ex;
    }

    /** A get whose domain has a usable answer in memory (see {@link #get(String, boolean)}). */
    CacheResult get(String domain) {
        return get(domain, false);
    }

    /**
     * Starts the lookup of {@code domain} or joins the one in flight, and waits for it at most the
     * flight time-out.
     *
     * @param cold true when nothing in memory could answer for the domain now (a first lookup on this
     *             node, an expired policy, an ended backoff): starting such a lookup needs a permit
     */
    CacheResult get(String domain, boolean cold) {
        CompletableFuture<CacheResult> mine = new CompletableFuture<>();
        CompletableFuture<CacheResult> running = flights.putIfAbsent(domain, mine);
        if (running == null) {
            start(domain, mine, cold);
            running = mine;
        }
        try {
            return running.get(waitLimit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return CacheResult.error("interrupted waiting for the lookup of " + domain);
        } catch (ExecutionException ex) {
            return CacheResult.error("lookup of " + domain + " failed: " + ex.getCause());
        } catch (TimeoutException ex) {
            metrics.lookupsTimedOut.inc();
            return CacheResult.timedOut("lookup of " + domain + " did not finish within " + waitLimit
                    + " (flight time-out); it goes on in the background and the next attempt uses its result");
        }
    }

    /** Runs the claimed flight {@code mine} on the executor, holding a permit while a cold lookup runs; never throws. */
    private void start(String domain, CompletableFuture<CacheResult> mine, boolean cold) {
        boolean permit = cold && limiter != null;
        if (permit && !limiter.tryAcquire()) {
            metrics.lookupsRejected.inc();
            completeFlight(domain, mine, CacheResult.busy(limiter.busyReason(domain)));
            return;
        }
        Runnable task = () -> {
            CacheResult r = null;
            try {
                r = lookUp(domain, false);
            } finally {
                if (permit) {
                    // only now (a lookup left running after its callers timed out still holds its permit),
                    // and before the flight lands, so that its callers find the permit free again
                    limiter.release();
                }
                completeFlight(domain, mine, r != null ? r : CacheResult.error("internal error"));
            }
        };
        try {
            executor.execute(task);
        } catch (RejectedExecutionException ex) {
            if (permit) {
                limiter.release();
            }
            metrics.lookupsRejected.inc();
            LOG.debug("lookup of {} not started: {}", domain, ex.toString());
            completeFlight(domain, mine, CacheResult.busy("MTA-STS lookup of " + domain + " not started: every lookup "
                    + "thread of this node is busy (or the cache is closing); deferred, retried on the next attempt"));
        }
    }

    /** Claims the flight of {@code domain} for a run later ({@link #runFlight}); null when one is already in flight. */
    CompletableFuture<CacheResult> claim(String domain) {
        CompletableFuture<CacheResult> mine = new CompletableFuture<>();
        return flights.putIfAbsent(domain, mine) == null ? mine : null;
    }

    /** Runs a claimed flight and completes it (whoever waits gets its result); never throws. */
    CacheResult runFlight(String domain, CompletableFuture<CacheResult> mine, boolean background) {
        CacheResult r = null;
        try {
            r = lookUp(domain, background);
            return r;
        } finally {
            completeFlight(domain, mine, r != null ? r : CacheResult.error("internal error"));
        }
    }

    /** The lookup of one flight; an exception is logged and becomes ERROR. */
    private CacheResult lookUp(String domain, boolean background) {
        try {
            return lookup.apply(domain);
        } catch (RuntimeException ex) {
            if (background) {
                metrics.revalidationFailures.inc();
            }
            LOG.error("MTA-STS cache {} for {} failed", background ? "background revalidation" : "get", domain, ex);
            return CacheResult.error("internal error: " + ex);
        }
    }

    /** Completes a claimed flight with {@code result} without running it (e.g. it could not be started). */
    void completeFlight(String domain, CompletableFuture<CacheResult> mine, CacheResult result) {
        // removed before completed: a caller woken by the result that gets again must find no flight
        // (the landed one) to join, but start a new one
        flights.remove(domain, mine);
        mine.complete(result);
    }

    boolean inFlight(String domain) {
        return flights.containsKey(domain);
    }
}
