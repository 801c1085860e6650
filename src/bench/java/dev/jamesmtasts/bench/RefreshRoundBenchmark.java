package dev.jamesmtasts.bench;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import com.codahale.metrics.MetricRegistry;
import com.datastax.oss.driver.api.core.CqlSession;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.cache.PolicyCache;
import dev.jamesmtasts.cache.PolicyStore;
import dev.jamesmtasts.cache.RoundSummary;
import dev.jamesmtasts.testing.CassandraNode;

/**
 * One refresher round over N stored policies (default 100,000), half of them due: time for the round
 * and due-index rows read against rows due (the policy table is never scanned). The policy source
 * answers instantly with an unchanged id. Not a test. Run:
 * {@code bin/bench main RefreshRoundBenchmark [policies=N] [concurrency=N]}.
 */
public final class RefreshRoundBenchmark {
    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, "policies", "concurrency");
        int n = a.intValue("policies", 100_000);
        int concurrency = a.intValue("concurrency", 4);
        String ks = "bench_refresh";
        Instant t0 = Instant.now();
        try (CqlSession session = CassandraNode.shared().newSession()) {
            BenchSupport.dropKeyspace(session, ks);
            CacheSettings settings = CacheSettings.builder().keyspace(ks).refreshConcurrency(concurrency).build();
            PolicyStore store = PolicyStore.create(session, settings, Clock.fixed(t0, ZoneOffset.UTC));
            // half fetched at t0 (due at t0 + 12 h), half at t0 + 6 h (due at t0 + 18 h)
            long ms1 = BenchSupport.importPolicies(store, 0, n / 2, BenchSource.policy(), t0);
            long ms2 = BenchSupport.importPolicies(store, n / 2, n, BenchSource.policy(), t0.plus(Duration.ofHours(6)));
            System.out.printf("imported %,d policies in %,d ms%n", n, ms1 + ms2);

            Clock roundClock = Clock.fixed(t0.plus(Duration.ofHours(12)).plus(Duration.ofMinutes(30)), ZoneOffset.UTC);
            BenchSource source = new BenchSource(BenchSource.policy());
            PolicyStore roundStore = PolicyStore.create(session, settings, roundClock);
            try (PolicyCache cache = new PolicyCache(roundStore, source, settings, roundClock, new MetricRegistry(), "bench")) {
                RoundSummary s = cache.runRefreshRound();
                System.out.printf("refresh round over %,d stored policies (concurrency %d): %,d ms; due-index rows read %,d, "
                                + "rows due %,d, policy rows read %,d, TXT lookups %,d, fetches %,d%n  %s%n",
                        n, concurrency, s.durationMillis(), s.indexRowsRead(), s.rowsDue(), s.policyRowsRead(),
                        source.lookups.get(), source.fetches.get(), s);
            }
            BenchSupport.dropKeyspace(session, ks);
        }
    }
}
