package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.Type;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;

import dev.jamesmtasts.cache.FakePolicySource.MutableClock;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsSyntaxException;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.MtaStsTestbed;

/**
 * What the wire tests of the cache share: the Cassandra keyspace of the test class (tables truncated
 * before each test), one {@link MtaStsTestbed} (test DNS server, test HTTPS server, test CA) for the
 * class, the real {@link MtaStsResolver} pointed at it, a hand-moved clock, a fresh domain per test,
 * and the servers' counters for that domain ({@link Wire}).
 */
abstract class WireTestSupport {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    static MtaStsTestbed bed;
    /** The testbed's settings: 1 s DNS time-out, 10 s fetch bound. */
    static MtaStsResolver resolver;
    /** A 2 s fetch bound, for the servers that stall. */
    static MtaStsResolver shortResolver;

    private final List<PolicyCache> caches = new ArrayList<>();
    private final List<MtaStsResolver> resolvers = new ArrayList<>();
    MutableClock clock;
    CacheSettings settings;
    MetricRegistry metrics;
    PolicyCache cache;
    /** The background revalidations of {@link #cache} (stale-while-revalidate). */
    RevalidationProbe revalidations;
    String domain;

    @BeforeAll
    static void startServers() throws IOException {
        bed = MtaStsTestbed.start();
        resolver = new MtaStsResolver(bed.settings().build());
        shortResolver = new MtaStsResolver(bed.settings().fetchTimeout(Duration.ofSeconds(2)).build());
    }

    @AfterAll
    static void stopServers() {
        shortResolver.close();
        resolver.close();
        bed.close();
    }

    @BeforeEach
    void setUp() {
        clock = MutableClock.now();
        settings = CacheSettings.builder().keyspace(CASSANDRA.keyspace()).build();
        // the schema exists after the first create; then every test starts from empty tables, and the
        // cache's own create (below) re-initialises the refresher state at this test's clock
        PolicyStore.create(CASSANDRA.session(), settings, clock);
        for (String table : List.of("policies", "policy_due", "refresh_leases", "refresh_state")) {
            CASSANDRA.session().execute(SimpleStatement.newInstance("TRUNCATE " + settings.keyspace() + "." + table)
                    .setTimeout(Duration.ofSeconds(60)));
        }
        metrics = new MetricRegistry();
        cache = newCache(resolver, metrics);
        revalidations = RevalidationProbe.attach(cache);
        domain = "w" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36) + ".example";
    }

    @AfterEach
    void tearDown() {
        caches.forEach(PolicyCache::close);
        resolvers.forEach(MtaStsResolver::close);
    }

    /** A resolver of its own (its own TLS client context, so no TLS session shared with other resolvers). */
    MtaStsResolver newResolver(Duration fetchBound) {
        MtaStsResolver r = new MtaStsResolver(bed.settings().fetchTimeout(fetchBound).build());
        resolvers.add(r);
        return r;
    }

    PolicyCache newCache(MtaStsResolver source, MetricRegistry registry) {
        PolicyCache c = PolicyCache.create(CASSANDRA.session(), source, settings, clock, registry,
                "node-" + caches.size());
        caches.add(c);
        return c;
    }

    // ------------------------------------------------------------------ helpers

    /** The result of the background revalidation of {@link #domain} that the last get of {@link #cache} started. */
    CacheResult revalidated() {
        return revalidations.next(domain);
    }

    /** Publishes an enforce policy (max_age one day) under id1 and caches it with one get; returns its text. */
    String cachedEnforce() {
        String text = enforceText(domain, 86_400);
        bed.publish(domain, "id1", text);
        assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        return text;
    }

    static String enforceText(String d, long maxAge) {
        return "version: STSv1\nmode: enforce\nmx: mx." + d + "\nmx: *.mx." + d + "\nmax_age: " + maxAge + "\n";
    }

    /** {@code text} padded with an extension line to exactly {@code size} bytes. */
    static String padded(String text, int size) {
        String head = text + "padding: ";
        return head + "x".repeat(size - head.length() - 1) + "\n";
    }

    static StsPolicy parse(String text) {
        try {
            return StsPolicy.parse(text);
        } catch (StsSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static void changeId(String d, String id) {
        bed.dns().clear("_mta-sts." + d).txt("_mta-sts." + d, "v=STSv1; id=" + id + ";");
    }

    StoredPolicy row() {
        return cache.show(domain).orElse(null);
    }

    /** The policy columns are untouched (last_use and last_check are bookkeeping, not the policy). */
    static void assertSameRow(StoredPolicy actual, StoredPolicy expected) {
        assertThat(actual).isNotNull();
        assertThat(actual.recordId()).isEqualTo(expected.recordId());
        assertThat(actual.policy()).isEqualTo(expected.policy());
        assertThat(actual.policy().text()).isEqualTo(expected.policy().text());
        assertThat(actual.inserted()).isEqualTo(expected.inserted());
        assertThat(actual.lastUpdate()).isEqualTo(expected.lastUpdate());
        assertThat(actual.validUntil()).isEqualTo(expected.validUntil());
        assertThat(actual.backoff()).isEqualTo(expected.backoff());
    }

    static int txt(String d) {
        return bed.dns().queries("_mta-sts." + d, Type.TXT);
    }

    static int a(String d) {
        return bed.dns().queries("mta-sts." + d, Type.A);
    }

    static int aaaa(String d) {
        return bed.dns().queries("mta-sts." + d, Type.AAAA);
    }

    static int gets(String d) {
        return bed.https().requests("mta-sts." + d);
    }

    static Wire wire(String d) {
        return new Wire(txt(d), a(d), aaaa(d), gets(d));
    }

    /** The servers' counters for one domain: TXT queries, A and AAAA queries of the policy host, GETs. */
    static final class Wire {
        final int txt;
        final int a;
        final int aaaa;
        final int get;

        Wire(int txt, int a, int aaaa, int get) {
            this.txt = txt;
            this.a = a;
            this.aaaa = aaaa;
            this.get = get;
        }

        Wire plusTxt(int n) {
            return new Wire(txt + n, a, aaaa, get);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Wire)) {
                return false;
            }
            Wire w = (Wire) o;
            return txt == w.txt && a == w.a && aaaa == w.aaaa && get == w.get;
        }

        @Override
        public int hashCode() {
            return ((txt * 31 + a) * 31 + aaaa) * 31 + get;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "TXT %d, A %d, AAAA %d, GET %d", txt, a, aaaa, get);
        }
    }
}
