package dev.jamesmtasts.bench;

import java.time.Clock;
import java.util.Arrays;
import java.util.Random;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.cache.PolicyStore;
import dev.jamesmtasts.testing.CassandraNode;

/**
 * A get that has to read Cassandra (near cache cold) over N stored policies (default 100,000):
 * prints p50/p99/max latency. The policy source answers instantly, so the figure is the store read
 * plus the cache's decision. Not a test. Run: {@code bin/bench main ColdGetBenchmark [policies=N] [gets=N]}.
 */
public final class ColdGetBenchmark {
    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, "policies", "gets");
        int n = a.intValue("policies", 100_000);
        int gets = a.intValue("gets", 20_000);
        String ks = "bench_cold";
        try (CqlSession session = CassandraNode.shared().newSession()) {
            BenchSupport.dropKeyspace(session, ks);
            CacheSettings settings = CacheSettings.builder().keyspace(ks).build();
            Clock clock = Clock.systemUTC();
            PolicyStore store = PolicyStore.create(session, settings, clock);
            long importMs = BenchSupport.importPolicies(store, 0, n, BenchSource.policy(), clock.instant());
            System.out.printf("imported %,d policies in %,d ms%n", n, importMs);

            BenchSource source = new BenchSource(BenchSource.policy());
            Random random = new Random(42);
            long[] lat = new long[gets];
            try (PolicyCache cache = new PolicyCache(store, source, settings, clock, new MetricRegistry(), "bench")) {
                // warm the JVM and the driver on domains outside the measured set
                for (int i = 0; i < 2000; i++) {
                    cache.get(BenchSupport.domain(random.nextInt(n)));
                }
                cache.clearNearCache();
                int[] order = random.ints(0, n).distinct().limit(gets).toArray();
                for (int i = 0; i < gets; i++) {
                    long t0 = System.nanoTime();
                    CacheResult r = cache.get(BenchSupport.domain(order[i]));
                    lat[i] = System.nanoTime() - t0;
                    if (r.policy() == null) {
                        throw new IllegalStateException("no policy for " + BenchSupport.domain(order[i]) + ": " + r);
                    }
                }
            }
            Arrays.sort(lat);
            System.out.printf("cold-near-cache get over %,d stored policies, %,d gets (1 thread): p50 %.3f ms, "
                            + "p90 %.3f ms, p99 %.3f ms, max %.3f ms; fetches during the run: %d%n",
                    n, gets, BenchSupport.percentile(lat, 50) / 1e6, BenchSupport.percentile(lat, 90) / 1e6,
                    BenchSupport.percentile(lat, 99) / 1e6, lat[lat.length - 1] / 1e6, source.fetches.get());
            BenchSupport.dropKeyspace(session, ks);
        }
    }
}
