package dev.jamesmtasts.cache;

import static dev.jamesmtasts.cache.FakePolicySource.enforce;
import static dev.jamesmtasts.cache.FakePolicySource.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;

import dev.jamesmtasts.cache.FakePolicySource.MutableClock;
import dev.jamesmtasts.cache.RefreshReport.Effect;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.testing.CassandraExtension;

/**
 * The refresher against a real Cassandra node: proactive refresh, deletion of unused rows, the due
 * index (rows read vs rows due), and sharing a round between two nodes through leases.
 */
class PolicyRefresherTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String keyspace;
    private MutableClock clock;
    private CacheSettings settings;

    @BeforeEach
    void setUp() {
        // one keyspace per class (DDL is slow); every test starts from empty tables (rounds see all rows)
        keyspace = CASSANDRA.keyspace();
        clock = MutableClock.now();
        settings = CacheSettings.builder().keyspace(keyspace).build();
        PolicyStore.create(CASSANDRA.session(), settings, clock);
        for (String table : List.of("policies", "policy_due", "refresh_leases", "refresh_state")) {
            CASSANDRA.session().execute(SimpleStatement.newInstance("TRUNCATE " + keyspace + "." + table)
                    .setTimeout(Duration.ofSeconds(60)));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private final MetricRegistry metrics = new MetricRegistry();

    private PolicyCache cache(FakePolicySource source, CacheSettings s, String node) {
        PolicyCache c = PolicyCache.create(CASSANDRA.session(), source, s, clock,
                toClose.isEmpty() ? metrics : new MetricRegistry(), node);
        toClose.add(c);
        return c;
    }

    @Test
    void aRoundRefreshesStalePoliciesByTheirIdAndAppliesTheChecklistRules() {
        FakePolicySource source = new FakePolicySource();
        PolicyCache cache = cache(source, settings, "n1");
        StsPolicy longLived = policy(StsPolicy.Mode.ENFORCE, 30 * 86400L, "mx.a.example");
        source.publish("same.example", "id1", longLived);
        source.publish("changed.example", "id1", longLived);
        source.publish("none.example", "id1", policy(StsPolicy.Mode.NONE, 30 * 86400L));
        source.publish("gone.example", "id1", longLived);
        source.publish("dnsdown.example", "id1", longLived);
        for (String d : List.of("same.example", "changed.example", "none.example", "gone.example", "dnsdown.example")) {
            cache.get(d);
        }
        source.resetCounts();
        clock.advance(Duration.ofHours(13));
        StsPolicy changed = enforce("mx2.a.example");
        source.publish("changed.example", "id2", changed);
        source.txtGone("none.example");
        source.txtGone("gone.example");
        source.dnsDown("dnsdown.example");

        RoundSummary s = cache.runRefreshRound();

        assertThat(s.complete()).isTrue();
        assertThat(s.count(Effect.UNCHANGED)).isEqualTo(1);
        assertThat(s.count(Effect.UPDATED)).isEqualTo(1);
        assertThat(s.count(Effect.DELETED)).isEqualTo(1);
        assertThat(s.count(Effect.KEPT)).isEqualTo(2);
        assertThat(s.rowsDue()).isEqualTo(5);
        assertThat(s.indexRowsRead()).isEqualTo(5);
        assertThat(source.totalLookups()).isEqualTo(5);
        assertThat(source.totalFetches()).isEqualTo(1);
        assertThat(cache.show("same.example").get().lastCheck()).isEqualTo(clock.instant());
        assertThat(cache.show("changed.example").get().policy()).isEqualTo(changed);
        assertThat(cache.show("none.example")).isEmpty();
        assertThat(cache.show("gone.example").get().policy()).isEqualTo(longLived);
        assertThat(cache.show("dnsdown.example").get().policy()).isEqualTo(longLived);
        assertThat(metrics.counter("mtasts.refresh.unchanged").getCount()).isEqualTo(1);
        assertThat(metrics.counter("mtasts.refresh.updated").getCount()).isEqualTo(1);
        assertThat(metrics.counter("mtasts.refresh.deleted").getCount()).isEqualTo(1);
        assertThat(metrics.counter("mtasts.refresh.kept").getCount()).isEqualTo(2);
        assertThat(metrics.timer("mtasts.fetch.latency").getCount()).isEqualTo(6);

        // the same round id again: every unit is done, nothing is refreshed twice
        source.resetCounts();
        RoundSummary again = cache.runRefreshRound();
        assertThat(again.unitsDone()).isZero();
        assertThat(source.totalLookups()).isZero();
    }

    @Test
    void aDomainWhoseRefreshThrowsIsCountedAsAnErrorAndTheRoundGoesOn() {
        FakePolicySource source = new FakePolicySource();
        PolicyCache cache = cache(source, settings, "n1");
        StsPolicy longLived = policy(StsPolicy.Mode.ENFORCE, 30 * 86400L, "mx.a.example");
        source.publish("fine.example", "id1", longLived);
        source.publish("broken.example", "id1", longLived);
        cache.get("fine.example");
        cache.get("broken.example");
        // a partial row, as an update racing a delete can leave in Cassandra: a policy without last_update
        // (its refresh throws, not a StoreException, which the round used to drop without a word)
        CASSANDRA.session().execute(SimpleStatement.newInstance("UPDATE " + keyspace
                + ".policies SET last_update = null WHERE domain = 'broken.example'").setTimeout(Duration.ofSeconds(60)));
        clock.advance(Duration.ofHours(13));

        RoundSummary s = cache.runRefreshRound();

        assertThat(s.errors()).isEqualTo(1);
        assertThat(s.rowsDue()).isEqualTo(2);
        assertThat(s.count(Effect.UNCHANGED)).isEqualTo(1);
        assertThat(cache.show("fine.example").get().lastCheck()).isEqualTo(clock.instant());
    }

    @Test
    void theBodyIsRefetchedAtHalfMaxAgeEvenWhenTheIdIsUnchanged() {
        FakePolicySource source = new FakePolicySource();
        PolicyCache cache = cache(source, settings.toBuilder().staleAfter(Duration.ofHours(20)).build(), "n1");
        source.publish("body.example", "same", policy(StsPolicy.Mode.ENFORCE, 86400, "mx1.body.example"));
        cache.get("body.example");
        StsPolicy v2 = policy(StsPolicy.Mode.ENFORCE, 86400, "mx2.body.example");
        source.publish("body.example", "same", v2);
        clock.advance(Duration.ofHours(12).plusSeconds(1)); // max_age/2 passed, staleAfter (20 h) not

        RoundSummary s = cache.runRefreshRound();

        assertThat(s.count(Effect.UPDATED)).isEqualTo(1);
        assertThat(cache.show("body.example").get().policy()).isEqualTo(v2);
        assertThat(cache.show("body.example").get().validUntil()).isEqualTo(clock.instant().plusSeconds(86400));
    }

    @Test
    void rowsUnusedForDeleteUnusedAfterAreDeletedAndUsedOnesKept() {
        // a long clock jump: day buckets keep the number of index partitions visited small
        CacheSettings s = settings.toBuilder().dueBucket(Duration.ofDays(1)).dueShards(4).build();
        FakePolicySource source = new FakePolicySource();
        PolicyCache cache = cache(source, s, "n1");
        StsPolicy yearLong = policy(StsPolicy.Mode.ENFORCE, StsPolicy.MAX_AGE_LIMIT, "mx.used.example");
        source.publish("used.example", "id1", yearLong);
        source.publish("unused.example", "id1", yearLong);
        cache.get("used.example");
        cache.get("unused.example");

        clock.advance(Duration.ofDays(100));
        cache.get("used.example"); // a delivery: last_use is written (throttled to once an hour)
        Instant used = clock.instant();
        await().atMost(Duration.ofSeconds(10)).until(() -> used.equals(cache.show("used.example").get().lastUse()));
        RoundSummary r1 = cache.runRefreshRound();
        assertThat(r1.count(Effect.UNCHANGED)).isEqualTo(2);

        clock.advance(Duration.ofDays(81));
        RoundSummary r2 = cache.runRefreshRound();

        assertThat(r2.count(Effect.DELETED)).isEqualTo(1);
        assertThat(cache.show("unused.example")).isEmpty();
        assertThat(cache.show("used.example")).isPresent();
    }

    @Test
    void theRoundReadsOnlyDueIndexRowsNotTheWholeTable() {
        FakePolicySource source = new FakePolicySource();
        PolicyCache cache = cache(source, settings, "n1");
        for (int i = 0; i < 30; i++) {
            source.publish("early" + i + ".example", "id1", enforce("mx.example.net"));
            cache.get("early" + i + ".example");
        }
        clock.advance(Duration.ofHours(6));
        for (int i = 0; i < 20; i++) {
            source.publish("late" + i + ".example", "id1", enforce("mx.example.net"));
            cache.get("late" + i + ".example");
        }
        source.resetCounts();
        clock.advance(Duration.ofHours(6).plusMinutes(30));

        RoundSummary s = cache.runRefreshRound();

        assertThat(s.rowsDue()).isEqualTo(30);
        assertThat(s.policyRowsRead()).isEqualTo(30);
        assertThat(s.indexRowsRead()).isLessThanOrEqualTo(30);
        assertThat(source.totalLookups()).isEqualTo(30);
        assertThat(source.lookupCounts().keySet()).allMatch(d -> d.startsWith("early"));
    }

    /** Stores {@code count} enforce policies ({@code <prefix><i>.example}, id1) through a seeding cache. */
    private List<String> storeEnforcePolicies(String prefix, int count, CacheSettings s) throws Exception {
        FakePolicySource setup = new FakePolicySource();
        PolicyCache seed = cache(setup, s, "seed");
        List<String> domains = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String d = prefix + i + ".example";
            domains.add(d);
            setup.publish(d, "id1", enforce("mx.example.net"));
            seed.get(d);
        }
        return domains;
    }

    /** A source that publishes the same enforce policy (id1) for every domain: one per simulated node. */
    private static FakePolicySource sourcePublishing(List<String> domains) throws Exception {
        FakePolicySource source = new FakePolicySource();
        for (String d : domains) {
            source.publish(d, "id1", enforce("mx.example.net"));
        }
        return source;
    }

    @Test
    void twoRefreshersShareARoundWithNoDomainDoneTwice() throws Exception {
        List<String> domains = storeEnforcePolicies("s", 200, settings);
        clock.advance(Duration.ofHours(13));
        FakePolicySource sa = sourcePublishing(domains);
        FakePolicySource sb = sourcePublishing(domains);
        sa.delayMillis = 2;
        sb.delayMillis = 2;
        PolicyCache a = cache(sa, settings, "node-a");
        PolicyCache b = cache(sb, settings, "node-b");
        CountDownLatch go = new CountDownLatch(1);
        CompletableFuture<RoundSummary> ra = CompletableFuture.supplyAsync(() -> { awaitQuietly(go); return a.runRefreshRound(); });
        CompletableFuture<RoundSummary> rb = CompletableFuture.supplyAsync(() -> { awaitQuietly(go); return b.runRefreshRound(); });
        go.countDown();
        RoundSummary sumA = ra.get(120, TimeUnit.SECONDS);
        RoundSummary sumB = rb.get(120, TimeUnit.SECONDS);

        assertThat(sumA.complete()).isTrue();
        assertThat(sumB.complete()).isTrue();
        for (String d : domains) {
            assertThat(sa.lookups(d) + sb.lookups(d)).as(d).isEqualTo(1);
            assertThat(a.show(d).get().lastCheck()).isEqualTo(clock.instant());
        }
        assertThat(sumA.count(Effect.UNCHANGED) + sumB.count(Effect.UNCHANGED)).isEqualTo(200);
        System.out.println("node-a: " + sumA + "\nnode-b: " + sumB);
    }

    @Test
    void whenANodeDiesMidRoundAnotherTakesOverItsShareAfterTheLeaseExpires() throws Exception {
        CacheSettings s = settings.toBuilder().leaseTtl(Duration.ofSeconds(2)).build();
        List<String> domains = storeEnforcePolicies("k", 40, s);
        clock.advance(Duration.ofHours(13));
        FakePolicySource sa = sourcePublishing(domains);
        FakePolicySource sb = sourcePublishing(domains);
        String hung = domains.get(0);
        sa.blockDomain = hung;
        sa.block = new CountDownLatch(1);
        PolicyCache a = cache(sa, s, "node-a");
        PolicyCache b = cache(sb, s, "node-b");
        PolicyRefresher refresherA = a.newRefresher("node-a");
        CompletableFuture<RoundSummary> ra = CompletableFuture.supplyAsync(refresherA::runRound);
        assertThat(sa.blocked.await(60, TimeUnit.SECONDS)).isTrue();
        refresherA.close(); // node A "dies": no more lease renewals, no more writes

        RoundSummary sumB = b.runRefreshRound();

        assertThat(sumB.complete()).isTrue();
        assertThat(sumB.unitsTakenOver()).isGreaterThanOrEqualTo(1);
        assertThat(sb.lookups(hung)).isEqualTo(1);
        for (String d : domains) {
            assertThat(b.show(d).get().lastCheck()).as(d).isEqualTo(clock.instant());
            if (!d.equals(hung)) {
                assertThat(sa.lookups(d) + sb.lookups(d)).as(d).isEqualTo(1);
            }
        }
        sa.block.countDown();
        RoundSummary sumA = ra.get(60, TimeUnit.SECONDS);
        assertThat(sumA.complete()).isFalse();
        System.out.println("node-a (died): " + sumA + "\nnode-b: " + sumB);
    }

    @Test
    void startedRefresherRunsRoundsOnItsOwn() {
        CacheSettings s = settings.toBuilder().refreshInterval(Duration.ofSeconds(2)).refreshJitter(Duration.ZERO)
                .refreshWindow(Duration.ofMillis(200)).staleAfter(Duration.ofHours(1)).build();
        FakePolicySource source = new FakePolicySource();
        PolicyCache cache = cache(source, s, "n1");
        source.publish("sched.example", "id1", enforce("mx.example.net"));
        cache.get("sched.example");
        clock.advance(Duration.ofHours(2));
        PolicyRefresher r = cache.newRefresher("n1");
        toClose.add(r);
        r.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> r.lastRound() != null);
        assertThat(r.lastRound().count(Effect.UNCHANGED)).isEqualTo(1);
        assertThat(cache.show("sched.example").get().lastCheck()).isEqualTo(clock.instant());
    }

    private static void awaitQuietly(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
