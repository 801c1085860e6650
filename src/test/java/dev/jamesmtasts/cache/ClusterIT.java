package dev.jamesmtasts.cache;

import static dev.jamesmtasts.cache.FakePolicySource.enforce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

import dev.jamesmtasts.cache.FakePolicySource.MutableClock;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.PolicySource;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.testing.CassandraCluster;
import dev.jamesmtasts.testing.MtaStsTestbed;

/**
 * The policy store on a real three-node Cassandra cluster (bin/cassandra cluster, 127.0.0.2-4, CQL port
 * 19042: apart from the shared node on 127.0.0.1:9042), replication factor 3 and the default
 * consistency levels (LOCAL_QUORUM reads and writes, LOCAL_SERIAL leases). Started once for the class;
 * the tests run in order because the last one kills a node.
 * <ol>
 *   <li>Two James nodes (two caches, two sessions, distinct node ids, one keyspace) share a refresh
 *       round: each due domain is refreshed once in all, not once per node.</li>
 *   <li>An evict or forced refresh on one node is seen by the other once its near-cache entry is
 *       older than the near-cache TTL, and both answer the same policy.</li>
 *   <li>Two nodes of three killed (no quorum: the store is down for the caches), with the real DNS and
 *       HTTPS servers of the testbed: a {@code cache.onStoreOutage=live} node keeps enforcing what it
 *       knows and looks new domains up directly (policy enforced as fetched); a {@code defer} node
 *       answers ERROR for a new domain (the mailet defers: nothing lost, nothing unprotected) and keeps
 *       enforcing what it knows. The two nodes are started again: what the live node learnt is written
 *       to the store and the defer node now gets its answer, from the store.</li>
 *   <li>One node of three killed (SIGKILL) while gets of stored and new domains run: no get fails
 *       (two replicas of three are a quorum).</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    private static final CassandraCluster CLUSTER =
            CassandraCluster.onLoopback("cluster-it", "127.0.0.2", 3, 19042, 17000, 17199);
    private static CqlSession sessionA;
    private static CqlSession sessionB;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        CLUSTER.start();
        sessionA = CLUSTER.newSession();
        sessionB = CLUSTER.newSession();
        for (CqlSession s : List.of(sessionA, sessionB)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> CassandraCluster.nodesUp(s) == 3);
        }
    }

    @AfterAll
    static void stopCluster() {
        for (CqlSession s : new CqlSession[] {sessionA, sessionB}) {
            if (s != null) {
                s.close();
            }
        }
        CLUSTER.stop();
    }

    @AfterEach
    void closeCaches() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        toClose.clear();
    }

    /** RF 3 and the consistency defaults (what the keys document), a keyspace per test. */
    private static CacheSettings.Builder rf3(String keyspace) {
        CacheSettings d = CacheSettings.defaults();
        assertThat(d.readConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_QUORUM);
        assertThat(d.writeConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_QUORUM);
        assertThat(d.serialConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_SERIAL);
        return d.toBuilder().keyspace(keyspace).replication(CacheSettings.Builder.simpleStrategy(3));
    }

    private PolicyCache node(CqlSession session, PolicySource source, CacheSettings s, Clock clock, String id) {
        return node(session, source, s, clock, new MetricRegistry(), id);
    }

    private PolicyCache node(CqlSession session, PolicySource source, CacheSettings s, Clock clock, MetricRegistry registry,
                             String id) {
        PolicyCache c = PolicyCache.create(session, source, s, clock, registry, id);
        toClose.add(c);
        return c;
    }

    @Test
    @Order(1)
    void twoJamesNodesShareARefreshRoundEachDueDomainRefreshedOnceInAll() throws Exception {
        MutableClock clock = MutableClock.now();
        // a unit whose lease was left unfinished is taken over by the other node within 20 s, not 5 min
        CacheSettings s = rf3("cluster_round").leaseTtl(Duration.ofSeconds(20)).build();
        FakePolicySource sourceA = new FakePolicySource();
        FakePolicySource sourceB = new FakePolicySource();
        PolicyCache a = node(sessionA, sourceA, s, clock, "james-a");
        PolicyCache b = node(sessionB, sourceB, s, clock, "james-b");
        List<String> domains = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String d = "round" + i + ".example";
            domains.add(d);
            // both James nodes see the same internet
            sourceA.publish(d, "id1", enforce("mx." + d));
            sourceB.publish(d, "id1", enforce("mx." + d));
            // half the domains were first looked up by each node
            assertThat((i % 2 == 0 ? a : b).get(d).outcome()).isEqualTo(CacheResult.Outcome.OK);
        }
        clock.advance(s.staleAfter().plusHours(1));
        sourceA.resetCounts();
        sourceB.resetCounts();

        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<RoundSummary> ra = pool.submit(startingOn(go, a::runRefreshRound));
            Future<RoundSummary> rb = pool.submit(startingOn(go, b::runRefreshRound));
            go.countDown();
            RoundSummary sa = ra.get(2, TimeUnit.MINUTES);
            RoundSummary sb = rb.get(2, TimeUnit.MINUTES);
            assertThat(sa.complete() || sb.complete()).isTrue();
        } finally {
            pool.shutdownNow();
        }

        for (String d : domains) {
            assertThat(sourceA.lookups(d) + sourceB.lookups(d)).as("TXT checks of " + d + " by both nodes").isEqualTo(1);
            assertThat(a.show(d).get().lastCheck()).as(d).isEqualTo(clock.instant());
        }
        assertThat(sourceA.totalLookups() + sourceB.totalLookups()).isEqualTo(domains.size());
        assertThat(sourceA.totalFetches() + sourceB.totalFetches()).isZero(); // ids unchanged: no body fetched
    }

    @Test
    @Order(2)
    void anEvictOrForcedRefreshOnOneNodeIsHonouredByTheOtherWithinTheNearCacheTtl() {
        MutableClock clock = MutableClock.now();
        // no TXT id check in this test (1 h): what B learns, it learns from the store
        CacheSettings s = rf3("cluster_evict").nearCacheTtl(Duration.ofSeconds(60)).idCheckInterval(Duration.ofHours(1)).build();
        FakePolicySource sourceA = new FakePolicySource();
        FakePolicySource sourceB = new FakePolicySource();
        PolicyCache a = node(sessionA, sourceA, s, clock, "james-a");
        PolicyCache b = node(sessionB, sourceB, s, clock, "james-b");
        RevalidationProbe revalidationsOfB = RevalidationProbe.attach(b);
        String d = "shared.example";
        StsPolicy p1 = enforce("mx1.shared.example");
        sourceA.publish(d, "id1", p1);
        sourceB.publish(d, "id1", p1);
        assertThat(a.get(d).policy()).isEqualTo(p1);
        assertThat(b.get(d).policy()).isEqualTo(p1);
        assertThat(sourceB.fetches(d)).as("B found A's row in the store").isZero();

        // The domain owner changes the policy body but not the id: only an evict makes a node fetch it.
        StsPolicy p2 = enforce("mx2.shared.example");
        sourceA.publish(d, "id1", p2);
        sourceB.publish(d, "id1", p2);
        assertThat(a.evict(d)).isTrue();
        assertThat(b.get(d).policy()).as("within the TTL B may answer from memory").isEqualTo(p1);
        clock.advance(s.nearCacheTtl().plusSeconds(1));
        assertThat(pastTheTtl(b, revalidationsOfB, d).policy()).as("past the TTL B has seen the evict").isEqualTo(p2);
        assertThat(b.get(d).policy()).isEqualTo(p2);
        assertThat(sourceB.fetches(d)).as("B fetched again because the row was gone").isEqualTo(1);
        assertThat(a.get(d).policy()).as("A reads what B stored").isEqualTo(p2);
        assertThat(sourceA.fetches(d)).as("A fetched only the first time").isEqualTo(1);

        // A forced refresh on A (new id and body): B answers it from the store, with no fetch of its own.
        StsPolicy p3 = enforce("mx3.shared.example");
        sourceA.publish(d, "id3", p3);
        sourceB.publish(d, "id3", p3);
        clock.advance(Duration.ofSeconds(1));
        assertThat(a.refresh(d).outcome()).isEqualTo(RefreshReport.Effect.UPDATED);
        clock.advance(s.nearCacheTtl().plusSeconds(1));
        CacheResult fromB = pastTheTtl(b, revalidationsOfB, d);
        assertThat(fromB.policy()).isEqualTo(p3);
        assertThat(fromB.recordId()).isEqualTo("id3");
        assertThat(sourceB.fetches(d)).as("B took A's refresh from the store").isEqualTo(1);
        assertThat(a.get(d).policy()).isEqualTo(fromB.policy());
    }

    @Test
    @Order(3)
    void twoNodesOfThreeKilledLiveLooksUpAndEnforcesDeferWaitsAndWhatWasLearntIsStoredOnceTheyAreBack() throws Exception {
        // every get reads the store (near-cache TTL 0) and checks the TXT id (interval 0): the outage is met
        // by every get, not hidden by memory
        CacheSettings live = rf3("cluster_outage").nearCacheTtl(Duration.ZERO).idCheckInterval(Duration.ZERO).build();
        assertThat(live.onStoreOutage()).as("the default").isEqualTo(CacheSettings.StoreOutage.LIVE);
        CacheSettings defer = live.toBuilder().onStoreOutage(CacheSettings.StoreOutage.DEFER).build();
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver resolverLive = new MtaStsResolver(bed.settings().build());
             MtaStsResolver resolverDefer = new MtaStsResolver(bed.settings().build())) {
            Clock clock = Clock.systemUTC();
            MetricRegistry liveMetrics = new MetricRegistry();
            PolicyCache liveNode = node(sessionA, resolverLive, live, clock, liveMetrics, "james-live");
            PolicyCache deferNode = node(sessionB, resolverDefer, defer, clock, "james-defer");
            bed.publish("known.test", "k1", policy("mx.known.test"));
            assertThat(liveNode.get("known.test").policy().matchesMx("mx.known.test")).isTrue();
            assertThat(deferNode.get("known.test").recordId()).isEqualTo("k1");
            assertThat(bed.https().requests("mta-sts.known.test")).as("the defer node read the live node's row").isEqualTo(1);

            CLUSTER.kill(2);
            CLUSTER.kill(3);
            // until the store is down for both nodes (a quorum read is refused or times out)
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(() -> !liveNode.probeStore());
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(() -> !deferNode.probeStore());
            assertThat(liveNode.storeStatus().available()).isFalse();

            // known domain: enforced by both from memory (RFC 8461 §5.1: a cached policy applies until it expires)
            for (PolicyCache n : List.of(liveNode, deferNode)) {
                CacheResult r = n.get("known.test");
                assertThat(r.outcome()).as(n.nodeId() + ": " + r).isEqualTo(CacheResult.Outcome.OK);
                assertThat(r.policy().mode()).isEqualTo(StsPolicy.Mode.ENFORCE);
                assertThat(r.policy().matchesMx("mx.known.test")).isTrue();
                assertThat(r.policy().matchesMx("mx.impostor.test")).isFalse();
            }
            // new domains, live: looked up directly, the fetched policy is what the delivery enforces
            List<String> learnt = List.of("new1.test", "new2.test", "new3.test");
            for (String d : learnt) {
                bed.publish(d, "n1", policy("mx." + d));
                CacheResult r = liveNode.get(d);
                assertThat(r.outcome()).as(d + ": " + r).isEqualTo(CacheResult.Outcome.OK);
                assertThat(r.policy().mode()).isEqualTo(StsPolicy.Mode.ENFORCE);
                assertThat(r.policy().matchesMx("mx." + d)).isTrue();
                assertThat(r.policy().matchesMx("mx.impostor.test")).isFalse();
                assertThat(bed.https().requests("mta-sts." + d)).isEqualTo(1);
            }
            assertThat(liveNode.unsavedPolicies()).isEqualTo(learnt.size());
            assertThat(liveMetrics.counter("mtasts.cache.store.outageLookups").getCount()).isGreaterThanOrEqualTo(learnt.size());
            // a second get of a learnt domain: from memory, no second fetch
            assertThat(liveNode.get("new1.test").outcome()).isEqualTo(CacheResult.Outcome.OK);
            assertThat(bed.https().requests("mta-sts.new1.test")).isEqualTo(1);
            // a domain with no _mta-sts record: the same answer as any first lookup (no policy)
            assertThat(liveNode.get("nopolicy.test").outcome()).isEqualTo(CacheResult.Outcome.NOT_FOUND);

            // new domain, defer: ERROR (the mailet defers the mail: a temporary failure), no lookup at all
            bed.publish("waiting.test", "w1", policy("mx.waiting.test"));
            CacheResult waiting = deferNode.get("waiting.test");
            assertThat(waiting.outcome()).as(waiting.toString()).isEqualTo(CacheResult.Outcome.ERROR);
            assertThat(waiting.reason()).contains("policy store unavailable");
            assertThat(bed.https().requests("mta-sts.waiting.test")).isZero();
            // a domain the defer node does not know but the live node learnt: still deferred, not "no policy"
            assertThat(deferNode.get("new2.test").outcome()).isEqualTo(CacheResult.Outcome.ERROR);

            // the two nodes come back on their data
            CLUSTER.startNode(2);
            CLUSTER.startNode(3);
            await().atMost(Duration.ofMinutes(2)).until(() -> CassandraCluster.nodesUp(sessionA) == 3
                    && CassandraCluster.nodesUp(sessionB) == 3);
            // the first store call that succeeds turns the status available and starts the write-back
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(liveNode::probeStore);
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() -> liveNode.unsavedPolicies() == 0);
            for (String d : learnt) {
                StoredPolicy row = deferNode.show(d).orElse(null);
                assertThat(row).as(d + " written back").isNotNull();
                assertThat(row.recordId()).isEqualTo("n1");
                assertThat(row.policy().matchesMx("mx." + d)).isTrue();
                assertThat(bed.https().requests("mta-sts." + d)).as("written back without a new fetch").isEqualTo(1);
            }
            // the defer node now gets the learnt policy from the store, and the waiting domain looked up
            CacheResult fromStore = deferNode.get("new2.test");
            assertThat(fromStore.outcome()).isEqualTo(CacheResult.Outcome.OK);
            assertThat(fromStore.policy().matchesMx("mx.new2.test")).isTrue();
            assertThat(bed.https().requests("mta-sts.new2.test")).as("from the store, not fetched again").isEqualTo(1);
            CacheResult nowKnown = deferNode.get("waiting.test");
            assertThat(nowKnown.outcome()).isEqualTo(CacheResult.Outcome.OK);
            assertThat(nowKnown.policy().matchesMx("mx.waiting.test")).isTrue();
        }
    }

    private static String policy(String mx) {
        return "version: STSv1\nmode: enforce\nmx: " + mx + "\nmax_age: 86400\n";
    }

    @Test
    @Order(4)
    void oneNodeOfThreeKilledMidRunNoLookupFails() throws Exception {
        MutableClock clock = MutableClock.now();
        // every get reads the store (near-cache TTL 0, id checked on every get): each one needs a quorum
        CacheSettings s = rf3("cluster_kill").nearCacheTtl(Duration.ZERO).idCheckInterval(Duration.ZERO).build();
        FakePolicySource source = new FakePolicySource();
        PolicyCache cache = node(sessionA, source, s, clock, "james-a");
        List<String> stored = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String d = "stored" + i + ".example";
            source.publish(d, "id1", enforce("mx." + d));
            assertThat(cache.get(d).outcome()).isEqualTo(CacheResult.Outcome.OK);
            stored.add(d);
        }

        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger getsAfterKill = new AtomicInteger();
        AtomicInteger gets = new AtomicInteger();
        Set<String> newAfterKill = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            workers.add(pool.submit(() -> {
                while (!stop.get()) {
                    int n = next.getAndIncrement();
                    // one get of a new domain (store miss, fetch, write) per three of stored ones
                    String d = n % 4 == 0 ? "new" + (n / 4) + ".example" : stored.get(n % stored.size());
                    if (n % 4 == 0) {
                        source.publish(d, "id1", enforce("mx." + d));
                    }
                    boolean after = killed.get();
                    CacheResult r = cache.get(d);
                    gets.incrementAndGet();
                    if (r.outcome() != CacheResult.Outcome.OK || r.policy() == null) {
                        failures.add(d + (after ? " (after the kill): " : ": ") + r);
                    }
                    if (after) {
                        getsAfterKill.incrementAndGet();
                        if (d.startsWith("new")) {
                            newAfterKill.add(d);
                        }
                    }
                }
                return null;
            }));
        }
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> gets.get() >= 200);
            killed.set(true);
            CLUSTER.kill(2);
            // until the survivors' failure detector has convicted the dead node (replica choice, hints)
            // and well past the store timeout of a request that was in flight on it
            await().atMost(Duration.ofSeconds(60)).until(() -> CassandraCluster.nodesUp(sessionA) == 2);
            await().atMost(Duration.ofMinutes(2)).pollDelay(Duration.ofSeconds(20))
                    .until(() -> getsAfterKill.get() >= 500);
        } finally {
            stop.set(true);
            for (Future<?> f : workers) {
                f.get(1, TimeUnit.MINUTES);
            }
            pool.shutdownNow();
        }

        System.out.printf("one node of three killed: %d gets (%d after the kill, %d new domains after it), %d failed%n",
                gets.get(), getsAfterKill.get(), newAfterKill.size(), failures.size());
        assertThat(failures).as("failed lookups").isEmpty();
        assertThat(getsAfterKill.get()).isGreaterThanOrEqualTo(500);
        assertThat(newAfterKill).isNotEmpty();
        // what was learnt with a node down is stored: a second node reads it at quorum
        PolicyCache other = node(sessionB, new FakePolicySource(), s, clock, "james-b");
        Set<String> checked = new HashSet<>();
        for (String d : newAfterKill) {
            if (checked.size() == 50) {
                break;
            }
            assertThat(other.show(d)).as(d).isPresent();
            checked.add(d);
        }
        for (String d : stored) {
            assertThat(other.show(d)).as(d).isPresent();
        }
        assertThat(source.fetches(stored.get(0))).as("stored domains were not fetched again").isEqualTo(1);
    }

    /**
     * The first get of {@code d} on {@code node} once its near entry is past the TTL, as far as the store
     * is concerned: that get may answer the entry once more while it re-reads the store in the
     * background (stale-while-revalidate, see {@link CacheSettings#nearCacheTtl()}); then the re-read's result.
     */
    private static CacheResult pastTheTtl(PolicyCache node, RevalidationProbe probe, String d) {
        CacheResult first = node.get(d);
        return probe.pending(d) > 0 || node.inFlight(d) ? probe.next(d) : first;
    }

    private static <T> Callable<T> startingOn(CountDownLatch go, Callable<T> task) {
        return () -> {
            go.await();
            return task.call();
        };
    }
}
