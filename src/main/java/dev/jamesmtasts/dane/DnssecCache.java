package dev.jamesmtasts.dane;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

import dev.jamesmtasts.mtasts.DnssecAnswer;

/**
 * Validated answers kept in memory for their TTL, so that a delivery to a domain seen recently costs no
 * DNS query and no signature check: a bounded map (least recently used answers go first) in front of
 * {@link DnssecLookups}.
 *
 * <ul>
 *   <li>SECURE, INSECURE, NXDOMAIN, NODATA: kept for their TTL ({@link DnssecAnswer#ttlSeconds()}: the
 *       RRset's smallest TTL, the SOA's negative TTL, RFC 2308 §5), at most {@code maxTtl};</li>
 *   <li>BOGUS: kept for {@code bogusTtl} (RFC 4035 §4.7: bogus data may be cached for a limited time, so
 *       that a broken zone is not asked again for every mail; the mail is deferred meanwhile either way);</li>
 *   <li>TEMPORARY: never kept (the next attempt asks again).</li>
 * </ul>
 * Two threads missing the same name at once both ask (no single flight): rare, and both get a valid answer.
 * Thread-safe; the map's lock is held only to read or write one entry, never during a lookup.
 */
public final class DnssecCache implements DnssecLookups {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final DnssecLookups upstream;
    private final long maxTtlNanos;
    private final long bogusTtlNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Cached> entries;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    private static final class Cached {
        final DnssecAnswer answer;
        final long expiresAt;

        Cached(DnssecAnswer answer, long expiresAt) {
            this.answer = answer;
            this.expiresAt = expiresAt;
        }
    }

    public DnssecCache(DnssecLookups upstream, int maxEntries, Duration maxTtl, Duration bogusTtl) {
        this(upstream, maxEntries, maxTtl, bogusTtl, System::nanoTime);
    }

    /** With a clock of {@link System#nanoTime()} values (tests move it). */
    public DnssecCache(DnssecLookups upstream, int maxEntries, Duration maxTtl, Duration bogusTtl, LongSupplier nanoClock) {
        this.upstream = upstream;
        this.maxTtlNanos = maxTtl.toNanos();
        this.bogusTtlNanos = bogusTtl.toNanos();
        this.nanoClock = nanoClock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** The cache over {@code settings}' resolver (asking {@code fallback} servers when it names none). */
    public static DnssecCache of(DaneSettings settings, java.util.List<java.net.InetSocketAddress> fallback) {
        return new DnssecCache(DnssecLookups.of(settings.resolver(fallback)), settings.cacheSize(),
                settings.cacheMaxTtl(), settings.bogusTtl());
    }

    @Override
    public DnssecAnswer mx(String domain) {
        return get("MX " + key(domain), upstream::mx, domain);
    }

    @Override
    public DnssecAnswer address(String host) {
        return get("ADDR " + key(host), upstream::address, host);
    }

    @Override
    public DnssecAnswer tlsa(String host) {
        return get("TLSA " + key(host), upstream::tlsa, host);
    }

    /** Answers served from memory so far. */
    public long hits() {
        return hits.get();
    }

    /** Answers that needed a lookup so far. */
    public long misses() {
        return misses.get();
    }

    /** Answers held now. */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    /** Forgets every answer. */
    public void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }

    private DnssecAnswer get(String key, Function<String, DnssecAnswer> lookup, String name) {
        long now = nanoClock.getAsLong();
        synchronized (entries) {
            Cached e = entries.get(key);
            if (e != null) {
                if (e.expiresAt - now > 0) {
                    hits.incrementAndGet();
                    return e.answer;
                }
                entries.remove(key);
            }
        }
        misses.incrementAndGet();
        DnssecAnswer answer = lookup.apply(name);
        long keep = keepNanos(answer);
        if (keep > 0) {
            synchronized (entries) {
                entries.put(key, new Cached(answer, nanoClock.getAsLong() + keep));
            }
        }
        return answer;
    }

    private long keepNanos(DnssecAnswer a) {
        switch (a.status()) {
            case TEMPORARY:
                return 0;
            case BOGUS:
                return bogusTtlNanos;
            default:
                long ttl = a.ttlSeconds() > maxTtlNanos / NANOS_PER_SECOND ? maxTtlNanos : a.ttlSeconds() * NANOS_PER_SECOND;
                return Math.min(ttl, maxTtlNanos);
        }
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n : n + ".";
    }
}
