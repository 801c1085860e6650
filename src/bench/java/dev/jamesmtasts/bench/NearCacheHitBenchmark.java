package dev.jamesmtasts.bench;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.testing.CassandraNode;

/**
 * The delivery hot path on a near-cache hit: {@code get(domain)} + MX match. Needs the node on 9042
 * (for setup only; a hit never touches Cassandra). Run: {@code bin/bench jmh NearCacheHitBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class NearCacheHitBenchmark {
    private static final int DOMAINS = 1024;

    private CqlSession session;
    private PolicyCache cache;
    private final String[] domains = new String[DOMAINS];
    private int next;

    @Setup
    public void setUp() {
        session = CassandraNode.shared().newSession();
        CacheSettings settings = CacheSettings.builder().keyspace("bench_near")
                .idCheckInterval(Duration.ofDays(1)).nearCacheTtl(Duration.ofDays(1)).build();
        cache = PolicyCache.create(session, new BenchSource(BenchSource.policy()), settings, Clock.systemUTC(),
                new MetricRegistry(), "bench");
        for (int i = 0; i < DOMAINS; i++) {
            domains[i] = "d" + i + ".example";
            if (cache.get(domains[i]).policy() == null) {
                throw new IllegalStateException("setup failed for " + domains[i]);
            }
        }
    }

    @Benchmark
    public boolean getAndMatchMx() {
        String d = domains[next++ & (DOMAINS - 1)];
        CacheResult r = cache.get(d);
        return r.policy() != null && r.policy().matchesMx("a.mx.example.net");
    }

    @TearDown
    public void tearDown() {
        cache.close();
        session.close();
    }
}
