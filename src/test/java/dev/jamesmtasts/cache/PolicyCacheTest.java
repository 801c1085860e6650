package dev.jamesmtasts.cache;

import static dev.jamesmtasts.cache.FakePolicySource.enforce;
import static dev.jamesmtasts.cache.FakePolicySource.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.cache.CacheResult.Outcome;
import dev.jamesmtasts.cache.FakePolicySource.MutableClock;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsRecord;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.CassandraNode;

/**
 * Checklist §5 (cache semantics) against a real Cassandra node, with a counting policy source.
 */
class PolicyCacheTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private MutableClock clock;
    private FakePolicySource source;
    private MetricRegistry metrics;
    private CacheSettings settings;
    private PolicyCache cache;
    private RevalidationProbe revalidations;
    private String domain;

    @BeforeEach
    void setUp() {
        clock = MutableClock.now();
        source = new FakePolicySource();
        metrics = new MetricRegistry();
        settings = CacheSettings.builder().keyspace(CASSANDRA.keyspace()).build();
        cache = PolicyCache.create(CASSANDRA.session(), source, settings, clock, metrics, "node-a");
        revalidations = RevalidationProbe.attach(cache);
        domain = "d" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36) + ".example";
    }

    @AfterEach
    void tearDown() {
        cache.close();
    }

    private StoredPolicy row() {
        return cache.show(domain).orElse(null);
    }

    private void afterIdCheckInterval() {
        clock.advance(settings.idCheckInterval().plusSeconds(1));
    }

    /** The result of the background revalidation the last get started (what a synchronous get used to return). */
    private CacheResult revalidated() {
        return revalidations.next(domain);
    }

    @Test
    void firstGetFetchesStoresAndLaterGetsHitTheNearCache() {
        StsPolicy p = enforce("mx1." + domain, "*.mx." + domain);
        source.publish(domain, "id1", p);
        Instant t0 = clock.instant();

        CacheResult r = cache.get(domain);

        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.policy()).isEqualTo(p);
        assertThat(r.recordId()).isEqualTo("id1");
        assertThat(r.fresh()).isTrue();
        StoredPolicy row = row();
        assertThat(row.recordId()).isEqualTo("id1");
        assertThat(row.policy()).isEqualTo(p);
        assertThat(row.policy().text()).isEqualTo(p.text());
        assertThat(row.lastUpdate()).isEqualTo(t0);
        assertThat(row.validUntil()).isEqualTo(t0.plusSeconds(p.maxAgeSeconds()));
        assertThat(row.inserted()).isEqualTo(t0);
        assertThat(row.backoff()).isFalse();

        for (int i = 0; i < 100; i++) {
            CacheResult again = cache.get(domain.toUpperCase());
            assertThat(again.policy()).isEqualTo(p);
        }
        assertThat(source.lookups(domain)).isEqualTo(1);
        assertThat(source.fetches(domain)).isEqualTo(1);
        assertThat(metrics.counter("mtasts.cache.near.hits").getCount()).isEqualTo(100);
        assertThat(metrics.counter("mtasts.cache.get.ok").getCount()).isEqualTo(101);
        assertThat(metrics.counter("mtasts.cache.near.misses").getCount()).isEqualTo(1);
        assertThat((Double) metrics.getGauges().get("mtasts.cache.near.hitratio").getValue()).isCloseTo(100.0 / 101,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(metrics.timer("mtasts.fetch.latency").getCount()).isEqualTo(1);
    }

    @Test
    void idIsRecheckedOnUseOncePerIntervalAndAnUnchangedIdIsNotRefetched() {
        source.publish(domain, "id1", enforce("mx." + domain));
        cache.get(domain);
        clock.advance(Duration.ofSeconds(30));
        cache.get(domain);
        assertThat(source.lookups(domain)).isEqualTo(1);

        afterIdCheckInterval();
        CacheResult r = cache.get(domain);

        // the cached policy at once; the id check runs in the background
        assertThat(r.fresh()).isFalse();
        assertThat(r.recordId()).isEqualTo("id1");
        CacheResult checked = revalidated();
        assertThat(checked.fresh()).isTrue();
        assertThat(checked.reason()).contains("id id1 confirmed");
        assertThat(source.lookups(domain)).isEqualTo(2);
        assertThat(source.fetches(domain)).isEqualTo(1);
        // checked: the next get within the interval is answered from memory
        assertThat(cache.get(domain).recordId()).isEqualTo("id1");
        assertThat(source.lookups(domain)).isEqualTo(2);
        assertThat(revalidations.pending(domain)).isZero();
    }

    @Test
    void idCheckIntervalZeroChecksEveryGet() {
        cache.close();
        cache = PolicyCache.create(CASSANDRA.session(), source, settings.toBuilder().idCheckInterval(Duration.ZERO).build(),
                clock, new MetricRegistry(), "node-a");
        source.publish(domain, "id1", enforce("mx." + domain));
        for (int i = 0; i < 5; i++) {
            assertThat(cache.get(domain).policy()).isNotNull();
        }
        assertThat(source.lookups(domain)).isEqualTo(5);
        assertThat(source.fetches(domain)).isEqualTo(1);
        // also past the near-cache TTL: checked in the get itself, nothing in the background
        clock.advance(settings.nearCacheTtl().plusSeconds(1));
        assertThat(cache.get(domain).fresh()).isTrue();
        assertThat(source.lookups(domain)).isEqualTo(6);
        assertThat(cache.inFlight(domain)).isFalse();
        assertThat(cache.revalidatorTerminated()).isTrue(); // there is no revalidation executor
    }

    // ------------------------------------------------------------------ stale-while-revalidate

    @Test
    void aDueIdCheckReturnsTheCachedPolicyWithoutWaitingForDnsAndTheRevalidationThenStoresTheNewId() {
        StsPolicy p1 = enforce("mx1." + domain);
        source.publish(domain, "id1", p1);
        cache.get(domain);
        StsPolicy p2 = enforce("mx2." + domain);
        source.publish(domain, "id2", p2);
        CountDownLatch dns = new CountDownLatch(1);
        source.blockDomain = domain;
        source.block = dns;
        afterIdCheckInterval();
        try {
            CacheResult r = cache.get(domain);

            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.policy()).isEqualTo(p1);
            assertThat(r.recordId()).isEqualTo("id1");
            assertThat(r.fresh()).isFalse();
            // the get returned while its TXT lookup is still held in the DNS source
            await().atMost(Duration.ofSeconds(30)).until(() -> source.blocked.getCount() == 0);
            assertThat(cache.inFlight(domain)).isTrue();
            assertThat(revalidations.pending(domain)).isZero();
            // more gets meanwhile: the cached policy, and no second lookup
            for (int i = 0; i < 10; i++) {
                assertThat(cache.get(domain).recordId()).isEqualTo("id1");
            }
            assertThat(source.lookups(domain)).isEqualTo(2);
            assertThat(row().recordId()).isEqualTo("id1");
        } finally {
            dns.countDown();
        }

        CacheResult done = revalidated();
        assertThat(done.policy()).isEqualTo(p2);
        assertThat(done.recordId()).isEqualTo("id2");
        assertThat(done.fresh()).isTrue();
        assertThat(row().recordId()).isEqualTo("id2");
        assertThat(row().policy()).isEqualTo(p2);
        assertThat(row().lastUpdate()).isEqualTo(clock.instant());
        CacheResult next = cache.get(domain);
        assertThat(next.policy()).isEqualTo(p2);
        assertThat(next.recordId()).isEqualTo("id2");
        assertThat(source.lookups(domain)).isEqualTo(2);
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(metrics.counter("mtasts.cache.revalidate.started").getCount()).isEqualTo(1);
        assertThat(metrics.counter("mtasts.cache.stale").getCount()).isEqualTo(11);
        assertThat(metrics.counter("mtasts.cache.revalidate.failed").getCount()).isZero();
    }

    @Test
    void hundredConcurrentGetsWithADueIdCheckMakeOneTxtLookup() throws Exception {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        CountDownLatch dns = new CountDownLatch(1);
        source.blockDomain = domain;
        source.block = dns;
        afterIdCheckInterval();
        try {
            // every get returns while the one TXT lookup is held
            List<CacheResult> results = concurrentGets(100, 100);
            assertThat(results).hasSize(100);
            for (CacheResult r : results) {
                assertThat(r.policy()).isEqualTo(p);
                assertThat(r.recordId()).isEqualTo("id1");
            }
        } finally {
            dns.countDown();
        }
        CacheResult checked = revalidated();
        assertThat(checked.reason()).contains("id id1 confirmed");
        revalidations.idle(domain);
        assertThat(source.lookups(domain)).isEqualTo(2); // the first get's and the revalidation's
        assertThat(source.fetches(domain)).isEqualTo(1);
        assertThat(revalidations.pending(domain)).isZero();
        assertThat(metrics.counter("mtasts.cache.revalidate.started").getCount()).isEqualTo(1);
    }

    @Test
    void aBackgroundRevalidationWithAChangedIdAndAFailingFetchKeepsThePolicyAndRetriesAfterTheBackoff() {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        StoredPolicy before = row();
        source.record(domain, RecordLookupResult.found(StsRecord.of("id2"))).fetchFails(domain);
        afterIdCheckInterval();

        assertThat(cache.get(domain).policy()).isEqualTo(p);
        CacheResult r = revalidated();
        assertThat(r.policy()).isEqualTo(p);
        assertThat(r.recordId()).isEqualTo("id1");
        assertThat(r.reason()).contains("id changed to id2").contains("HTTP 500");
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(row().recordId()).isEqualTo("id1");
        assertThat(row().policy()).isEqualTo(p);
        assertThat(row().lastUpdate()).isEqualTo(before.lastUpdate());
        assertThat(row().validUntil()).isEqualTo(before.validUntil());
        assertThat(row().backoff()).isFalse();

        // RFC 8461 §3.3: the next due checks (in the background too) do not re-fetch for 5 minutes
        for (int i = 0; i < 3; i++) {
            afterIdCheckInterval();
            assertThat(cache.get(domain).policy()).isEqualTo(p);
            CacheResult again = revalidated();
            assertThat(again.policy()).isEqualTo(p);
            assertThat(again.reason()).contains("failed recently");
        }
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(source.lookups(domain)).isEqualTo(5);

        // after the backoff: one new fetch, which succeeds, in the background
        StsPolicy p2 = enforce("mx2." + domain);
        source.publish(domain, "id2", p2);
        clock.advance(settings.backoff());
        assertThat(cache.get(domain).policy()).isEqualTo(p);
        assertThat(revalidated().recordId()).isEqualTo("id2");
        assertThat(source.fetches(domain)).isEqualTo(3);
        assertThat(cache.get(domain).policy()).isEqualTo(p2);
        assertThat(row().recordId()).isEqualTo("id2");
        assertThat(metrics.counter("mtasts.cache.revalidate.failed").getCount()).isZero();
    }

    @Test
    void aLastingDnsErrorAfterNoRecordBecomesAnErrorNotAnEndlessNoPolicy() {
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.NOT_FOUND);
        source.dnsDown(domain);

        // one interval late: the cached "no record", checked in the background (which fails)
        afterIdCheckInterval();
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(revalidated().outcome()).isEqualTo(Outcome.ERROR);

        // two intervals without a successful check: the get checks itself, and reports the error
        afterIdCheckInterval();
        CacheResult r = cache.get(domain);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.reason()).contains("temporary DNS error");
        assertThat(source.lookups(domain)).isEqualTo(3);
        assertThat(revalidations.pending(domain)).isZero();
    }

    @Test
    void closeStopsTheRevalidationExecutor() {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        afterIdCheckInterval();
        assertThat(cache.get(domain).policy()).isEqualTo(p);
        assertThat(revalidated().fresh()).isTrue();
        assertThat(cache.revalidatorTerminated()).isFalse();

        cache.close();

        assertThat(cache.revalidatorTerminated()).isTrue();
        // a get after close still answers from memory, and starts nothing
        afterIdCheckInterval();
        assertThat(cache.get(domain).policy()).isEqualTo(p);
        assertThat(cache.inFlight(domain)).isFalse();
        assertThat(metrics.counter("mtasts.cache.revalidate.rejected").getCount()).isEqualTo(1);
        assertThat(metrics.counter("mtasts.cache.revalidate.started").getCount()).isEqualTo(1);
        assertThat(source.lookups(domain)).isEqualTo(2);
        assertThat(revalidations.pending(domain)).isZero();
    }

    @Test
    void cachedEnforceAndTxtNxdomainKeepsThePolicyUntilItExpires() {
        StsPolicy p = policy(StsPolicy.Mode.ENFORCE, 3600, "mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        source.txtGone(domain);
        afterIdCheckInterval();

        CacheResult stale = cache.get(domain);
        assertThat(stale.outcome()).isEqualTo(Outcome.OK);
        assertThat(stale.policy()).isEqualTo(p);
        assertThat(stale.fresh()).isFalse();

        CacheResult r = revalidated();
        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.policy()).isEqualTo(p);
        assertThat(r.fresh()).isFalse();
        assertThat(r.reason()).contains("TXT record gone");
        assertThat(row()).isNotNull();
        assertThat(cache.get(domain).policy()).isEqualTo(p);

        // a new node (empty near cache) keeps it too
        cache.clearNearCache();
        clock.advance(Duration.ofMinutes(30));
        assertThat(cache.get(domain).policy()).isEqualTo(p);

        // after valid_until the policy no longer applies
        clock.advance(Duration.ofMinutes(31));
        CacheResult expired = cache.get(domain);
        assertThat(expired.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(expired.policy()).isNull();
    }

    @Test
    void cachedEnforceAndIdChangedAndRefetchFailsKeepsTheCachedPolicy() {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        source.record(domain, RecordLookupResult.found(StsRecord.of("id2"))).fetchFails(domain);
        afterIdCheckInterval();

        CacheResult stale = cache.get(domain);
        assertThat(stale.policy()).isEqualTo(p);
        assertThat(stale.recordId()).isEqualTo("id1");

        CacheResult r = revalidated();
        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.policy()).isEqualTo(p);
        assertThat(r.recordId()).isEqualTo("id1");
        assertThat(r.reason()).contains("id changed to id2").contains("HTTP 500");
        assertThat(source.fetches(domain)).isEqualTo(2);
        StoredPolicy row = row();
        assertThat(row.recordId()).isEqualTo("id1");
        assertThat(row.policy()).isEqualTo(p);
        assertThat(row.backoff()).isFalse();
        // the policy still applies, from memory, and the failed re-fetch is not retried at once
        assertThat(cache.get(domain).policy()).isEqualTo(p);
        assertThat(source.fetches(domain)).isEqualTo(2);
    }

    @Test
    void idChangedAndRefetchSucceedsStoresTheNewPolicy() {
        source.publish(domain, "id1", enforce("old." + domain));
        cache.get(domain);
        StsPolicy p2 = policy(StsPolicy.Mode.TESTING, 86400, "new." + domain);
        source.publish(domain, "id2", p2);
        afterIdCheckInterval();

        CacheResult stale = cache.get(domain);
        assertThat(stale.policy()).isEqualTo(enforce("old." + domain));
        assertThat(stale.recordId()).isEqualTo("id1");

        CacheResult r = revalidated();
        assertThat(r.policy()).isEqualTo(p2);
        assertThat(r.recordId()).isEqualTo("id2");
        assertThat(cache.get(domain).policy()).isEqualTo(p2);
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(row().recordId()).isEqualTo("id2");
        assertThat(row().policy()).isEqualTo(p2);
        assertThat(row().validUntil()).isEqualTo(clock.instant().plusSeconds(86400));
    }

    @Test
    void anExpiredPolicyIsRefetchedAndAFailedRefetchThenBacksOff() {
        StsPolicy p = policy(StsPolicy.Mode.ENFORCE, 600, "mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        clock.advance(Duration.ofSeconds(601));

        CacheResult r = cache.get(domain);

        assertThat(r.policy()).isEqualTo(p);
        assertThat(r.fresh()).isTrue();
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(row().validUntil()).isEqualTo(clock.instant().plusSeconds(600));

        // expired again, and now the fetch fails: nothing valid is cached, so backoff (no policy)
        source.fetchFails(domain);
        clock.advance(Duration.ofSeconds(601));
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
        assertThat(row().backoff()).isTrue();
        assertThat(row().policy()).isEqualTo(p); // the expired policy stays for show(), never applied
        clock.advance(Duration.ofMinutes(1));
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
        // the near entry's TTL passed: the store is re-read in the background, the backoff stands
        assertThat(revalidated().outcome()).isEqualTo(Outcome.BACKOFF);
        assertThat(source.fetches(domain)).isEqualTo(3);
    }

    @Test
    void temporaryDnsErrorWithAPolicyCachedKeepsThePolicy() {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        source.dnsDown(domain);
        afterIdCheckInterval();

        assertThat(cache.get(domain).policy()).isEqualTo(p);
        CacheResult r = revalidated();

        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.policy()).isEqualTo(p);
        assertThat(r.reason()).contains("SERVFAIL");
        assertThat(cache.get(domain).policy()).isEqualTo(p);
    }

    @Test
    void temporaryDnsErrorWithNothingCachedIsAnError() {
        source.dnsDown(domain);

        CacheResult r = cache.get(domain);

        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.policy()).isNull();
        assertThat(row()).isNull();
        assertThat(metrics.counter("mtasts.cache.get.error").getCount()).isEqualTo(1);
    }

    @Test
    void fetchFailureWithNothingCachedWritesABackoffRowAndDoesNotRefetchForFiveMinutes() {
        source.record(domain, RecordLookupResult.found(StsRecord.of("id1"))).fetchFails(domain);
        Instant t0 = clock.instant();

        CacheResult r = cache.get(domain);

        assertThat(r.outcome()).isEqualTo(Outcome.BACKOFF);
        assertThat(r.policy()).isNull();
        StoredPolicy row = row();
        assertThat(row.backoff()).isTrue();
        assertThat(row.backoffUntil()).isEqualTo(t0.plus(Duration.ofMinutes(5)));
        assertThat(row.policy()).isNull();
        assertThat(row.backoffReason()).contains("HTTP 500");

        // during the backoff: no lookup, no fetch, on this node or on a node with a cold near cache
        for (int minute = 1; minute <= 4; minute++) {
            clock.advance(Duration.ofMinutes(1));
            if (minute == 2) {
                cache.clearNearCache();
            }
            assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
        }
        clock.advance(Duration.ofSeconds(59));
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
        assertThat(source.fetches(domain)).isEqualTo(1);
        assertThat(source.lookups(domain)).isEqualTo(1);
        assertThat(metrics.counter("mtasts.cache.get.backoff").getCount()).isEqualTo(6);
        revalidations.idle(domain); // the store re-reads started by the gets above are done

        // backoff over: the next get fetches again, and a success replaces the backoff
        clock.advance(Duration.ofSeconds(2));
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        CacheResult after = cache.get(domain);
        assertThat(after.policy()).isEqualTo(p);
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(row().backoff()).isFalse();
        assertThat(row().policy()).isEqualTo(p);
    }

    @Test
    void aBackoffNeverOverwritesAPolicyStoredByAnotherNode() {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        // another node that failed to fetch writes a backoff later: the policy must still apply
        cache.store().writeBackoff(domain, clock.instant().plusSeconds(1), clock.instant().plusSeconds(301), "HTTP 500", null);
        cache.clearNearCache();
        clock.advance(Duration.ofSeconds(2));
        CacheResult r = cache.get(domain);
        assertThat(r.policy()).isEqualTo(p);
        assertThat(row().policy()).isEqualTo(p);
    }

    @Test
    void cachedNoneWhoseTxtVanishedIsDeleted() {
        source.publish(domain, "id1", policy(StsPolicy.Mode.NONE, 86400));
        CacheResult first = cache.get(domain);
        assertThat(first.outcome()).isEqualTo(Outcome.OK);
        assertThat(first.policy()).isNull();
        assertThat(row().policy().mode()).isEqualTo(StsPolicy.Mode.NONE);

        source.txtGone(domain);
        afterIdCheckInterval();
        CacheResult stale = cache.get(domain);
        assertThat(stale.outcome()).isEqualTo(Outcome.OK);
        assertThat(stale.policy()).isNull();

        CacheResult r = revalidated();
        assertThat(r.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(row()).isNull();
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(source.lookups(domain)).isEqualTo(2);
    }

    @Test
    void noRecordIsNotFoundAndIsNotStored() {
        CacheResult r = cache.get(domain);
        assertThat(r.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(row()).isNull();
        cache.get(domain);
        assertThat(source.lookups(domain)).isEqualTo(1);
        afterIdCheckInterval();
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(revalidated().outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(source.lookups(domain)).isEqualTo(2);
        assertThat(source.fetches(domain)).isZero();
        assertThat(row()).isNull();
    }

    @Test
    void multipleOrInvalidRecordsMeanNoPolicy() {
        source.record(domain, RecordLookupResult.multipleRecords("2 STS records"));
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.NOT_FOUND);
        String other = "x" + domain;
        source.record(other, RecordLookupResult.invalidRecord("bad id"));
        assertThat(cache.get(other).outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(source.totalFetches()).isZero();
    }

    @Test
    void bodyIsRefetchedAfterHalfMaxAgeEvenWithAnUnchangedId() {
        StsPolicy v1 = policy(StsPolicy.Mode.ENFORCE, 2 * 86400, "mx1." + domain);
        source.publish(domain, "same", v1);
        cache.get(domain);
        StsPolicy v2 = policy(StsPolicy.Mode.ENFORCE, 2 * 86400, "mx2." + domain);
        source.publish(domain, "same", v2);

        clock.advance(Duration.ofHours(23));
        assertThat(cache.get(domain).policy()).isEqualTo(v1);
        assertThat(revalidated().policy()).isEqualTo(v1); // id confirmed, body not due yet
        assertThat(source.fetches(domain)).isEqualTo(1);

        clock.advance(Duration.ofHours(1).plusSeconds(1));
        assertThat(cache.get(domain).policy()).isEqualTo(v1); // still valid: re-fetched in the background
        CacheResult r = revalidated();
        assertThat(r.policy()).isEqualTo(v2);
        assertThat(cache.get(domain).policy()).isEqualTo(v2);
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(row().policy()).isEqualTo(v2);
        assertThat(row().validUntil()).isEqualTo(clock.instant().plusSeconds(2 * 86400));
    }

    @Test
    void bodyRefetchFailureKeepsThePolicy() {
        StsPolicy v1 = policy(StsPolicy.Mode.ENFORCE, 2 * 86400, "mx1." + domain);
        source.publish(domain, "same", v1);
        cache.get(domain);
        source.fetchFails(domain);
        clock.advance(Duration.ofHours(25));
        assertThat(cache.get(domain).policy()).isEqualTo(v1);
        CacheResult r = revalidated();
        assertThat(r.policy()).isEqualTo(v1);
        assertThat(r.reason()).contains("body re-fetch failed");
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(row().policy()).isEqualTo(v1);
        assertThat(cache.get(domain).policy()).isEqualTo(v1);
    }

    @Test
    void lastUseWritesAreThrottled() {
        source.publish(domain, "id1", enforce("mx." + domain));
        Instant t0 = clock.instant();
        cache.get(domain);
        await().atMost(Duration.ofSeconds(10)).until(() -> t0.equals(row().lastUse()));

        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMinutes(10));
            cache.get(domain);
            revalidated();
        }
        Instant t1 = clock.instant();
        // a write that would have been sent is visible within a second; none was
        sleepQuietly(500);
        assertThat(row().lastUse()).isEqualTo(t0);

        clock.advance(Duration.ofMinutes(11));
        Instant t2 = clock.instant();
        cache.get(domain);
        revalidated();
        await().atMost(Duration.ofSeconds(10)).until(() -> t2.equals(row().lastUse()));
        assertThat(t1).isBefore(t2);
    }

    @Test
    void aFreshCacheOverTheSameKeyspaceUsesStoredPoliciesWithoutRefetching() {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);
        FakePolicySource source2 = new FakePolicySource().publish(domain, "id1", p);

        try (PolicyCache restarted = PolicyCache.create(CASSANDRA.session(), source2, settings, clock, new MetricRegistry(), "node-a")) {
            CacheResult r = restarted.get(domain);
            assertThat(r.policy()).isEqualTo(p);
            assertThat(source2.fetches(domain)).isZero();
            assertThat(source2.lookups(domain)).isEqualTo(1); // the id is re-checked on first use
        }
        // and while DNS is down after a restart, the stored policy still applies
        FakePolicySource source3 = new FakePolicySource().dnsDown(domain);
        try (PolicyCache restarted = PolicyCache.create(CASSANDRA.session(), source3, settings, clock, new MetricRegistry(), "node-a")) {
            assertThat(restarted.get(domain).policy()).isEqualTo(p);
            assertThat(source3.fetches(domain)).isZero();
        }
    }

    @Test
    void twoCachesOnOneKeyspaceConvergeOnTheNewestFetch() {
        MutableClock clockB = new MutableClock(clock.instant());
        FakePolicySource sourceB = new FakePolicySource();
        StsPolicy older = enforce("old." + domain);
        StsPolicy newer = enforce("new." + domain);
        try (PolicyCache b = PolicyCache.create(CASSANDRA.session(), sourceB, settings, clockB, new MetricRegistry(), "node-b")) {
            // node A fetches "newer" at t0+10 s; node B fetched "older" at t0 but its write arrives later
            clock.advance(Duration.ofSeconds(10));
            source.publish(domain, "id2", newer);
            assertThat(cache.get(domain).policy()).isEqualTo(newer);
            sourceB.publish(domain, "id1", older);
            assertThat(b.get(domain).policy()).isEqualTo(older);

            assertThat(row().recordId()).isEqualTo("id2");
            assertThat(row().policy()).isEqualTo(newer);
            // once B's near cache entry is older than the near-cache TTL it reads the newest row
            clockB.advance(settings.nearCacheTtl().plusSeconds(1));
            sourceB.publish(domain, "id2", newer);
            RevalidationProbe probeB = RevalidationProbe.attach(b);
            assertThat(b.get(domain).policy()).isEqualTo(older); // its valid entry, while it re-reads the store
            assertThat(probeB.next(domain).policy()).isEqualTo(newer);
            assertThat(b.get(domain).policy()).isEqualTo(newer);
            assertThat(sourceB.fetches(domain)).isEqualTo(1);
        }
    }

    @Test
    void concurrentWritersConvergeOnTheNewestFetchWhateverTheOrder() throws Exception {
        PolicyStore store = cache.store();
        Instant base = clock.instant();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i : order) {
                fs.add(pool.submit(() -> store.writeFetched(domain, "id" + i, enforce("mx" + i + "." + domain),
                        base.plusMillis(i * 10L), null)));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
        }
        StoredPolicy row = row();
        assertThat(row.recordId()).isEqualTo("id39");
        assertThat(row.policy()).isEqualTo(enforce("mx39." + domain));
        assertThat(row.lastUpdate()).isEqualTo(base.plusMillis(390));
    }

    @Test
    void storeOutageAnswersFromTheNearCacheOrWithAClearErrorNeverNoPolicy() {
        CqlSession own = CassandraNode.shared().newSession();
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        // defer: a domain unknown in memory waits for the store (the live choice: StoreOutageTest)
        PolicyCache c = PolicyCache.create(own, source, settings.toBuilder().onStoreOutage(CacheSettings.StoreOutage.DEFER).build(),
                clock, new MetricRegistry(), "node-o");
        assertThat(c.get(domain).policy()).isEqualTo(p);
        String unknown = "u" + domain;
        source.publish(unknown, "id9", enforce("mx." + unknown));

        own.close(); // the store is now unreachable from this cache

        assertThat(c.get(domain).policy()).isEqualTo(p);
        clock.advance(Duration.ofMinutes(5)); // near-cache TTL and id-check interval passed
        CacheResult r = c.get(domain);
        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.policy()).isEqualTo(p);
        CacheResult u = c.get(unknown);
        assertThat(u.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(u.reason()).contains("store unavailable");
        // the background re-read (store down) and id check kept the policy in memory
        await().atMost(Duration.ofSeconds(30)).until(() -> !c.inFlight(domain));
        assertThat(c.get(domain).policy()).isEqualTo(p);
        c.close();
    }

    @Test
    void thousandConcurrentGetsOfANewDomainMakeOneLookupAndOneFetch() throws Exception {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        source.delayMillis = 100;
        List<CacheResult> results = concurrentGets(1000, 200);
        assertThat(results).hasSize(1000);
        Set<Outcome> outcomes = new HashSet<>();
        for (CacheResult r : results) {
            outcomes.add(r.outcome());
            assertThat(r.policy()).isEqualTo(p);
        }
        assertThat(outcomes).containsExactly(Outcome.OK);
        assertThat(source.lookups(domain)).isEqualTo(1);
        assertThat(source.fetches(domain)).isEqualTo(1);
    }

    @Test
    void theNearCacheIsBounded() {
        MetricRegistry m = new MetricRegistry();
        try (PolicyCache small = PolicyCache.create(CASSANDRA.session(), source, settings.toBuilder().nearCacheSize(10).build(),
                clock, m, "node-s")) {
            for (int i = 0; i < 50; i++) {
                String d = "n" + i + domain;
                source.publish(d, "id1", enforce("mx." + d));
                assertThat(small.get(d).policy()).isNotNull();
                assertThat((Integer) m.getGauges().get("mtasts.cache.near.size").getValue()).isLessThanOrEqualTo(10);
            }
            // evicted domains are read back from the store, not fetched again
            for (int i = 0; i < 50; i++) {
                assertThat(small.get("n" + i + domain).policy()).isNotNull();
            }
            assertThat(source.totalFetches()).isEqualTo(50);
        }
    }

    @Test
    void invalidDomainIsAnError() {
        assertThat(cache.get("bad..domain").outcome()).isEqualTo(Outcome.ERROR);
        assertThat(cache.get("").outcome()).isEqualTo(Outcome.ERROR);
        assertThat(cache.get(null).outcome()).isEqualTo(Outcome.ERROR);
        assertThat(source.totalLookups()).isZero();
    }

    @Test
    void adminOperations() {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        cache.get(domain);

        assertThat(cache.show(domain)).get().extracting(StoredPolicy::recordId).isEqualTo("id1");

        // forced refresh fetches now even though nothing is due
        StsPolicy p2 = enforce("mx2." + domain);
        source.publish(domain, "id1", p2);
        clock.advance(Duration.ofSeconds(5));
        RefreshReport rr = cache.refresh(domain);
        assertThat(rr.outcome()).isEqualTo(RefreshReport.Effect.UPDATED);
        assertThat(source.fetches(domain)).isEqualTo(2);
        assertThat(row().policy()).isEqualTo(p2);
        assertThat(cache.get(domain).policy()).isEqualTo(p2);

        // a forced refresh that fails keeps the policy
        source.fetchFails(domain);
        assertThat(cache.refresh(domain).outcome()).isEqualTo(RefreshReport.Effect.KEPT);
        assertThat(row().policy()).isEqualTo(p2);

        // evict: the row is gone and the next get fetches again
        source.publish(domain, "id1", p2);
        assertThat(cache.evict(domain)).isTrue();
        assertThat(row()).isNull();
        assertThat(cache.evict(domain)).isFalse();
        cache.get(domain);
        assertThat(source.fetches(domain)).isEqualTo(4);
    }

    @Test
    void listPagesThroughAllRows() {
        String ks = CASSANDRA.createKeyspace("list");
        try (PolicyCache c = PolicyCache.create(CASSANDRA.session(), source, settings.toBuilder().keyspace(ks).build(), clock,
                new MetricRegistry(), "node-l")) {
            Set<String> expected = new HashSet<>();
            for (int i = 0; i < 25; i++) {
                String d = "l" + i + ".example";
                source.publish(d, "id" + i, enforce("mx." + d));
                assertThat(c.get(d).policy()).isNotNull();
                expected.add(d);
            }
            Set<String> seen = new HashSet<>();
            String token = null;
            int pages = 0;
            do {
                PolicyPage page = c.list(10, token);
                page.items().forEach(r -> seen.add(r.domain()));
                token = page.nextToken();
                pages++;
            } while (token != null && pages < 10);
            assertThat(seen).isEqualTo(expected);
            assertThat(pages).isGreaterThanOrEqualTo(3);
        } finally {
            CASSANDRA.dropKeyspace(ks);
        }
    }

    /** {@code n} gets of {@link #domain} released at once on {@code threads} threads; each must end within 60 s. */
    private List<CacheResult> concurrentGets(int n, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<CacheResult>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    return cache.get(domain);
                }));
            }
            go.countDown();
            List<CacheResult> results = new ArrayList<>();
            for (Future<CacheResult> f : fs) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
