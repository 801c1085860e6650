package dev.jamesmtasts.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;

import dev.jamesmtasts.cache.PolicyStore;
import dev.jamesmtasts.mtasts.StsPolicy;

/** Helpers shared by the Cassandra benchmark harnesses. */
final class BenchSupport {
    private BenchSupport() {
    }

    static String domain(int i) {
        return "b" + i + ".example";
    }

    static void dropKeyspace(CqlSession session, String ks) {
        session.execute(SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + ks)
                .setTimeout(java.time.Duration.ofSeconds(120)));
    }

    /** Stores domains [from, to) as fetched at {@code at}, 128 writes in flight. Returns millis taken. */
    static long importPolicies(PolicyStore store, int from, int to, StsPolicy policy, Instant at) throws Exception {
        long t0 = System.nanoTime();
        Semaphore inFlight = new Semaphore(128);
        List<CompletableFuture<Void>> errors = new ArrayList<>();
        for (int i = from; i < to; i++) {
            inFlight.acquire();
            CompletableFuture<Void> f = store.importFetched(domain(i), "id1", policy, at).toCompletableFuture();
            f.whenComplete((v, e) -> inFlight.release());
            if (i % 1000 == 0) {
                errors.add(f);
            }
        }
        if (!inFlight.tryAcquire(128, 120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("import did not finish");
        }
        for (CompletableFuture<Void> f : errors) {
            f.join();
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static long percentile(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
