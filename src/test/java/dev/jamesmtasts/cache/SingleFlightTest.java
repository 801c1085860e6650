package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;

/**
 * Single flight and background revalidation on their own, without Cassandra: a lookup function that
 * counts its calls and can be held.
 */
class SingleFlightTest {
    private final MetricRegistry registry = new MetricRegistry();
    private final CacheMetrics metrics = new CacheMetrics(registry);
    private final AtomicInteger calls = new AtomicInteger();
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final CacheResult answer = CacheResult.notFound("no record");

    private CacheResult heldLookup(String domain) {
        calls.incrementAndGet();
        entered.countDown();
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return answer;
    }

    @Test
    void concurrentGetsOfOneDomainShareOneLookup() throws Exception {
        SingleFlight flights = new SingleFlight(this::heldLookup, Duration.ofSeconds(30), metrics);
        CompletableFuture<CacheResult> first = CompletableFuture.supplyAsync(() -> flights.get("a.example"));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<CacheResult> second = new CompletableFuture<>();
        Thread waiter = new Thread(() -> second.complete(flights.get("a.example")));
        waiter.start();
        // the first lookup is held, so the second get can only be waiting for it
        await().atMost(Duration.ofSeconds(30)).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);
        assertThat(flights.inFlight("a.example")).isTrue();

        release.countDown();

        assertThat(first.get(30, TimeUnit.SECONDS)).isSameAs(answer);
        assertThat(second.get(30, TimeUnit.SECONDS)).isSameAs(answer);
        assertThat(calls).hasValue(1);
        assertThat(flights.inFlight("a.example")).isFalse();
    }

    @Test
    void aWaiterGivesUpWithAnErrorAfterTheWaitLimit() throws Exception {
        SingleFlight flights = new SingleFlight(this::heldLookup, Duration.ofMillis(50), metrics);
        CompletableFuture<CacheResult> first = CompletableFuture.supplyAsync(() -> flights.get("a.example"));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

        CacheResult waiter = flights.get("a.example");

        assertThat(waiter.outcome()).isEqualTo(CacheResult.Outcome.ERROR);
        assertThat(waiter.reason()).contains("did not finish");
        release.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS)).isSameAs(answer);
    }

    @Test
    void aLookupThatThrowsIsAnErrorAndLandsItsFlight() {
        SingleFlight flights = new SingleFlight(d -> {
            throw new IllegalStateException("boom");
        }, Duration.ofSeconds(30), metrics);

        CacheResult r = flights.get("a.example");

        assertThat(r.outcome()).isEqualTo(CacheResult.Outcome.ERROR);
        assertThat(r.reason()).contains("boom");
        assertThat(flights.inFlight("a.example")).isFalse();
    }

    @Test
    void aRevalidationRunsInTheBackgroundAndIsNotDoubled() throws Exception {
        SingleFlight flights = new SingleFlight(this::heldLookup, Duration.ofSeconds(30), metrics);
        Revalidator revalidator = new Revalidator(flights, metrics, "test");
        LinkedBlockingQueue<CacheResult> done = new LinkedBlockingQueue<>();
        revalidator.listener((d, r) -> done.add(r));
        CacheResult stillValid = CacheResult.noPolicy("still valid");
        try {
            revalidator.start("a.example", stillValid);
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            revalidator.start("a.example", stillValid); // one is in flight: not started again

            release.countDown();

            assertThat(done.poll(30, TimeUnit.SECONDS)).isSameAs(answer);
            assertThat(calls).hasValue(1);
            assertThat(registry.counter("mtasts.cache.revalidate.started").getCount()).isEqualTo(1);
        } finally {
            revalidator.close();
        }
        assertThat(revalidator.terminated()).isTrue();
    }

    @Test
    void aRevalidationThatThrowsIsCountedAndNeverThrown() throws Exception {
        SingleFlight flights = new SingleFlight(d -> {
            throw new IllegalStateException("boom");
        }, Duration.ofSeconds(30), metrics);
        Revalidator revalidator = new Revalidator(flights, metrics, "test");
        LinkedBlockingQueue<CacheResult> done = new LinkedBlockingQueue<>();
        revalidator.listener((d, r) -> done.add(r));
        try {
            revalidator.start("a.example", CacheResult.noPolicy("still valid"));

            assertThat(done.poll(30, TimeUnit.SECONDS).outcome()).isEqualTo(CacheResult.Outcome.ERROR);
            assertThat(registry.counter("mtasts.cache.revalidate.failed").getCount()).isEqualTo(1);
        } finally {
            revalidator.close();
        }
    }
}
