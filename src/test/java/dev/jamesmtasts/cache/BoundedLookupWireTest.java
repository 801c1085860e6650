package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;

import dev.jamesmtasts.cache.CacheResult.Bound;
import dev.jamesmtasts.cache.CacheResult.Outcome;
import dev.jamesmtasts.mtasts.MtaStsResolver;

/**
 * Issue 9, "bounded work", in the cache: the delivery thread that starts a first lookup waits at most
 * the flight time-out, and at most {@code maxConcurrentLookups} first lookups run at once while mail
 * to domains already in memory keeps its answers. Real Cassandra, the real resolver, the test DNS
 * server holding TXT answers back ({@code delay}).
 *
 * <p>No assertion on wall time: the DNS delays are far longer than the flight time-out, so the
 * lookups are still running when the gets answer; what is asserted is the typed results, the
 * servers' counters and what the next get answers. {@code assertTimeoutPreemptively} is only a hang guard.
 */
class BoundedLookupWireTest extends WireTestSupport {
    private static final Duration HANG_GUARD = Duration.ofSeconds(90);
    /** Short, so that the DNS delays below are long against it. */
    private static final Duration FLIGHT_TIMEOUT = Duration.ofMillis(300);
    /** How long the test DNS server holds a tarpit's TXT answer: within the resolver's DNS time-out below. */
    private static final Duration TXT_DELAY = Duration.ofSeconds(4);

    private MtaStsResolver patient;

    @AfterEach
    void closeResolver() {
        for (int i = 0; i < 5; i++) {
            bed.dns().delay("_mta-sts.t" + i + "." + domain, null);
        }
        bed.dns().delay("_mta-sts." + domain, null);
        if (patient != null) {
            patient.close();
        }
    }

    /** A cache whose lookups take the DNS delays (15 s DNS time-out) but whose gets wait only FLIGHT_TIMEOUT. */
    private PolicyCache boundedCache(int maxConcurrentLookups, MetricRegistry registry) {
        settings = settings.toBuilder().flightTimeout(FLIGHT_TIMEOUT).maxConcurrentLookups(maxConcurrentLookups).build();
        patient = new MtaStsResolver(bed.settings().dnsTimeout(Duration.ofSeconds(15)).build());
        return newCache(patient, registry);
    }

    @Test
    void aFirstLookupSlowerThanTheFlightTimeOutAnswersItsOwnerErrorAndFillsTheCacheForTheNextGet() {
        MetricRegistry registry = new MetricRegistry();
        PolicyCache c = boundedCache(8, registry);
        String text = enforceText(domain, 86_400);
        bed.publish(domain, "id1", text);
        bed.dns().delay("_mta-sts." + domain, TXT_DELAY);

        CacheResult first = assertTimeoutPreemptively(HANG_GUARD, () -> c.get(domain));

        assertThat(first.outcome()).as(first.toString()).isEqualTo(Outcome.ERROR);
        assertThat(first.bound()).isEqualTo(Bound.FLIGHT_TIMEOUT);
        assertThat(first.reason()).contains("did not finish").contains("next attempt");
        assertThat(registry.counter("mtasts.cache.lookup.timedout").getCount()).isEqualTo(1);
        // the TXT answer cannot have come yet (it is held TXT_DELAY): the lookup runs on, in the background
        assertThat(c.inFlight(domain)).isTrue();

        await().atMost(HANG_GUARD).until(() -> !c.inFlight(domain) && c.coldLookupsRunning() == 0);
        Wire after = wire(domain);
        assertThat(after.txt).isPositive();
        assertThat(after.get).isEqualTo(1);

        CacheResult next = assertTimeoutPreemptively(HANG_GUARD, () -> c.get(domain));
        assertThat(next.outcome()).as(next.toString()).isEqualTo(Outcome.OK);
        assertThat(next.bound()).isEqualTo(Bound.NONE);
        assertThat(next.policy()).isEqualTo(parse(text));
        assertThat(next.recordId()).isEqualTo("id1");
        assertThat(wire(domain)).isEqualTo(after); // answered from the cache: no DNS, no HTTPS
        assertThat(c.show(domain)).isPresent();
        assertThat(registry.counter("mtasts.cache.lookup.rejected").getCount()).isZero();
    }

    @Test
    void withTheCapAtTwoFiveTarpitDomainsHoldTwoLookupsWhileAKnownDomainKeepsItsPolicy() throws Exception {
        MetricRegistry registry = new MetricRegistry();
        PolicyCache c = boundedCache(2, registry);
        String knownText = enforceText(domain, 86_400);
        bed.publish(domain, "id1", knownText);
        assertThat(settled(c, domain).policy()).isEqualTo(parse(knownText));
        List<String> tarpits = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String t = "t" + i + "." + domain;
            tarpits.add(t);
            bed.publish(t, "id1", enforceText(t, 86_400));
            bed.dns().delay("_mta-sts." + t, TXT_DELAY);
        }

        List<CacheResult> results = assertTimeoutPreemptively(HANG_GUARD, () -> concurrentGets(c, tarpits));

        int timedOut = 0;
        int busy = 0;
        for (CacheResult r : results) {
            assertThat(r.outcome()).as(r.toString()).isEqualTo(Outcome.ERROR);
            if (r.bound() == Bound.FLIGHT_TIMEOUT) {
                timedOut++;
            } else {
                assertThat(r.bound()).as(r.toString()).isEqualTo(Bound.LOOKUP_CAP);
                assertThat(r.reason()).contains("cache.maxConcurrentLookups=2");
                busy++;
            }
        }
        assertThat(timedOut).isEqualTo(2);
        assertThat(busy).isEqualTo(3);
        assertThat(registry.counter("mtasts.cache.lookup.rejected").getCount()).isEqualTo(3);
        assertThat(c.coldLookupsRunning()).isLessThanOrEqualTo(2);

        // meanwhile (the two tarpit TXT answers are still held): the known domain answers from memory
        long inFlight = tarpits.stream().filter(c::inFlight).count();
        CacheResult known = c.get(domain);
        assertThat(known.outcome()).isEqualTo(Outcome.OK);
        assertThat(known.policy()).isEqualTo(parse(knownText));
        assertThat(inFlight).isEqualTo(2);

        await().atMost(HANG_GUARD).until(() -> c.coldLookupsRunning() == 0 && tarpits.stream().noneMatch(c::inFlight));
        // only two tarpit domains ever reached the DNS server
        List<String> queried = new ArrayList<>();
        for (String t : tarpits) {
            if (txt(t) > 0) {
                queried.add(t);
            }
        }
        assertThat(queried).hasSize(2);
        for (String t : queried) {
            assertThat(c.get(t).outcome()).isEqualTo(Outcome.OK); // filled by the lookup that outlived its caller
        }
        // a deferred domain gets its turn on the next attempt
        String deferred = tarpits.stream().filter(t -> !queried.contains(t)).findFirst().orElseThrow();
        bed.dns().delay("_mta-sts." + deferred, null);
        CacheResult turn = settled(c, deferred);
        assertThat(turn.outcome()).as(turn.toString()).isEqualTo(Outcome.OK);
        assertThat(turn.policy()).isEqualTo(parse(enforceText(deferred, 86_400)));
    }

    /**
     * What a get of {@code d} answers once a lookup has landed: gets again while the answer is a
     * flight time-out (a loaded machine can take longer than FLIGHT_TIMEOUT even without a DNS delay),
     * as the mailet's next attempts would.
     */
    private static CacheResult settled(PolicyCache c, String d) {
        CacheResult[] last = new CacheResult[1];
        await().atMost(HANG_GUARD).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = c.get(d);
            return last[0].bound() != Bound.FLIGHT_TIMEOUT;
        });
        await().atMost(HANG_GUARD).until(() -> !c.inFlight(d) && c.coldLookupsRunning() == 0);
        return last[0];
    }

    /** One get per domain, released at once, each on its own thread. */
    private static List<CacheResult> concurrentGets(PolicyCache c, List<String> domains) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(domains.size());
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<CacheResult>> fs = new ArrayList<>();
            for (String d : domains) {
                fs.add(pool.submit(() -> {
                    go.await();
                    return c.get(d);
                }));
            }
            go.countDown();
            List<CacheResult> out = new ArrayList<>();
            for (Future<CacheResult> f : fs) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
