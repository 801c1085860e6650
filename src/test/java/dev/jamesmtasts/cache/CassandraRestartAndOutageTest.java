package dev.jamesmtasts.cache;

import static dev.jamesmtasts.cache.FakePolicySource.enforce;
import static dev.jamesmtasts.cache.FakePolicySource.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.cache.CacheResult.Outcome;
import dev.jamesmtasts.cache.FakePolicySource.MutableClock;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.testing.CassandraNode;

/**
 * A node of its own (bin/cassandra on free ports, data under target/), stopped and started during
 * the test: store outage (answers from memory or a clear ERROR, never "no policy" for a domain known to
 * be enforced), recovery, and a restart after which stored policies are used without a re-fetch.
 */
class CassandraRestartAndOutageTest {
    private static CassandraNode node;
    private static CqlSession session;

    @BeforeAll
    static void startNode() throws IOException {
        node = CassandraNode.extraOnFreePorts("restart");
        node.deleteData();
        node.start();
        CassandraNode started = node;
        // stops the node even if this JVM dies before @AfterAll (stop is a no-op when already down)
        Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "stop-extra-cassandra"));
        session = node.newSession();
    }

    @AfterAll
    static void stopNode() {
        if (session != null) {
            session.close();
        }
        if (node != null) {
            node.stop();
            assertThat(node.status()).isFalse();
        }
    }

    @Test
    void outageThenRecoveryThenRestartWithoutRefetch() {
        MutableClock clock = MutableClock.now();
        FakePolicySource source = new FakePolicySource();
        // keyspace mta_sts on this node of its own; defer: a new domain waits for the store (StoreOutageTest: live)
        CacheSettings settings = CacheSettings.builder().onStoreOutage(CacheSettings.StoreOutage.DEFER).build();
        StsPolicy enforced = enforce("mx.enforced.example");
        StsPolicy testing = policy(StsPolicy.Mode.TESTING, 86400, "mx.testing.example");
        source.publish("enforced.example", "e1", enforced);
        source.publish("testing.example", "t1", testing);
        source.publish("new.example", "n1", enforce("mx.new.example"));

        try (PolicyCache cache = PolicyCache.create(session, source, settings, clock, new MetricRegistry(), "n1")) {
            assertThat(cache.get("enforced.example").policy()).isEqualTo(enforced);
            assertThat(cache.get("testing.example").policy()).isEqualTo(testing);

            node.stop();
            assertThat(node.status()).isFalse();

            // outage: answers from memory, also after the near-cache TTL and with DNS failing too
            assertThat(cache.get("enforced.example").policy()).isEqualTo(enforced);
            clock.advance(Duration.ofMinutes(5));
            source.dnsDown("testing.example");
            long t0 = System.nanoTime();
            CacheResult e = cache.get("enforced.example");
            CacheResult t = cache.get("testing.example");
            CacheResult n = cache.get("new.example");
            long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(e.outcome()).isEqualTo(Outcome.OK);
            assertThat(e.policy()).isEqualTo(enforced);
            assertThat(t.policy()).isEqualTo(testing);
            assertThat(n.outcome()).isEqualTo(Outcome.ERROR); // never NOT_FOUND: we cannot know
            assertThat(n.reason()).contains("store unavailable");
            assertThat(elapsedMs).as("bounded by the store timeout, not hung").isLessThan(60_000);
            assertThat(source.fetches("new.example")).isZero();
            // the background re-reads and id checks those gets started (store and DNS down) kept the policies
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> !cache.inFlight("enforced.example") && !cache.inFlight("testing.example"));
            assertThat(cache.get("enforced.example").policy()).isEqualTo(enforced);
            assertThat(cache.get("testing.example").policy()).isEqualTo(testing);

            node.start();
            assertThat(node.status()).isTrue();

            // recovery: the same cache and session work again once the driver reconnects (polled faster
            // than the cache's one-second store back-off, which must not extend itself)
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300))
                    .until(() -> cache.get("new.example").outcome() == Outcome.OK);
            assertThat(cache.show("new.example")).isPresent();
        }

        // restart: a new cache (cold near cache) over the restarted node uses the stored policies
        FakePolicySource after = new FakePolicySource();
        after.publish("enforced.example", "e1", enforced);
        after.dnsDown("testing.example");
        try (PolicyCache cache = PolicyCache.create(session, after, settings, clock, new MetricRegistry(), "n2")) {
            assertThat(cache.get("enforced.example").policy()).isEqualTo(enforced);
            assertThat(cache.get("testing.example").policy()).isEqualTo(testing);
            assertThat(after.totalFetches()).isZero();
            assertThat(cache.show("enforced.example").get().recordId()).isEqualTo("e1");
        }
    }
}
