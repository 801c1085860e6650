package dev.jamesmtasts.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most one lookup per domain at a time: concurrent gets of a domain that need the store, DNS or
 * HTTPS share one flight (one TXT lookup, one fetch), and a background revalidation is a flight too,
 * so a synchronous get that arrives meanwhile waits for it instead of starting another.
 */
final class SingleFlight {
    private static final Logger LOG = LoggerFactory.getLogger(SingleFlight.class);
    private final ConcurrentHashMap<String, CompletableFuture<CacheResult>> flights = new ConcurrentHashMap<>();
    private final Function<String, CacheResult> lookup;
    private final Duration waitLimit;
    private final CacheMetrics metrics;

    /**
     * @param lookup    the work of one flight (never called twice at once for one domain)
     * @param waitLimit how long a get waits for another thread's flight before answering ERROR
     */
    SingleFlight(Function<String, CacheResult> lookup, Duration waitLimit, CacheMetrics metrics) {
        this.lookup = lookup;
        this.waitLimit = waitLimit;
        this.metrics = metrics;
    }

    /** Runs the lookup of {@code domain} on this thread, or waits for the one in flight. */
    CacheResult get(String domain) {
        CompletableFuture<CacheResult> mine = new CompletableFuture<>();
        CompletableFuture<CacheResult> running = flights.putIfAbsent(domain, mine);
        if (running == null) {
            return runFlight(domain, mine, false);
        }
        try {
            return running.get(waitLimit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return CacheResult.error("interrupted waiting for the lookup of " + domain);
        } catch (ExecutionException ex) {
            return CacheResult.error("lookup of " + domain + " failed: " + ex.getCause());
        } catch (TimeoutException ex) {
            return CacheResult.error("lookup of " + domain + " did not finish within " + waitLimit);
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
            r = lookup.apply(domain);
            return r;
        } catch (RuntimeException ex) {
            if (background) {
                metrics.revalidationFailures.inc();
            }
            LOG.error("MTA-STS cache {} for {} failed", background ? "background revalidation" : "get", domain, ex);
            r = CacheResult.error("internal error: " + ex);
            return r;
        } finally {
            completeFlight(domain, mine, r != null ? r : CacheResult.error("internal error"));
        }
    }

    /** Completes a claimed flight with {@code result} without running it (e.g. it could not be started). */
    void completeFlight(String domain, CompletableFuture<CacheResult> mine, CacheResult result) {
        mine.complete(result);
        flights.remove(domain, mine);
    }

    boolean inFlight(String domain) {
        return flights.containsKey(domain);
    }
}
