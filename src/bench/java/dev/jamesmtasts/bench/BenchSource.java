package dev.jamesmtasts.bench;

import java.util.concurrent.atomic.AtomicLong;

import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.PolicySource;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsRecord;

/**
 * A policy source for benchmarks: every domain publishes id {@code "id1"} and the same enforce policy,
 * answered instantly, so the figures measure the cache and Cassandra, not a network.
 */
public final class BenchSource implements PolicySource {
    private final RecordLookupResult record = RecordLookupResult.found(StsRecord.of("id1"));
    private final PolicyFetchResult fetch;
    final AtomicLong lookups = new AtomicLong();
    final AtomicLong fetches = new AtomicLong();

    public BenchSource(StsPolicy policy) {
        this.fetch = PolicyFetchResult.success(policy);
    }

    @Override
    public RecordLookupResult lookupRecord(String domain) {
        lookups.incrementAndGet();
        return record;
    }

    @Override
    public PolicyFetchResult fetchPolicy(String domain) {
        fetches.incrementAndGet();
        return fetch;
    }

    static StsPolicy policy() {
        try {
            return StsPolicy.parse("version: STSv1\nmode: enforce\nmx: mx1.example.net\nmx: *.mx.example.net\nmax_age: 604800\n");
        } catch (dev.jamesmtasts.mtasts.StsSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
