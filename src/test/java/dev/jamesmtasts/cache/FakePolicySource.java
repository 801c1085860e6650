package dev.jamesmtasts.cache;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.PolicySource;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsRecord;
import dev.jamesmtasts.mtasts.StsSyntaxException;

/**
 * A programmable {@link PolicySource} test double (unit-test scope only: the real DNS/HTTPS source is
 * tested elsewhere) that counts every TXT lookup and policy fetch per domain.
 */
final class FakePolicySource implements PolicySource {
    private final Map<String, RecordLookupResult> records = new ConcurrentHashMap<>();
    private final Map<String, PolicyFetchResult> policies = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
    private final AtomicInteger totalLookups = new AtomicInteger();
    private final AtomicInteger totalFetches = new AtomicInteger();
    volatile long delayMillis;
    /** When set, TXT lookups of this domain wait for the latch (ignoring interrupts: a "hung" node). */
    volatile String blockDomain;
    volatile CountDownLatch block;
    final CountDownLatch blocked = new CountDownLatch(1);

    FakePolicySource publish(String domain, String id, StsPolicy policy) {
        records.put(domain, RecordLookupResult.found(StsRecord.of(id)));
        policies.put(domain, PolicyFetchResult.success(policy));
        return this;
    }

    FakePolicySource record(String domain, RecordLookupResult r) {
        records.put(domain, r);
        return this;
    }

    FakePolicySource fetch(String domain, PolicyFetchResult r) {
        policies.put(domain, r);
        return this;
    }

    FakePolicySource txtGone(String domain) {
        return record(domain, RecordLookupResult.noRecord("NXDOMAIN"));
    }

    FakePolicySource dnsDown(String domain) {
        return record(domain, RecordLookupResult.temporaryError("SERVFAIL"));
    }

    FakePolicySource fetchFails(String domain) {
        return fetch(domain, PolicyFetchResult.failure(FetchFailure.HTTP_STATUS, "HTTP 500"));
    }

    @Override
    public RecordLookupResult lookupRecord(String domain) {
        totalLookups.incrementAndGet();
        lookups.computeIfAbsent(domain, k -> new AtomicInteger()).incrementAndGet();
        if (domain.equals(blockDomain) && block != null) {
            blocked.countDown();
            awaitUninterruptibly(block);
        }
        pause();
        return records.getOrDefault(domain, RecordLookupResult.noRecord("NXDOMAIN"));
    }

    @Override
    public PolicyFetchResult fetchPolicy(String domain) {
        totalFetches.incrementAndGet();
        fetches.computeIfAbsent(domain, k -> new AtomicInteger()).incrementAndGet();
        pause();
        return policies.getOrDefault(domain, PolicyFetchResult.failure(FetchFailure.HOST_NOT_FOUND, "NXDOMAIN"));
    }

    private void pause() {
        long d = delayMillis;
        if (d > 0) {
            try {
                Thread.sleep(d);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void awaitUninterruptibly(CountDownLatch l) {
        boolean interrupted = false;
        while (true) {
            try {
                if (l.await(60, TimeUnit.SECONDS)) {
                    break;
                }
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    int lookups(String domain) {
        AtomicInteger a = lookups.get(domain);
        return a == null ? 0 : a.get();
    }

    int fetches(String domain) {
        AtomicInteger a = fetches.get(domain);
        return a == null ? 0 : a.get();
    }

    int totalLookups() {
        return totalLookups.get();
    }

    int totalFetches() {
        return totalFetches.get();
    }

    Map<String, AtomicInteger> lookupCounts() {
        return lookups;
    }

    void resetCounts() {
        lookups.clear();
        fetches.clear();
        totalLookups.set(0);
        totalFetches.set(0);
    }

    static StsPolicy enforce(String... mx) {
        return policy(StsPolicy.Mode.ENFORCE, 86_400 * 7, mx);
    }

    static StsPolicy policy(StsPolicy.Mode mode, long maxAge, String... mx) {
        try {
            MxPattern[] p = new MxPattern[mx.length];
            for (int i = 0; i < mx.length; i++) {
                p[i] = MxPattern.parse(mx[i]);
            }
            return StsPolicy.of(mode, List.of(p), maxAge);
        } catch (StsSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A clock tests move by hand. */
    static final class MutableClock extends Clock {
        private final AtomicLong millis;

        MutableClock(Instant start) {
            millis = new AtomicLong(start.toEpochMilli());
        }

        static MutableClock now() {
            return new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        }

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }
}
