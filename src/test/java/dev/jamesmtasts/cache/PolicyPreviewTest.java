package dev.jamesmtasts.cache;

import static dev.jamesmtasts.cache.FakePolicySource.policy;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsRecord;

/**
 * {@link PolicyPreview}: the answer the next delivery would get, by the cache's own rules, for a stored
 * row and a TXT lookup made now; fetching only when the rules ask for it.
 */
class PolicyPreviewTest {
    private static final String DOMAIN = "example.com";
    private static final Duration BACKOFF = Duration.ofMinutes(5);
    private static final Instant FETCHED = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant NOW = FETCHED.plusSeconds(3600);
    private static final StsPolicy ENFORCE = policy(StsPolicy.Mode.ENFORCE, 86_400, "mx.example.com");
    private static final StsPolicy TESTING = policy(StsPolicy.Mode.TESTING, 86_400, "mx.example.com");

    private final AtomicInteger fetches = new AtomicInteger();

    private Supplier<PolicyFetchResult> fetch(PolicyFetchResult r) {
        return () -> {
            fetches.incrementAndGet();
            return r;
        };
    }

    private static StoredPolicy cached(StsPolicy p, String id) {
        return StoredPolicy.fetched(DOMAIN, id, p, FETCHED, null);
    }

    @Test
    void aConfirmedIdAnswersTheStoredPolicyWithoutFetching() {
        CacheResult r = PolicyPreview.nextDelivery(DOMAIN, cached(ENFORCE, "id1"),
                RecordLookupResult.found(StsRecord.of("id1")), fetch(PolicyFetchResult.success(TESTING)), NOW, BACKOFF);
        assertThat(r.outcome()).isEqualTo(CacheResult.Outcome.OK);
        assertThat(r.policy()).isEqualTo(ENFORCE);
        assertThat(r.reason()).isEqualTo("id id1 confirmed in DNS");
        assertThat(fetches.get()).isZero();
    }

    @Test
    void aChangedIdAnswersTheFetchedPolicy() {
        CacheResult r = PolicyPreview.nextDelivery(DOMAIN, cached(ENFORCE, "id1"),
                RecordLookupResult.found(StsRecord.of("id2")), fetch(PolicyFetchResult.success(TESTING)), NOW, BACKOFF);
        assertThat(r.policy()).isEqualTo(TESTING);
        assertThat(r.recordId()).isEqualTo("id2");
        assertThat(fetches.get()).isEqualTo(1);
    }

    /** RFC 8461 §10.2 and §5.1: a vanished record or a failed re-fetch never strips a valid cached policy. */
    @Test
    void aValidCachedPolicyIsKeptWhateverDnsAndTheFetchSay() {
        CacheResult gone = PolicyPreview.nextDelivery(DOMAIN, cached(ENFORCE, "id1"),
                RecordLookupResult.noRecord("NXDOMAIN"), fetch(PolicyFetchResult.success(TESTING)), NOW, BACKOFF);
        assertThat(gone.policy()).isEqualTo(ENFORCE);
        CacheResult failed = PolicyPreview.nextDelivery(DOMAIN, cached(ENFORCE, "id1"),
                RecordLookupResult.found(StsRecord.of("id2")),
                fetch(PolicyFetchResult.failure(FetchFailure.HTTP_STATUS, "HTTP 500")), NOW, BACKOFF);
        assertThat(failed.policy()).isEqualTo(ENFORCE);
        assertThat(failed.fetchFailure()).isEqualTo(FetchFailure.HTTP_STATUS);
    }

    /** RFC 8461 §3.3: during a stored backoff the delivery answers it and nothing is fetched. */
    @Test
    void aRunningBackoffIsAnsweredWithoutFetching() {
        StoredPolicy row = StoredPolicy.withBackoff(DOMAIN, NOW.plusSeconds(60), "id id1: HTTP_STATUS: HTTP 500", null);
        CacheResult r = PolicyPreview.nextDelivery(DOMAIN, row, RecordLookupResult.found(StsRecord.of("id1")),
                fetch(PolicyFetchResult.success(ENFORCE)), NOW, BACKOFF);
        assertThat(r.outcome()).isEqualTo(CacheResult.Outcome.BACKOFF);
        assertThat(r.fetchFailure()).isEqualTo(FetchFailure.HTTP_STATUS);
        assertThat(fetches.get()).isZero();
    }

    @Test
    void aFirstContactFetchesAndATemporaryDnsErrorIsAnError() {
        CacheResult first = PolicyPreview.nextDelivery(DOMAIN, null, RecordLookupResult.found(StsRecord.of("id1")),
                fetch(PolicyFetchResult.failure(FetchFailure.TLS, "bad certificate")), NOW, BACKOFF);
        assertThat(first.outcome()).isEqualTo(CacheResult.Outcome.BACKOFF);
        assertThat(first.reason()).contains("retry after " + NOW.plus(BACKOFF));
        CacheResult temporary = PolicyPreview.nextDelivery(DOMAIN, null, RecordLookupResult.temporaryError("SERVFAIL"),
                fetch(PolicyFetchResult.success(ENFORCE)), NOW, BACKOFF);
        assertThat(temporary.outcome()).isEqualTo(CacheResult.Outcome.ERROR);
        assertThat(fetches.get()).isEqualTo(1);
    }
}
