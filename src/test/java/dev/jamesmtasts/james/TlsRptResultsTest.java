package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import javax.mail.MessagingException;

import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.PublishedPolicy;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.james.MtaStsMailetSettings.Mode;
import dev.jamesmtasts.james.MtaStsMailetSettings.OnLookupError;
import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.SessionResult;

/**
 * {@link TlsRptResults}: one test per rule, each attempt built the way the mailet builds it (the cache's
 * answer through {@link PolicyDecider}, the per-MX results through {@link AttemptReports}).
 */
class TlsRptResultsTest {
    private static final String DOMAIN = "d.example";
    private static final String ENFORCE_TEXT = "version: STSv1\r\nmode: enforce\r\nmx: mx.d.example\r\nmx: *.mx.d.example\r\nmax_age: 86400\r\n";
    private static final String TESTING_TEXT = "version: STSv1\nmode: testing\nmx: mx.d.example\nmax_age: 86400\n";
    private static final StsPolicy ENFORCE = parse(ENFORCE_TEXT);
    private static final StsPolicy TESTING = parse(TESTING_TEXT);
    private static final AppliedPolicy ENFORCE_APPLIED = new AppliedPolicy(PolicyType.STS, DOMAIN,
            List.of("version: STSv1", "mode: enforce", "mx: mx.d.example", "mx: *.mx.d.example", "max_age: 86400"),
            List.of("mx.d.example", "*.mx.d.example"));
    private static final AppliedPolicy NO_POLICY = new AppliedPolicy(PolicyType.NO_POLICY_FOUND, DOMAIN, List.of(), List.of());
    private static final AppliedPolicy STS_UNFETCHED = new AppliedPolicy(PolicyType.STS, DOMAIN, List.of(), List.of());

    private static StsPolicy parse(String text) {
        try {
            return StsPolicy.parse(text);
        } catch (dev.jamesmtasts.mtasts.StsSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final CacheResult ENFORCE_ANSWER = CacheResult.policy(ENFORCE, "id1", true, "fetched");

    /** The report of one attempt whose policy lookup answered {@code answer}, the MX hosts doing {@code mx}. */
    private static DeliveryAttemptReport attempt(CacheResult answer, MxResult... mx) {
        return attempt(new PolicyDecider(Mode.FOLLOW, OnLookupError.DELIVER, Map.of(), false), answer, mx);
    }

    private static DeliveryAttemptReport attempt(PolicyDecider decider, CacheResult answer, MxResult... mx) {
        AttemptDecision d = decider.decide(DOMAIN, domain -> answer);
        AttemptContext c = new AttemptContext(d.application, d.policy);
        c.results.addAll(List.of(mx));
        return AttemptReports.build("m1", DOMAIN, 1, d, c,
                ExecutionResult.temporaryFailure(new MessagingException("whatever James said")));
    }

    /** An MX session that negotiated TLS 1.3 with a certificate judged {@code verdict}. */
    private static MxResult tls(String host, boolean matched, CertificateVerdict verdict, boolean delivered, String error) {
        return new MxResult(host, matched, Starttls.OFFERED, verdict, "TLSv1.3", delivered, error, "192.0.2.25",
                "198.51.100.7");
    }

    private static FailureDetail failure(ResultType type, String mx, String code) {
        return new FailureDetail(type, "198.51.100.7", mx, null, "192.0.2.25", null, code);
    }

    @Nested
    class UnderAPublishedPolicy {
        @Test
        void aSessionWithValidatedTlsToAListedMxIsASuccessUnderTheStsPolicyAsFetched() {
            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER,
                    tls("mx.d.example", true, CertificateVerdict.VALID, true, null)));

            assertThat(r).containsExactly(SessionResult.success(ENFORCE_APPLIED));
            assertThat(r.get(0).policy().type()).isEqualTo(PolicyType.STS);
            assertThat(r.get(0).policy().policyString()).containsExactly("version: STSv1", "mode: enforce",
                    "mx: mx.d.example", "mx: *.mx.d.example", "max_age: 86400");
        }

        @Test
        void validatedTlsFollowedByARefusedTransactionIsStillASuccess() {
            // RFC 8460 §4.2.1: the TLS negotiation and the policy validation succeeded; what SMTP said next is
            // no TLS failure
            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER,
                    tls("mx.d.example", true, CertificateVerdict.VALID, false, "refused: 550 no such user")));

            assertThat(r).containsExactly(SessionResult.success(ENFORCE_APPLIED));
        }

        @Test
        void anMxNotListedInThePolicyIsAValidationFailure() {
            // RFC 8461 §4.1 + RFC 8460 §4.3.3 (no type of its own); skipped without connecting under enforce
            MxResult skipped = new MxResult("mx.attacker.example", false, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED,
                    null, false, "not listed in the policy's mx patterns [mx.d.example, *.mx.d.example]");

            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER, skipped));

            assertThat(r).containsExactly(SessionResult.failure(ENFORCE_APPLIED, new FailureDetail(
                    ResultType.VALIDATION_FAILURE, null, "mx.attacker.example", null, null, null,
                    "mtasts-policy-mx-mismatch")));
        }

        @Test
        void underTestingAnUnlistedMxThatWasUsedIsAFailureToo() {
            List<SessionResult> r = TlsRptResults.of(attempt(CacheResult.policy(TESTING, "t1", true, "fetched"),
                    tls("mx.other.example", false, CertificateVerdict.VALID, true, null)));

            assertThat(r).hasSize(1);
            assertThat(r.get(0).policy().policyString()).contains("mode: testing");
            assertThat(r.get(0).failure()).isEqualTo(failure(ResultType.VALIDATION_FAILURE, "mx.other.example",
                    "mtasts-policy-mx-mismatch"));
        }

        @Test
        void anMxThatDidNotOfferStarttlsIsStarttlsNotSupported() {
            MxResult plain = new MxResult("mx.d.example", true, Starttls.NOT_OFFERED, CertificateVerdict.NOT_CHECKED,
                    null, false, "STARTTLS not offered", "192.0.2.25", "198.51.100.7");

            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER, plain));

            assertThat(r).containsExactly(SessionResult.failure(ENFORCE_APPLIED,
                    failure(ResultType.STARTTLS_NOT_SUPPORTED, "mx.d.example", null)));
        }

        @Test
        void aCertificateForAnotherNameIsCertificateHostMismatch() {
            assertThat(TlsRptResults.of(attempt(ENFORCE_ANSWER, tls("mx.d.example", true,
                    CertificateVerdict.HOST_MISMATCH, false, "certificate not valid for the MX host name"))))
                    .containsExactly(SessionResult.failure(ENFORCE_APPLIED, failure(ResultType.CERTIFICATE_HOST_MISMATCH,
                            "mx.d.example", "certificate not valid for the MX host name")));
        }

        @Test
        void anExpiredCertificateIsCertificateExpired() {
            assertThat(TlsRptResults.of(attempt(ENFORCE_ANSWER, tls("mx.d.example", true,
                    CertificateVerdict.EXPIRED, false, "certificate expired or not yet valid"))).get(0).failure())
                    .isEqualTo(failure(ResultType.CERTIFICATE_EXPIRED, "mx.d.example", "certificate expired or not yet valid"));
        }

        @Test
        void anUntrustedChainIsCertificateNotTrusted() {
            assertThat(TlsRptResults.of(attempt(ENFORCE_ANSWER, tls("mx.d.example", true,
                    CertificateVerdict.UNTRUSTED, false, "certificate not issued by a trusted CA"))).get(0).failure())
                    .isEqualTo(failure(ResultType.CERTIFICATE_NOT_TRUSTED, "mx.d.example",
                            "certificate not issued by a trusted CA"));
        }

        @Test
        void tlsOlderThan12AndOtherHandshakeFailuresAreValidationFailures() {
            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER,
                    tls("mx.d.example", true, CertificateVerdict.PROTOCOL_TOO_OLD, false,
                            "TLS protocol TLSv1.1 is older than TLSv1.2"),
                    tls("mx2.mx.d.example", true, CertificateVerdict.HANDSHAKE_FAILED, false,
                            "TLS handshake failed: Received fatal alert: handshake_failure")));

            assertThat(r).extracting(x -> x.failure().resultType())
                    .containsExactly(ResultType.VALIDATION_FAILURE, ResultType.VALIDATION_FAILURE);
            assertThat(r.get(1).failure().failureReasonCode())
                    .isEqualTo("TLS handshake failed: Received fatal alert: handshake_failure");
        }

        @Test
        void eachMxTriedCountsOnceInTheOrderTried() {
            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER,
                    tls("mx.d.example", true, CertificateVerdict.EXPIRED, false, "certificate expired or not yet valid"),
                    tls("a.mx.d.example", true, CertificateVerdict.VALID, true, null)));

            assertThat(r).extracting(SessionResult::successful).containsExactly(false, true);
        }

        @Test
        void aConnectionThatNeverReachedStarttlsIsNotCounted() {
            // RFC 8460 §4.3.4: transient failures (refused, time-out) need not be reported; nothing is known of TLS
            MxResult refused = new MxResult("mx.d.example", true, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED,
                    null, false, "connection failed: ConnectException Connection refused");

            assertThat(TlsRptResults.of(attempt(ENFORCE_ANSWER, refused))).isEmpty();
        }

        @Test
        void aSessionWithoutStarttlsAttemptedIsNotCounted() {
            // startTLS=false under a testing policy: the session proved nothing about the MX's TLS
            MxResult clear = new MxResult("mx.d.example", true, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED,
                    null, true, null, "192.0.2.25", "198.51.100.7");

            assertThat(TlsRptResults.of(attempt(CacheResult.policy(TESTING, "t1", true, "fetched"), clear))).isEmpty();
        }

        @Test
        void reportModeAndATestingOverrideStillReportUnderThePublishedPolicy() throws Exception {
            PolicyDecider report = new PolicyDecider(Mode.REPORT, OnLookupError.DELIVER, Map.of(), false);
            PolicyDecider testingOverride = new PolicyDecider(Mode.FOLLOW, OnLookupError.DELIVER,
                    MtaStsMailetSettings.parseOverrides(DOMAIN + "=testing"), false);
            for (PolicyDecider decider : List.of(report, testingOverride)) {
                List<SessionResult> r = TlsRptResults.of(attempt(decider, ENFORCE_ANSWER,
                        tls("mx.d.example", true, CertificateVerdict.VALID, true, null)));
                assertThat(r).containsExactly(SessionResult.success(ENFORCE_APPLIED));
            }
        }

        @Test
        void theErrorTextIsEscapedAndCapped() {
            String hostile = "TLS handshake failed: \u001b[31m" + "x".repeat(500) + "\r\nInjected: line";
            FailureDetail f = TlsRptResults.of(attempt(ENFORCE_ANSWER, tls("mx.d.example", true,
                    CertificateVerdict.HANDSHAKE_FAILED, false, hostile))).get(0).failure();

            assertThat(f.failureReasonCode()).hasSizeLessThanOrEqualTo(TlsRptResults.REASON_CODE_MAX)
                    .doesNotContain("\u001b", "\r", "\n").isEqualTo(SafeText.of(hostile, TlsRptResults.REASON_CODE_MAX));
            assertThat(f.additionalInformation()).as("RFC 8460 §4.4: a URI, none served here").isNull();
        }

        @Test
        void aFailedRefetchWithTheCachedPolicyAppliedCountsTheSessionsOnlyUnderThatPolicy() {
            CacheResult kept = CacheResult.policy(ENFORCE, "id1", false, "re-fetch failed").withFetchFailure(FetchFailure.TLS);
            DeliveryAttemptReport report = attempt(kept, tls("mx.d.example", true, CertificateVerdict.VALID, true, null));

            assertThat(report.fetchFailure()).isEqualTo(FetchFailure.TLS);
            assertThat(TlsRptResults.of(report)).containsExactly(SessionResult.success(ENFORCE_APPLIED));
        }
    }

    @Nested
    class WithoutAPublishedPolicy {
        @Test
        void noRecordCountsSessionsUnderNoPolicyFound() {
            List<SessionResult> r = TlsRptResults.of(attempt(CacheResult.notFound("NXDOMAIN"),
                    tls("mx.d.example", false, CertificateVerdict.VALID, true, null),
                    new MxResult("mx2.d.example", false, Starttls.NOT_OFFERED, CertificateVerdict.NOT_CHECKED, null,
                            true, null, "192.0.2.25", "198.51.100.7")));

            assertThat(r).containsExactly(SessionResult.success(NO_POLICY), SessionResult.failure(NO_POLICY,
                    failure(ResultType.STARTTLS_NOT_SUPPORTED, "mx2.d.example", null)));
        }

        @Test
        void aPolicyOfModeNoneIsNoPolicyFound() {
            // RFC 8461 §5: mode none = treat the domain as having no policy
            StsPolicy none = parse("version: STSv1\nmode: none\nmax_age: 86400\n");
            DeliveryAttemptReport report = attempt(CacheResult.policy(none, "n1", true, "fetched"),
                    tls("mx.d.example", false, CertificateVerdict.VALID, true, null));

            assertThat(report.published()).isEqualTo(PublishedPolicy.NONE);
            assertThat(TlsRptResults.of(report)).containsExactly(SessionResult.success(NO_POLICY));
        }

        @Test
        void theMxListIsNotJudgedWithoutAPolicyButTheCertificateIs() {
            assertThat(TlsRptResults.of(attempt(CacheResult.notFound("NXDOMAIN"),
                    tls("mx.d.example", false, CertificateVerdict.UNTRUSTED, false, "certificate not issued by a trusted CA"))))
                    .containsExactly(SessionResult.failure(NO_POLICY, failure(ResultType.CERTIFICATE_NOT_TRUSTED,
                            "mx.d.example", "certificate not issued by a trusted CA")));
        }
    }

    @Nested
    class WhenThePolicyCouldNotBeFetched {
        @Test
        void aPolicyHostWithAnInvalidCertificateIsStsWebpkiInvalidForEachSession() {
            DeliveryAttemptReport report = attempt(CacheResult.backoff("fetch failed", FetchFailure.TLS),
                    tls("mx.d.example", false, CertificateVerdict.VALID, true, null));

            assertThat(report.published()).isEqualTo(PublishedPolicy.FETCH_FAILED);
            assertThat(TlsRptResults.of(report)).containsExactly(SessionResult.failure(STS_UNFETCHED,
                    failure(ResultType.STS_WEBPKI_INVALID, "mx.d.example", "policy-fetch-tls")));
        }

        @Test
        void aPolicyThatDoesNotParseIsStsPolicyInvalid() {
            assertThat(TlsRptResults.of(attempt(CacheResult.backoff("fetch failed", FetchFailure.SYNTAX),
                    tls("mx.d.example", false, CertificateVerdict.VALID, true, null))).get(0).failure())
                    .isEqualTo(failure(ResultType.STS_POLICY_INVALID, "mx.d.example", "policy-fetch-syntax"));
        }

        @Test
        void everyOtherFetchFailureIsStsPolicyFetchError() {
            for (FetchFailure f : FetchFailure.values()) {
                if (f == FetchFailure.TLS || f == FetchFailure.SYNTAX) {
                    continue;
                }
                FailureDetail d = TlsRptResults.of(attempt(CacheResult.backoff("fetch failed", f),
                        tls("mx.d.example", false, CertificateVerdict.VALID, true, null))).get(0).failure();
                assertThat(d.resultType()).as(f.name()).isEqualTo(ResultType.STS_POLICY_FETCH_ERROR);
                assertThat(d.failureReasonCode()).isEqualTo(TlsRptResults.fetchReasonCode(f));
            }
            assertThat(TlsRptResults.fetchReasonCode(FetchFailure.HTTP_STATUS)).isEqualTo("policy-fetch-http-status");
            assertThat(ResultType.ofPolicyFetch(null)).isEqualTo(ResultType.STS_POLICY_FETCH_ERROR);
        }

        @Test
        void anAttemptThatReachedNoMxCountsTheFetchFailureOnce() {
            MxResult refused = new MxResult("mx.d.example", false, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED,
                    null, false, "connection failed: ConnectException Connection refused");

            assertThat(TlsRptResults.of(attempt(CacheResult.backoff("fetch failed", FetchFailure.HTTP_STATUS), refused)))
                    .containsExactly(SessionResult.failure(STS_UNFETCHED, new FailureDetail(
                            ResultType.STS_POLICY_FETCH_ERROR, null, null, null, null, null, "policy-fetch-http-status")));
        }
    }

    @Nested
    class NothingIsReported {
        private final MxResult good = tls("mx.d.example", true, CertificateVerdict.VALID, true, null);

        @Test
        void forAGatewayDelivery() {
            PolicyDecider gateway = new PolicyDecider(Mode.FOLLOW, OnLookupError.DELIVER, Map.of(), true);
            assertThat(TlsRptResults.of(attempt(gateway, ENFORCE_ANSWER, good))).isEmpty();
        }

        @Test
        void whenMtaStsIsOffOrTheDomainIsOverriddenLocally() throws Exception {
            PolicyDecider off = new PolicyDecider(Mode.OFF, OnLookupError.DELIVER, Map.of(), false);
            PolicyDecider offOverride = new PolicyDecider(Mode.FOLLOW, OnLookupError.DELIVER,
                    MtaStsMailetSettings.parseOverrides(DOMAIN + "=off"), false);
            PolicyDecider localPolicy = new PolicyDecider(Mode.FOLLOW, OnLookupError.DELIVER,
                    MtaStsMailetSettings.parseOverrides(DOMAIN + "=enforce:mx.d.example"), false);
            for (PolicyDecider d : List.of(off, offOverride, localPolicy)) {
                DeliveryAttemptReport report = attempt(d, ENFORCE_ANSWER, good);
                assertThat(report.published()).isEqualTo(PublishedPolicy.NOT_CONSULTED);
                assertThat(TlsRptResults.of(report)).isEmpty();
            }
        }

        @Test
        void whenTheLookupAnsweredNothing() {
            for (CacheResult nothing : List.of(CacheResult.error("SERVFAIL"), CacheResult.timedOut("slow"),
                    CacheResult.busy("cap"))) {
                DeliveryAttemptReport report = attempt(nothing, good);
                assertThat(report.published()).isEqualTo(PublishedPolicy.UNKNOWN);
                assertThat(TlsRptResults.of(report)).isEmpty();
            }
        }
    }

    /** RFC 7672 + RFC 8461 §2: hosts whose secure TLSA records governed the session count under {@code tlsa}. */
    @Nested
    class UnderDane {
        private static final String MX = "mx.d.example";
        private final List<String> records = List.of("3 1 1 0A1B2C", "2 0 1 3D4E5F");
        private final AppliedPolicy tlsaPolicy = new AppliedPolicy(PolicyType.TLSA, MX, records, List.of());

        private DeliveryAttemptReport.DaneMx usable(dev.jamesmtasts.dane.TlsaVerification.Outcome outcome) {
            return new DeliveryAttemptReport.DaneMx(dev.jamesmtasts.dane.DaneHost.Status.USABLE, null, MX, records,
                    outcome, "2 usable TLSA record(s)");
        }

        private MxResult daneTls(CertificateVerdict verdict, DeliveryAttemptReport.DaneMx dane, String error) {
            return new MxResult(MX, true, Starttls.OFFERED, verdict, "TLSv1.3", verdict == CertificateVerdict.VALID,
                    error, "192.0.2.25", "198.51.100.7", dane);
        }

        /** The report of an attempt in which DANE said {@code status} of the domain. */
        private DeliveryAttemptReport report(PublishedPolicy published, dev.jamesmtasts.dane.DaneDomain.Status status,
                                             boolean required, String detail, MxResult... mx) {
            return new DeliveryAttemptReport(java.time.Instant.now(), "m1", DOMAIN, 1,
                    DeliveryAttemptReport.Verdict.NO_POLICY, DeliveryAttemptReport.PolicyOrigin.NONE, null, null, null,
                    "r", DeliveryAttemptReport.DeliveryOutcome.TEMPORARY_FAILURE, List.of(mx), List.of(), published, null,
                    false, DeliveryAttemptReport.DaneVerdict.DEFERRED, status, required, detail);
        }

        @Test
        void aMatchingTlsaRecordIsASuccessUnderTheTlsaPolicyOfTheTlsaBaseDomain() {
            SessionResult r = TlsRptResults.of(attempt(ENFORCE_ANSWER, daneTls(CertificateVerdict.VALID,
                    usable(dev.jamesmtasts.dane.TlsaVerification.Outcome.MATCHED), null))).get(0);

            assertThat(r).isEqualTo(SessionResult.success(tlsaPolicy));
            assertThat(r.policy().type()).isEqualTo(PolicyType.TLSA);
            assertThat(r.policy().policyDomain()).isEqualTo(MX);
            assertThat(r.policy().policyString()).containsExactly("3 1 1 0A1B2C", "2 0 1 3D4E5F");
        }

        @Test
        void aDaneHostNotListedInAnEnforcePolicyCountsUnderTlsaNotAsAnStsMismatch() {
            MxResult unlisted = new MxResult("mx.dane-only.example", false, Starttls.OFFERED, CertificateVerdict.VALID,
                    "TLSv1.3", true, null, "192.0.2.25", "198.51.100.7",
                    new DeliveryAttemptReport.DaneMx(dev.jamesmtasts.dane.DaneHost.Status.USABLE, null,
                            "mx.dane-only.example", records, dev.jamesmtasts.dane.TlsaVerification.Outcome.MATCHED, "ok"));

            assertThat(TlsRptResults.of(attempt(ENFORCE_ANSWER, unlisted))).containsExactly(SessionResult.success(
                    new AppliedPolicy(PolicyType.TLSA, "mx.dane-only.example", records, List.of())));
        }

        @Test
        void aChainMatchingNoRecordIsTlsaInvalid() {
            String error = "2 usable TLSA record(s), none matches the 2 certificate(s) the server sent";
            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER, daneTls(CertificateVerdict.DANE_MISMATCH,
                    usable(dev.jamesmtasts.dane.TlsaVerification.Outcome.MISMATCH), error)));

            assertThat(r).containsExactly(SessionResult.failure(tlsaPolicy, failure(ResultType.TLSA_INVALID, MX, error)));
        }

        @Test
        void aDaneTaCertificateForAnotherNameIsAHostMismatch() {
            String error = "DANE: DANE-TA(2) 0 1 matches ... but the server certificate names none of [mx.d.example]";
            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER, daneTls(CertificateVerdict.HOST_MISMATCH,
                    usable(dev.jamesmtasts.dane.TlsaVerification.Outcome.NAME_MISMATCH), error)));

            assertThat(r).containsExactly(SessionResult.failure(tlsaPolicy,
                    failure(ResultType.CERTIFICATE_HOST_MISMATCH, MX, SafeText.of(error, TlsRptResults.REASON_CODE_MAX))));
        }

        @Test
        void strippedStarttlsAtADaneHostIsStarttlsNotSupported() {
            MxResult stripped = new MxResult(MX, true, Starttls.NOT_OFFERED, CertificateVerdict.NOT_CHECKED, null, false,
                    "DANE: STARTTLS not offered", "192.0.2.25", "198.51.100.7", usable(null));

            assertThat(TlsRptResults.of(attempt(ENFORCE_ANSWER, stripped))).containsExactly(
                    SessionResult.failure(tlsaPolicy, failure(ResultType.STARTTLS_NOT_SUPPORTED, MX, null)));
        }

        @Test
        void secureRecordsNoneUsableAreTlsaInvalidEvenWhenTheSessionWentThrough() {
            MxResult tlsOnly = daneTls(CertificateVerdict.NOT_CHECKED, new DeliveryAttemptReport.DaneMx(
                    dev.jamesmtasts.dane.DaneHost.Status.UNUSABLE, null, MX, records, null, "none usable"), null);

            assertThat(TlsRptResults.of(attempt(CacheResult.notFound("no record"), tlsOnly))).containsExactly(
                    SessionResult.failure(tlsaPolicy, failure(ResultType.TLSA_INVALID, MX, TlsRptResults.NO_USABLE_TLSA)));
        }

        @Test
        void bogusTlsaRecordsOfAHostAreDnssecInvalidAndRequiredDaneMissingIsDaneRequired() {
            MxResult bogus = new MxResult(MX, true, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED, null, false,
                    "DANE: bogus", null, null, new DeliveryAttemptReport.DaneMx(dev.jamesmtasts.dane.DaneHost.Status.FAILED,
                            dev.jamesmtasts.dane.DaneHost.Failure.DNSSEC_INVALID, MX, List.of(), null,
                            "TLSA _25._tcp.mx.d.example.: DNSSEC validation failed: EDE 6 DNSSEC Bogus"));
            MxResult missing = new MxResult("mx2.d.example", true, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED, null,
                    false, "DANE: required", null, null, new DeliveryAttemptReport.DaneMx(
                            dev.jamesmtasts.dane.DaneHost.Status.FAILED, dev.jamesmtasts.dane.DaneHost.Failure.DANE_REQUIRED,
                            null, List.of(), null, "DANE required, but no TLSA records"));

            List<SessionResult> r = TlsRptResults.of(attempt(ENFORCE_ANSWER, bogus, missing));

            assertThat(r).hasSize(2);
            assertThat(r.get(0).policy()).isEqualTo(new AppliedPolicy(PolicyType.TLSA, MX, List.of(), List.of()));
            assertThat(r.get(0).failure().resultType()).isEqualTo(ResultType.DNSSEC_INVALID);
            assertThat(r.get(0).failure().failureReasonCode()).isEqualTo(TlsRptResults.DNSSEC_INVALID_TLSA);
            assertThat(r.get(1).policy().policyDomain()).isEqualTo("mx2.d.example");
            assertThat(r.get(1).failure().resultType()).isEqualTo(ResultType.DANE_REQUIRED);
            assertThat(r.get(1).failure().failureReasonCode()).isEqualTo(TlsRptResults.DANE_REQUIRED_HOST);
        }

        @Test
        void unansweredLookupsAndResolverDisagreementsAreNotReported() {
            for (dev.jamesmtasts.dane.DaneHost.Failure f : List.of(dev.jamesmtasts.dane.DaneHost.Failure.LOOKUP_FAILED,
                    dev.jamesmtasts.dane.DaneHost.Failure.DNS_MISMATCH)) {
                MxResult m = new MxResult(MX, true, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED, null, false,
                        "DANE: " + f, null, null, new DeliveryAttemptReport.DaneMx(
                                dev.jamesmtasts.dane.DaneHost.Status.FAILED, f, MX, List.of(), null, "x"));
                assertThat(TlsRptResults.of(attempt(CacheResult.notFound("no record"), m))).as(f.name()).isEmpty();
            }
        }

        @Test
        void aBogusMxRrsetIsOneDnssecInvalidFailureOfTheRecipientDomain() {
            List<SessionResult> r = TlsRptResults.of(report(PublishedPolicy.APPLIED,
                    dev.jamesmtasts.dane.DaneDomain.Status.BOGUS, false, "MX d.example.: DNSSEC validation failed: x"));

            assertThat(r).containsExactly(SessionResult.failure(new AppliedPolicy(PolicyType.TLSA, DOMAIN, List.of(),
                    List.of()), new FailureDetail(ResultType.DNSSEC_INVALID, null, null, null, null, null,
                    TlsRptResults.DNSSEC_INVALID_MX)));
        }

        @Test
        void requiredDaneForAnUnsignedDomainIsOneDaneRequiredFailure() {
            List<SessionResult> r = TlsRptResults.of(report(PublishedPolicy.NONE,
                    dev.jamesmtasts.dane.DaneDomain.Status.INSECURE, true, "MX RRset not signed"));

            assertThat(r).singleElement().satisfies(s -> {
                assertThat(s.policy().type()).isEqualTo(PolicyType.TLSA);
                assertThat(s.failure().resultType()).isEqualTo(ResultType.DANE_REQUIRED);
            });
        }

        @Test
        void anUnansweredMxLookupOrValidationUnavailableHereIsNotReported() {
            assertThat(TlsRptResults.of(report(PublishedPolicy.APPLIED, dev.jamesmtasts.dane.DaneDomain.Status.TEMPORARY,
                    false, "time-out"))).isEmpty();
            assertThat(TlsRptResults.of(report(PublishedPolicy.NONE, dev.jamesmtasts.dane.DaneDomain.Status.OFF,
                    true, "DANE required, DNSSEC validation not available"))).isEmpty();
        }

        @Test
        void daneHostsAreReportedEvenWithMtaStsOff() {
            PolicyDecider off = new PolicyDecider(Mode.OFF, OnLookupError.DELIVER, Map.of(), false);
            assertThat(TlsRptResults.of(attempt(off, ENFORCE_ANSWER, daneTls(CertificateVerdict.VALID,
                    usable(dev.jamesmtasts.dane.TlsaVerification.Outcome.MATCHED), null))))
                    .containsExactly(SessionResult.success(tlsaPolicy));
        }
    }
}
