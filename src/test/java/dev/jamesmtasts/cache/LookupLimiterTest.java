package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;

import dev.jamesmtasts.cache.CacheResult.Bound;
import dev.jamesmtasts.cache.CacheResult.Outcome;
import dev.jamesmtasts.mtasts.SettingException;

/**
 * The cap on cold lookups ({@link LookupLimiter}) and the bounded flight ({@link SingleFlight} with a
 * lookup executor) on their own, without Cassandra: lookups that count their calls and can be held.
 */
class LookupLimiterTest {
    private final MetricRegistry registry = new MetricRegistry();
    private final CacheMetrics metrics = new CacheMetrics(registry);
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger entered = new AtomicInteger();
    private final CacheResult answer = CacheResult.notFound("no record");
    private ThreadPoolExecutor executor;

    @AfterEach
    void tearDown() {
        release.countDown();
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private CacheResult heldLookup(String domain) {
        calls.computeIfAbsent(domain, d -> new AtomicInteger()).incrementAndGet();
        entered.incrementAndGet();
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return answer;
    }

    private int calls(String domain) {
        AtomicInteger c = calls.get(domain);
        return c == null ? 0 : c.get();
    }

    private SingleFlight bounded(Duration waitLimit, LookupLimiter limiter) {
        executor = SingleFlight.lookupExecutor("test", limiter.max());
        return new SingleFlight(this::heldLookup, waitLimit, metrics, executor, limiter);
    }

    // ------------------------------------------------------------------ the limiter

    @Test
    void permitsUpToTheCapThenNoneUntilOneIsReturned() {
        LookupLimiter l = new LookupLimiter(2);

        assertThat(l.tryAcquire()).isTrue();
        assertThat(l.tryAcquire()).isTrue();
        assertThat(l.tryAcquire()).isFalse();
        assertThat(l.running()).isEqualTo(2);
        l.release();
        assertThat(l.running()).isEqualTo(1);
        assertThat(l.tryAcquire()).isTrue();
        assertThat(l.tryAcquire()).isFalse();
    }

    @Test
    void aPermitReturnedTwiceIsABugNotANewPermit() {
        LookupLimiter l = new LookupLimiter(1);
        assertThat(l.tryAcquire()).isTrue();
        l.release();

        assertThatThrownBy(l::release).isInstanceOf(IllegalStateException.class);
        assertThat(l.running()).isZero();
        assertThat(l.tryAcquire()).isTrue();
        assertThat(l.tryAcquire()).isFalse();
    }

    @Test
    void theCapIsCheckedAgainstItsRange() {
        assertThatThrownBy(() -> new LookupLimiter(0)).isInstanceOf(SettingException.class)
                .hasMessageContaining("maxConcurrentLookups");
        assertThatThrownBy(() -> CacheSettings.builder().maxConcurrentLookups(0)).isInstanceOf(SettingException.class);
        assertThat(CacheSettings.defaults().maxConcurrentLookups()).isEqualTo(8);
        assertThat(CacheSettings.builder().maxConcurrentLookups(3).build().maxConcurrentLookups()).isEqualTo(3);
    }

    @Test
    void theBusyReasonSaysWhatToTune() {
        String why = new LookupLimiter(5).busyReason("a.example");

        assertThat(why).contains("a.example").contains("cache.maxConcurrentLookups=5").contains("Raise")
                .contains("retried");
    }

    @Test
    void manyThreadsNeverHoldMoreThanTheCap() throws Exception {
        LookupLimiter l = new LookupLimiter(3);
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger granted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 2_000; i++) {
                        if (l.tryAcquire()) {
                            granted.incrementAndGet();
                            most.accumulateAndGet(holding.incrementAndGet(), Math::max);
                            holding.decrementAndGet();
                            l.release();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(granted.get()).isPositive();
        assertThat(most.get()).isBetween(1, 3);
        assertThat(l.running()).isZero();
    }

    // ------------------------------------------------------------------ the bounded flight

    @Test
    void theOwnerOfAFlightGivesUpAtTheFlightTimeOutAndTheLookupGoesOn() {
        LookupLimiter limiter = new LookupLimiter(2);
        SingleFlight flights = bounded(Duration.ofMillis(100), limiter);

        CacheResult owner = flights.get("a.example", true);

        assertThat(owner.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(owner.bound()).isEqualTo(Bound.FLIGHT_TIMEOUT);
        assertThat(owner.reason()).contains("did not finish").contains("background");
        assertThat(registry.counter("mtasts.cache.lookup.timedout").getCount()).isEqualTo(1);
        // the lookup still runs and still holds its permit
        assertThat(flights.inFlight("a.example")).isTrue();
        assertThat(limiter.running()).isEqualTo(1);

        release.countDown();

        await().atMost(Duration.ofSeconds(30)).until(() -> !flights.inFlight("a.example") && limiter.running() == 0);
        assertThat(calls("a.example")).isEqualTo(1);
    }

    @Test
    void beyondTheCapAColdGetIsBusyAtOnceAndStartsNoLookup() {
        LookupLimiter limiter = new LookupLimiter(1);
        SingleFlight flights = bounded(Duration.ofMillis(100), limiter);
        assertThat(flights.get("a.example", true).bound()).isEqualTo(Bound.FLIGHT_TIMEOUT);

        CacheResult other = flights.get("b.example", true);

        assertThat(other.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(other.bound()).isEqualTo(Bound.LOOKUP_CAP);
        assertThat(other.reason()).contains("cache.maxConcurrentLookups=1");
        assertThat(calls("b.example")).isZero();
        assertThat(flights.inFlight("b.example")).isFalse();
        assertThat(registry.counter("mtasts.cache.lookup.rejected").getCount()).isEqualTo(1);
        // a second get of the domain in flight joins it: no permit needed, no second lookup
        assertThat(flights.get("a.example", true).bound()).isEqualTo(Bound.FLIGHT_TIMEOUT);
        assertThat(registry.counter("mtasts.cache.lookup.rejected").getCount()).isEqualTo(1);
        // a domain with a usable answer in memory (not cold) needs no permit
        assertThat(flights.get("c.example", false).bound()).isEqualTo(Bound.FLIGHT_TIMEOUT);
        await().atMost(Duration.ofSeconds(30)).until(() -> calls("c.example") == 1);

        release.countDown();

        await().atMost(Duration.ofSeconds(30)).until(() -> limiter.running() == 0 && !flights.inFlight("a.example"));
        assertThat(flights.get("b.example", true)).isSameAs(answer); // its turn now
        assertThat(calls("a.example")).isEqualTo(1);
        assertThat(calls("b.example")).isEqualTo(1);
    }

    @Test
    void aLookupTheExecutorRefusesIsBusyAndReturnsItsPermit() {
        LookupLimiter limiter = new LookupLimiter(1);
        SingleFlight flights = new SingleFlight(this::heldLookup, Duration.ofSeconds(30), metrics, r -> {
            throw new java.util.concurrent.RejectedExecutionException("no thread");
        }, limiter);

        CacheResult r = flights.get("a.example", true);

        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.bound()).isEqualTo(Bound.LOOKUP_CAP);
        assertThat(limiter.running()).isZero();
        assertThat(flights.inFlight("a.example")).isFalse();
        assertThat(calls("a.example")).isZero();
    }

    @Test
    void aFastLookupAnswersItsOwnerThroughTheExecutor() {
        LookupLimiter limiter = new LookupLimiter(1);
        executor = SingleFlight.lookupExecutor("test", 1);
        SingleFlight flights = new SingleFlight(d -> answer, Duration.ofSeconds(30), metrics, executor, limiter);

        for (int i = 0; i < 5; i++) {
            assertThat(flights.get("a.example", true)).isSameAs(answer);
            // the permit is returned before the flight lands: the next cold get finds it free
            assertThat(limiter.running()).isZero();
            assertThat(flights.inFlight("a.example")).isFalse();
        }
        assertThat(registry.counter("mtasts.cache.lookup.rejected").getCount()).isZero();
        assertThat(answer.bound()).isEqualTo(Bound.NONE);
    }
}
