package dev.jamesmtasts.cache;

import static dev.jamesmtasts.cache.FakePolicySource.enforce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.testing.CassandraCluster;

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

    private PolicyCache node(CqlSession session, FakePolicySource source, CacheSettings s, MutableClock clock, String id) {
        PolicyCache c = PolicyCache.create(session, source, s, clock, new MetricRegistry(), id);
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
