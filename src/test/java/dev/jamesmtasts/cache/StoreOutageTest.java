package dev.jamesmtasts.cache;

import static dev.jamesmtasts.cache.FakePolicySource.enforce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.cache.CacheResult.Outcome;
import dev.jamesmtasts.cache.CacheSettings.StoreOutage;
import dev.jamesmtasts.cache.FakePolicySource.MutableClock;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.CassandraNode;

/**
 * {@code cache.onStoreOutage}: a cache whose store cannot be reached (a Cassandra port nobody listens on,
 * or a session that went away) answers a domain unknown in memory from a fresh lookup ({@code live}) or
 * with ERROR ({@code defer}); never "no policy" for a domain whose TXT lookup failed; a policy held in
 * memory is never downgraded; what {@code live} learnt is written once the store is connected.
 */
class StoreOutageTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private MutableClock clock;
    private FakePolicySource source;
    private MetricRegistry metrics;
    private String domain;

    @BeforeEach
    void setUp() {
        clock = MutableClock.now();
        source = new FakePolicySource();
        metrics = new MetricRegistry();
        domain = "d" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36) + ".example";
    }

    private CacheSettings settings(StoreOutage mode) {
        return CacheSettings.builder().keyspace(CASSANDRA.keyspace()).onStoreOutage(mode).build();
    }

    /** Tries to connect to a Cassandra port nothing listens on: the store stays unconnected, and says why. */
    private static void connectToClosedPort(PolicyCache cache) throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Throwable t = catchThrowable(() -> cache.connectStore(() -> CqlSession.builder()
                .addContactPoint(new InetSocketAddress(CassandraNode.HOST, closed))
                .withLocalDatacenter("datacenter1").build()));
        assertThat(t).isNotNull();
        assertThat(cache.storeConnected()).isFalse();
    }

    @Test
    void liveAnswersAPolicyFromAFreshFetchAndWritesItOnceTheStoreIsConnected() throws IOException {
        StsPolicy p = enforce("mx." + domain);
        source.publish(domain, "id1", p);
        String dnsDown = "dns-" + domain;
        source.dnsDown(dnsDown);
        String none = "none-" + domain;
        source.txtGone(none);
        try (PolicyCache cache = PolicyCache.unconnected(source, settings(StoreOutage.LIVE), clock, metrics, "n1")) {
            connectToClosedPort(cache);
            assertThat(cache.storeStatus().reading().state()).isEqualTo(StoreStatus.State.UNAVAILABLE);
            assertThat(gauge("mtasts.store.available")).isEqualTo(0);

            CacheResult r = cache.get(domain);
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.policy()).isEqualTo(p);
            assertThat(source.fetches(domain)).isEqualTo(1);
            assertThat(cache.unsavedPolicies()).isEqualTo(1);
            assertThat(gauge("mtasts.store.unsaved")).isEqualTo(1);
            // held in memory: the next delivery neither asks DNS/HTTPS again nor loses it
            assertThat(cache.get(domain).policy()).isEqualTo(p);
            assertThat(source.fetches(domain)).isEqualTo(1);

            // a failed TXT lookup is never "no policy", store or no store
            assertThat(cache.get(dnsDown).outcome()).isEqualTo(Outcome.ERROR);
            // a domain without a record is answered as on any first contact
            assertThat(cache.get(none).outcome()).isEqualTo(Outcome.NOT_FOUND);

            // the id changes and the policy host now fails: the policy in memory is kept, never downgraded
            source.publish(domain, "id2", p).fetchFails(domain);
            clock.advance(Duration.ofMinutes(5));
            assertThat(cache.get(domain).policy()).isEqualTo(p);
            await().atMost(Duration.ofSeconds(30)).until(() -> !cache.inFlight(domain));
            assertThat(cache.get(domain).policy()).isEqualTo(p);

            // the store comes back: what was learnt is written, in the background
            cache.connectStore(CASSANDRA::session);
            assertThat(cache.storeStatus().available()).isTrue();
            assertThat(gauge("mtasts.store.available")).isEqualTo(1);
            await().atMost(Duration.ofSeconds(60)).until(() -> cache.unsavedPolicies() == 0);
            StoredPolicy row = cache.show(domain).orElseThrow();
            assertThat(row.policy()).isEqualTo(p);
            assertThat(row.recordId()).isEqualTo("id1");
            assertThat(cache.show(dnsDown)).isEmpty();
        }
    }

    @Test
    void deferAnswersErrorWithoutLookingUpWhileTheStoreIsDown() throws IOException {
        source.publish(domain, "id1", enforce("mx." + domain));
        try (PolicyCache cache = PolicyCache.unconnected(source, settings(StoreOutage.DEFER), clock, metrics, "n1")) {
            connectToClosedPort(cache);

            CacheResult r = cache.get(domain);
            assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
            assertThat(r.reason()).contains("store unavailable");
            assertThat(source.totalLookups()).isZero();
            assertThat(source.totalFetches()).isZero();

            cache.connectStore(CASSANDRA::session);
            assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.OK);
        }
    }

    @Test
    void liveMidRunOutageFetchesNewDomainsAndAnswersKnownOnesFromMemory() {
        CqlSession own = CassandraNode.shared().newSession();
        StsPolicy known = enforce("mx." + domain);
        source.publish(domain, "id1", known);
        String fresh = "new-" + domain;
        StsPolicy freshPolicy = enforce("mx." + fresh);
        source.publish(fresh, "id2", freshPolicy);
        try (PolicyCache cache = PolicyCache.create(own, source, settings(StoreOutage.LIVE), clock, metrics, "n1")) {
            assertThat(cache.get(domain).policy()).isEqualTo(known);
            assertThat(cache.storeStatus().available()).isTrue();

            own.close(); // the store is gone for this cache
            clock.advance(Duration.ofMinutes(5)); // past the near-cache TTL: the store is asked, and fails

            CacheResult f = cache.get(fresh);
            assertThat(f.outcome()).isEqualTo(Outcome.OK);
            assertThat(f.policy()).isEqualTo(freshPolicy);
            assertThat(cache.storeStatus().available()).isFalse();
            assertThat(cache.storeStatus().reading().state()).isEqualTo(StoreStatus.State.UNAVAILABLE);
            assertThat(cache.unsavedPolicies()).isEqualTo(1);
            assertThat(cache.get(domain).policy()).isEqualTo(known);
        }
    }

    private int gauge(String name) {
        return ((Number) ((Gauge<?>) metrics.getGauges().get(name)).getValue()).intValue();
    }
}
