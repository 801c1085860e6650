package dev.jamesmtasts.cache;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Collects the results of a cache's background revalidations (stale-while-revalidate), so a test can
 * wait for the one its get started and assert on what it found, as it did on a synchronous get.
 */
final class RevalidationProbe {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private final ConcurrentHashMap<String, Queue<CacheResult>> results = new ConcurrentHashMap<>();
    private final PolicyCache cache;

    private RevalidationProbe(PolicyCache cache) {
        this.cache = cache;
    }

    static RevalidationProbe attach(PolicyCache cache) {
        RevalidationProbe p = new RevalidationProbe(cache);
        cache.revalidationListener((d, r) -> p.results.computeIfAbsent(d, k -> new ConcurrentLinkedQueue<>()).add(r));
        return p;
    }

    /** Waits for the next finished background revalidation of {@code domain} (normalized) and returns its result. */
    CacheResult next(String domain) {
        Queue<CacheResult> q = results.computeIfAbsent(domain, k -> new ConcurrentLinkedQueue<>());
        await("background revalidation of " + domain).atMost(BOUND).until(() -> !q.isEmpty());
        return q.poll();
    }

    /** Waits until nothing is in flight for {@code domain} (no lookup, no revalidation). */
    void idle(String domain) {
        await("no flight for " + domain).atMost(BOUND).until(() -> !cache.inFlight(domain));
    }

    /** Results not yet taken by {@link #next} (for "no revalidation happened" checks). */
    int pending(String domain) {
        Queue<CacheResult> q = results.get(domain);
        return q == null ? 0 : q.size();
    }
}
