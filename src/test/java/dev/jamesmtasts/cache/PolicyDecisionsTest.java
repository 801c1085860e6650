package dev.jamesmtasts.cache;

import static dev.jamesmtasts.cache.FakePolicySource.policy;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.PolicyDecisions.Action;
import dev.jamesmtasts.cache.PolicyDecisions.Caller;
import dev.jamesmtasts.cache.PolicyDecisions.Decision;
import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.StsRecord;

/**
 * The RFC 8461 cache rules (§3.3 refreshing and backoff, §5.1 policy application, §10.2 policy
 * deletion), case by case, without Cassandra, DNS or HTTPS: each test states what is cached, what DNS
 * and the fetch say, and what {@link PolicyDecisions} decide to store and to answer.
 */
class PolicyDecisionsTest {
    private static final String DOMAIN = "example.com";
    private static final Duration BACKOFF = Duration.ofMinutes(5);
    private static final long DAY = 86_400;
    /** Fetched one hour before "now": valid for a day, body due for a re-fetch after 12 hours. */
    private static final Instant FETCHED = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant NOW = FETCHED.plusSeconds(3600);
    private static final StsPolicy ENFORCE = policy(StsPolicy.Mode.ENFORCE, DAY, "mx.example.com");
    private static final StsPolicy TESTING = policy(StsPolicy.Mode.TESTING, DAY, "mx.example.com");
    private static final StsPolicy NONE = policy(StsPolicy.Mode.NONE, DAY);
    private static final StsPolicy NEW_ENFORCE = policy(StsPolicy.Mode.ENFORCE, DAY, "mx2.example.com");

    private final PolicyDecisions decisions = new PolicyDecisions(BACKOFF);

    private static StoredPolicy cached(StsPolicy p, String id) {
        return StoredPolicy.fetched(DOMAIN, id, p, FETCHED, null);
    }

    /** A policy fetched max_age + 1 s ago: expired. */
    private static StoredPolicy expired(StsPolicy p, String id) {
        return StoredPolicy.fetched(DOMAIN, id, p, NOW.minusSeconds(p.maxAgeSeconds() + 1), null);
    }

    /** A failed first fetch remembered until {@code until}, no policy. */
    private static StoredPolicy backoffOnly(Instant until) {
        return StoredPolicy.withBackoff(DOMAIN, until, "id id1: HTTP_STATUS: HTTP 500", null);
    }

    private static RecordLookupResult found(String id) {
        return RecordLookupResult.found(StsRecord.of(id));
    }

    private static final RecordLookupResult NO_RECORD = RecordLookupResult.noRecord("NXDOMAIN");
    private static final RecordLookupResult INVALID = RecordLookupResult.invalidRecord("v=STSv1 without id");
    private static final RecordLookupResult MULTIPLE = RecordLookupResult.multipleRecords("2 STSv1 records");
    private static final RecordLookupResult SERVFAIL = RecordLookupResult.temporaryError("SERVFAIL");
    private static final PolicyFetchResult HTTP_500 = PolicyFetchResult.failure(FetchFailure.HTTP_STATUS, "HTTP 500");

    private Decision lookup(Caller caller, StoredPolicy row, RecordLookupResult rec) {
        return decisions.afterLookup(caller, DOMAIN, row, null, rec, NOW);
    }

    private Decision delivery(StoredPolicy row, RecordLookupResult rec) {
        return lookup(Caller.DELIVERY, row, rec);
    }

    @Nested
    class AValidPolicyIsCached {
        private final StoredPolicy row = cached(ENFORCE, "id1");

        @Test
        void anUnchangedIdConfirmsItWithoutAFetch() {
            Decision d = delivery(row, found("id1"));

            assertThat(d.action).isEqualTo(Action.RECORD_CHECK);
            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.OK);
            assertThat(d.answer.policy()).isEqualTo(ENFORCE);
            assertThat(d.answer.recordId()).isEqualTo("id1");
            assertThat(d.answer.fresh()).isTrue();
            assertThat(d.reason).contains("id id1 confirmed");
            // the refresher records the same check in the store (it moves the row's due time)
            assertThat(lookup(Caller.REFRESH, row, found("id1")).action).isEqualTo(Action.RECORD_CHECK);
        }

        @Test
        void anAdminsForcedRefreshFetchesEvenWithAnUnchangedId() {
            Decision d = lookup(Caller.FORCED_REFRESH, row, found("id1"));

            assertThat(d.action).isEqualTo(Action.FETCH);
            assertThat(d.recordId).isEqualTo("id1");
        }

        @Test
        void anUnchangedIdAfterHalfTheMaxAgeRefetchesTheBody() {
            Instant late = FETCHED.plusSeconds(DAY / 2);

            Decision d = decisions.afterLookup(Caller.DELIVERY, DOMAIN, row, null, found("id1"), late);

            assertThat(d.action).isEqualTo(Action.FETCH);
            assertThat(d.reason).isEqualTo("body re-fetch");
            assertThat(PolicyDecisions.bodyDue(row, late.minusSeconds(1))).isFalse();
        }

        @Test
        void aChangedIdFetchesTheNewPolicy() {
            Decision d = delivery(row, found("id2"));

            assertThat(d.action).isEqualTo(Action.FETCH);
            assertThat(d.recordId).isEqualTo("id2");
            assertThat(d.answer).isNull();
        }

        @Test
        void aSuccessfulFetchIsStoredAndAnsweredFresh() {
            Decision d = decisions.afterFetch(Caller.DELIVERY, row, "id2", PolicyFetchResult.success(NEW_ENFORCE), NOW);

            assertThat(d.action).isEqualTo(Action.WRITE_FETCHED);
            assertThat(d.policy).isEqualTo(NEW_ENFORCE);
            assertThat(d.recordId).isEqualTo("id2");
            assertThat(d.answer.policy()).isEqualTo(NEW_ENFORCE);
            assertThat(d.answer.recordId()).isEqualTo("id2");
            assertThat(d.answer.fresh()).isTrue();
        }

        @Test
        void aFailedRefetchKeepsTheCachedPolicyAndLimitsRetriesToOnePerBackoff() {
            Decision d = decisions.afterFetch(Caller.DELIVERY, row, "id2", HTTP_500, NOW);

            // RFC 8461 §5.1: a failed re-fetch never removes or downgrades the cached policy
            assertThat(d.action).isEqualTo(Action.KEEP);
            assertThat(d.answer.policy()).isEqualTo(ENFORCE);
            assertThat(d.answer.recordId()).isEqualTo("id1");
            assertThat(d.answer.fresh()).isFalse();
            assertThat(d.reason).contains("id changed to id2").contains("HTTP 500").contains(row.validUntil().toString());
            // RFC 8461 §3.3: no new attempt from this node for 5 minutes; no backoff stored over a valid policy
            assertThat(d.refetchNotBefore).isEqualTo(NOW.plus(BACKOFF));
            assertThat(d.backoffUntil).isNull();
        }

        @Test
        void whileThisNodesRefetchLimitRunsAChangedIdKeepsThePolicyWithoutAFetch() {
            Decision d = decisions.afterLookup(Caller.DELIVERY, DOMAIN, row, NOW.plusSeconds(60), found("id2"), NOW);

            assertThat(d.action).isEqualTo(Action.KEEP);
            assertThat(d.answer.policy()).isEqualTo(ENFORCE);
            assertThat(d.reason).contains("failed recently");
        }

        @Test
        void onceThisNodesRefetchLimitIsOverTheChangedIdIsFetchedAgain() {
            Decision d = decisions.afterLookup(Caller.DELIVERY, DOMAIN, row, NOW, found("id2"), NOW);

            assertThat(d.action).isEqualTo(Action.FETCH);
        }

        @Test
        void aTemporaryDnsErrorKeepsThePolicy() {
            Decision d = delivery(row, SERVFAIL);

            assertThat(d.action).isEqualTo(Action.KEEP);
            assertThat(d.answer.policy()).isEqualTo(ENFORCE);
            assertThat(d.answer.fresh()).isFalse();
            assertThat(d.reason).contains("SERVFAIL");
            assertThat(lookup(Caller.REFRESH, row, SERVFAIL).action).isEqualTo(Action.KEEP);
        }

        @Test
        void aVanishedInvalidOrDuplicatedRecordKeepsAnEnforcePolicyUntilItExpires() {
            // RFC 8461 §10.2: removing the record must not strip a policy senders have cached
            for (RecordLookupResult gone : new RecordLookupResult[] {NO_RECORD, INVALID, MULTIPLE}) {
                for (Caller caller : Caller.values()) {
                    Decision d = lookup(caller, row, gone);
                    assertThat(d.action).as(caller + " " + gone).isEqualTo(Action.KEEP);
                    assertThat(d.answer.policy()).isEqualTo(ENFORCE);
                    assertThat(d.reason).contains("TXT record gone");
                    assertThat(d.noRecord).isFalse();
                }
            }
            assertThat(delivery(cached(TESTING, "id1"), NO_RECORD).answer.policy()).isEqualTo(TESTING);
        }
    }

    @Nested
    class APolicyOfModeNoneIsCached {
        private final StoredPolicy row = cached(NONE, "id1");

        @Test
        void itIsAnsweredAsNoPolicy() {
            Decision d = delivery(row, found("id1"));

            assertThat(d.action).isEqualTo(Action.RECORD_CHECK);
            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.OK);
            assertThat(d.answer.policy()).isNull();
            assertThat(d.answer.reason()).startsWith("policy mode none");
        }

        @Test
        void aVanishedRecordDeletesIt() {
            // RFC 8461 §10.2: a domain leaves MTA-STS by publishing mode none, then removing the record
            for (Caller caller : Caller.values()) {
                Decision d = lookup(caller, row, NO_RECORD);
                assertThat(d.action).as(caller.name()).isEqualTo(Action.DELETE);
                assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.NOT_FOUND);
                assertThat(d.noRecord).isTrue();
                assertThat(d.reason).contains("none").contains("deleted");
            }
        }

        @Test
        void aFetchedNonePolicyIsStoredAndAnsweredAsNoPolicy() {
            Decision d = decisions.afterFetch(Caller.DELIVERY, null, "id1", PolicyFetchResult.success(NONE), NOW);

            assertThat(d.action).isEqualTo(Action.WRITE_FETCHED);
            assertThat(d.policy).isEqualTo(NONE);
            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.OK);
            assertThat(d.answer.policy()).isNull();
        }
    }

    @Nested
    class NothingIsCachedYet {
        @Test
        void aFoundRecordIsFollowedByAFirstFetch() {
            Decision d = delivery(null, found("id1"));

            assertThat(d.action).isEqualTo(Action.FETCH);
            assertThat(d.recordId).isEqualTo("id1");
        }

        @Test
        void aSuccessfulFirstFetchIsStoredAndAnswered() {
            Decision d = decisions.afterFetch(Caller.DELIVERY, null, "id1", PolicyFetchResult.success(ENFORCE), NOW);

            assertThat(d.action).isEqualTo(Action.WRITE_FETCHED);
            assertThat(d.answer.policy()).isEqualTo(ENFORCE);
            assertThat(d.answer.fresh()).isTrue();
            assertThat(d.reason).isEqualTo("fetched, id id1");
        }

        @Test
        void aFailedFirstFetchStoresABackoffAndIsAnsweredAsNoPolicy() {
            Decision d = decisions.afterFetch(Caller.DELIVERY, null, "id1", HTTP_500, NOW);

            // RFC 8461 §3.3: behave as if no policy, do not fetch again for a while
            assertThat(d.action).isEqualTo(Action.WRITE_BACKOFF);
            assertThat(d.backoffUntil).isEqualTo(NOW.plus(BACKOFF));
            assertThat(d.backoffReason).contains("id1").contains("HTTP 500");
            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.BACKOFF);
            assertThat(d.answer.policy()).isNull();
            assertThat(decisions.afterFetch(Caller.REFRESH, null, "id1", HTTP_500, NOW).action).isEqualTo(Action.WRITE_BACKOFF);
        }

        @Test
        void aTemporaryDnsErrorIsAnErrorNeverNoPolicy() {
            Decision d = delivery(null, SERVFAIL);

            assertThat(d.action).isEqualTo(Action.NOTHING);
            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.ERROR);
            assertThat(d.reason).contains("temporary DNS error").contains("SERVFAIL");
            assertThat(d.noRecord).isFalse();
        }

        @Test
        void aMissingInvalidOrDuplicatedRecordMeansNoPolicy() {
            for (RecordLookupResult gone : new RecordLookupResult[] {NO_RECORD, INVALID, MULTIPLE}) {
                Decision d = delivery(null, gone);
                assertThat(d.action).as(gone.toString()).isEqualTo(Action.NOTHING);
                assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.NOT_FOUND);
                assertThat(d.noRecord).isTrue();
                assertThat(d.reason).contains(gone.reason());
            }
        }
    }

    @Nested
    class TheCachedPolicyHasExpired {
        private final StoredPolicy row = expired(ENFORCE, "id1");

        @Test
        void anUnchangedIdStillFetchesForExpiredMeansNothingIsApplied() {
            Decision d = delivery(row, found("id1"));

            assertThat(d.action).isEqualTo(Action.FETCH);
        }

        @Test
        void thisNodesRefetchLimitOnlyGuardsAValidPolicy() {
            Decision d = decisions.afterLookup(Caller.DELIVERY, DOMAIN, row, NOW.plusSeconds(60), found("id2"), NOW);

            assertThat(d.action).isEqualTo(Action.FETCH);
        }

        @Test
        void aFailedFetchStoresABackoff() {
            Decision d = decisions.afterFetch(Caller.DELIVERY, row, "id1", HTTP_500, NOW);

            assertThat(d.action).isEqualTo(Action.WRITE_BACKOFF);
            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.BACKOFF);
        }

        @Test
        void aTemporaryDnsErrorIsAnError() {
            Decision d = delivery(row, SERVFAIL);

            assertThat(d.action).isEqualTo(Action.KEEP);
            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.ERROR);
        }

        @Test
        void aVanishedRecordIsNoPolicyAndTheRefresherDeletesTheDeadRow() {
            Decision delivery = delivery(row, NO_RECORD);
            assertThat(delivery.answer.outcome()).isEqualTo(CacheResult.Outcome.NOT_FOUND);
            assertThat(delivery.noRecord).isTrue();
            // deliveries write nothing for it; the refresher's round removes it
            assertThat(delivery.action).isEqualTo(Action.KEEP);
            assertThat(lookup(Caller.REFRESH, row, NO_RECORD).action).isEqualTo(Action.DELETE);
            assertThat(lookup(Caller.FORCED_REFRESH, row, NO_RECORD).action).isEqualTo(Action.DELETE);
        }
    }

    @Nested
    class AFailedFetchIsRemembered {
        @Test
        void onceTheBackoffIsOverTheNextFetchIsTriedAndAFailureStartsANewBackoff() {
            StoredPolicy row = backoffOnly(NOW.minusSeconds(1));

            assertThat(delivery(row, found("id1")).action).isEqualTo(Action.FETCH);
            Decision d = decisions.afterFetch(Caller.DELIVERY, row, "id1", HTTP_500, NOW);
            assertThat(d.action).isEqualTo(Action.WRITE_BACKOFF);
            assertThat(d.backoffUntil).isEqualTo(NOW.plus(BACKOFF));
        }

        @Test
        void aSuccessAfterTheBackoffReplacesIt() {
            StoredPolicy row = backoffOnly(NOW.minusSeconds(1));

            Decision d = decisions.afterFetch(Caller.DELIVERY, row, "id1", PolicyFetchResult.success(ENFORCE), NOW);

            assertThat(d.action).isEqualTo(Action.WRITE_FETCHED);
            assertThat(d.answer.policy()).isEqualTo(ENFORCE);
        }

        @Test
        void anAdminsForcedRefreshDuringTheBackoffStillFetches() {
            // deliveries and rounds never look up during a backoff (RFC 8461 §3.3); an admin may
            StoredPolicy row = backoffOnly(NOW.plusSeconds(60));

            assertThat(lookup(Caller.FORCED_REFRESH, row, found("id1")).action).isEqualTo(Action.FETCH);
        }

        @Test
        void aBackoffNextToAValidPolicyNeverHidesIt() {
            StoredPolicy row = StoredPolicy.withBackoff(DOMAIN, NOW.plusSeconds(60), "HTTP 500", cached(ENFORCE, "id1"));

            Decision d = delivery(row, found("id1"));

            assertThat(d.action).isEqualTo(Action.RECORD_CHECK);
            assertThat(d.answer.policy()).isEqualTo(ENFORCE);
        }

        @Test
        void aTemporaryDnsErrorWithOnlyABackoffIsAnError() {
            Decision d = lookup(Caller.FORCED_REFRESH, backoffOnly(NOW.plusSeconds(60)), SERVFAIL);

            assertThat(d.action).isEqualTo(Action.KEEP);
            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.ERROR);
        }
    }

    @Nested
    class TheRefresherReportsTheSameDecisionsInItsWords {
        @Test
        void aRefetchOfAnUnchangedIdSaysTheBodyWasRefetched() {
            Decision d = decisions.afterFetch(Caller.REFRESH, cached(ENFORCE, "id1"), "id1",
                    PolicyFetchResult.success(NEW_ENFORCE), NOW);

            assertThat(d.reason).isEqualTo("body re-fetched, id id1");
        }

        @Test
        void aChangedIdSaysFromWhichToWhich() {
            Decision d = decisions.afterFetch(Caller.REFRESH, cached(ENFORCE, "id1"), "id2",
                    PolicyFetchResult.success(NEW_ENFORCE), NOW);

            assertThat(d.reason).contains("id1 -> id2");
        }
    }

    /** TLS-RPT (RFC 8460 §4.3.2.2) needs to know how a policy fetch failed: the answers carry it. */
    @org.junit.jupiter.api.Nested
    class FetchFailureReachesTheAnswer {
        private final PolicyDecisions decisions = new PolicyDecisions(BACKOFF);

        @Test
        void aFailedFirstFetchAnswersBackoffWithTheFailureKind() {
            PolicyFetchResult tls = PolicyFetchResult.failure(FetchFailure.TLS, "PKIX path building failed");
            Decision d = decisions.afterFetch(Caller.DELIVERY, null, "id1", tls, NOW);

            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.BACKOFF);
            assertThat(d.answer.fetchFailure()).isEqualTo(FetchFailure.TLS);
        }

        @Test
        void theStoredBackoffReasonGivesTheKindBackToEveryNodeThatReadsIt() {
            for (FetchFailure f : FetchFailure.values()) {
                Decision d = decisions.afterFetch(Caller.REFRESH, null, "id7",
                        PolicyFetchResult.failure(f, "detail: with: colons"), NOW);
                assertThat(PolicyDecisions.backoffFailure(d.backoffReason)).as(f.name()).isEqualTo(f);
                // the near-cache entry built from the stored row answers it (another node, after a restart)
                NearEntry e = new NearEntry(StoredPolicy.withBackoff(DOMAIN, NOW.plus(BACKOFF), d.backoffReason, null),
                        NOW.toEpochMilli(), NOW.toEpochMilli(), false, null);
                assertThat(e.backoffAnswer.fetchFailure()).as(f.name()).isEqualTo(f);
            }
            assertThat(PolicyDecisions.backoffFailure(null)).isNull();
            assertThat(PolicyDecisions.backoffFailure("written by an older version")).isNull();
            assertThat(PolicyDecisions.backoffFailure("id x: NOT_A_KIND: y")).isNull();
        }

        @Test
        void aFailedRefetchKeepsTheCachedPolicyAndSaysHowItFailed() {
            StoredPolicy row = cached(ENFORCE, "id1");
            PolicyFetchResult syntax = PolicyFetchResult.failure(FetchFailure.SYNTAX, "no mode");
            Decision d = decisions.afterFetch(Caller.DELIVERY, row, "id2", syntax, NOW);

            assertThat(d.answer.outcome()).isEqualTo(CacheResult.Outcome.OK);
            assertThat(d.answer.policy()).isEqualTo(ENFORCE);
            assertThat(d.answer.fetchFailure()).isEqualTo(FetchFailure.SYNTAX);
        }

        @Test
        void answersWithoutAFailedFetchCarryNone() {
            assertThat(decisions.afterFetch(Caller.DELIVERY, null, "id1", PolicyFetchResult.success(ENFORCE), NOW)
                    .answer.fetchFailure()).isNull();
            assertThat(decisions.afterLookup(Caller.DELIVERY, DOMAIN, null, null, NO_RECORD, NOW).answer.fetchFailure())
                    .isNull();
        }
    }
}
