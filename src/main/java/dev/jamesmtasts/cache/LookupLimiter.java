package dev.jamesmtasts.cache;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cap on concurrent first lookups on this node ({@code cache.maxConcurrentLookups}). A first
 * lookup (a domain this node holds nothing about in its near cache) may need DNS with CNAME hops, the
 * policy host's A/AAAA, TLS and a body from a host the recipient domain chose: a tarpit can keep it
 * running up to the whole-lookup deadline. Without a cap, mail to N fresh attacker-chosen domains
 * holds N lookups (and, before the flight time-out, N delivery threads). With it, at most {@link #max()}
 * such lookups run at once; beyond that a get answers a "busy" ERROR at once (the mailet defers the
 * mail, which waits its turn as a temporary failure), and mail to domains already in the near cache
 * never waits for a permit.
 *
 * <p>A permit is held until the lookup itself ends, not until its caller stops waiting (the flight
 * time-out), so lookups left running in the background still count.
 */
final class LookupLimiter {
    private final int max;
    private final AtomicInteger running = new AtomicInteger();

    /** @param max first lookups allowed at once ({@link CacheSettings#MAX_CONCURRENT_LOOKUPS}) */
    LookupLimiter(int max) {
        CacheSettings.MAX_CONCURRENT_LOOKUPS.check("maxConcurrentLookups", max);
        this.max = max;
    }

    /** Takes a permit when fewer than {@link #max()} are held; never blocks (a delivery thread must not queue here). */
    boolean tryAcquire() {
        for (;;) {
            int n = running.get();
            if (n >= max) {
                return false;
            }
            if (running.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Returns a permit taken by {@link #tryAcquire()}. */
    void release() {
        if (running.getAndUpdate(n -> n > 0 ? n - 1 : 0) <= 0) {
            throw new IllegalStateException("a lookup permit was released twice");
        }
    }

    /** Permits held now (first lookups running, in the foreground or left in the background). */
    int running() {
        return running.get();
    }

    int max() {
        return max;
    }

    /** The reason of the busy answer: what happened, that it is temporary, and what to tune. */
    String busyReason(String domain) {
        return "MTA-STS lookup of " + domain + " not started: " + max + " first lookups of other domains are "
                + "already running on this node (cache.maxConcurrentLookups=" + max + "); deferred, retried on the "
                + "next attempt. Raise cache.maxConcurrentLookups if this happens with well-behaved domains";
    }
}
