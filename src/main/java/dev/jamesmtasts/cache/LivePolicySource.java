package dev.jamesmtasts.cache;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.codahale.metrics.Timer;

import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.PolicySource;
import dev.jamesmtasts.mtasts.RecordLookupResult;

/**
 * The live {@link PolicySource} (DNS + HTTPS) as the cache calls it: timed ({@code mtasts.record.latency},
 * {@code mtasts.fetch.latency}), and never throwing: a source that throws or returns nothing is a
 * temporary DNS error or a failed fetch, which the {@link PolicyDecisions} know how to treat.
 */
final class LivePolicySource {
    private static final Logger LOG = LoggerFactory.getLogger(LivePolicySource.class);
    private final PolicySource source;
    private final CacheMetrics metrics;

    LivePolicySource(PolicySource source, CacheMetrics metrics) {
        this.source = source;
        this.metrics = metrics;
    }

    RecordLookupResult lookupRecord(String domain) {
        Timer.Context timer = metrics.recordLookupLatency.time();
        try {
            RecordLookupResult r = source.lookupRecord(domain);
            return r != null ? r : RecordLookupResult.temporaryError("policy source returned nothing");
        } catch (RuntimeException ex) {
            LOG.warn("TXT lookup for {} threw", domain, ex);
            return RecordLookupResult.temporaryError("lookup failed: " + ex);
        } finally {
            timer.stop();
        }
    }

    PolicyFetchResult fetchPolicy(String domain) {
        Timer.Context timer = metrics.fetchLatency.time();
        try {
            PolicyFetchResult r = source.fetchPolicy(domain);
            return r != null ? r : PolicyFetchResult.failure(FetchFailure.PROTOCOL, "policy source returned nothing");
        } catch (RuntimeException ex) {
            LOG.warn("policy fetch for {} threw", domain, ex);
            return PolicyFetchResult.failure(FetchFailure.PROTOCOL, "fetch failed: " + ex);
        } finally {
            timer.stop();
        }
    }
}
