package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.transport.mailets.remote.delivery.Delay;
import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.james.AttemptContext.Application;
import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.DeliveryOutcome;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.james.MtaStsMailetSettings.Mode;
import dev.jamesmtasts.james.MtaStsMailetSettings.OnLookupError;
import dev.jamesmtasts.mtasts.StsPolicy;

/** {@link AttemptReports} and {@link RetryOrBounce#nextDelay}, without James. */
class AttemptReportsTest {
    private static final StsPolicy ENFORCE = InMemoryPolicies.policy(StsPolicy.Mode.ENFORCE, "mx.d.example");

    private static AttemptDecision decide(Mode mode) {
        return new PolicyDecider(mode, OnLookupError.DEFER, java.util.Map.of(), false)
                .decide("d.example", domain -> CacheResult.policy(ENFORCE, "id1", true, "near cache"));
    }

    private static AttemptContext context(AttemptDecision d, MxResult... results) {
        AttemptContext c = new AttemptContext(d.application, d.policy);
        c.results.addAll(List.of(results));
        return c;
    }

    @Test
    void enforcedAndDeferredCarriesThePerMxReasons() {
        AttemptDecision d = decide(Mode.FOLLOW);
        AttemptContext c = context(d, new MxResult("mx.d.example", true, Starttls.OFFERED, CertificateVerdict.UNTRUSTED,
                "TLSv1.3", false, "certificate not issued by a trusted CA"));
        DeliveryAttemptReport r = AttemptReports.build("m1", "d.example", 2, d, c,
                ExecutionResult.temporaryFailure(new MessagingException("no MX left")));
        assertThat(r.verdict()).isEqualTo(Verdict.ENFORCED_DEFERRED);
        assertThat(r.outcome()).isEqualTo(DeliveryOutcome.TEMPORARY_FAILURE);
        assertThat(r.attempt()).isEqualTo(2);
        assertThat(r.policyId()).isEqualTo("id1");
        assertThat(r.policyMode()).isEqualTo("enforce");
        assertThat(r.reason()).isEqualTo("published enforce policy (near cache); "
                + "mx.d.example: certificate not issued by a trusted CA");
    }

    @Test
    void aHostAuthenticatedByDaneWouldNotFailAnEnforcePolicyEvenUnlisted() {
        // RFC 8461 §2: DANE takes precedence for hosts with usable TLSA records
        AttemptDecision d = decide(Mode.REPORT);
        MxResult dane = new MxResult("mx.dane.example", false, Starttls.OFFERED, CertificateVerdict.VALID, "TLSv1.3",
                true, null, "192.0.2.1", null, new DeliveryAttemptReport.DaneMx(dev.jamesmtasts.dane.DaneHost.Status.USABLE,
                        null, "mx.dane.example", List.of("3 1 1 00"), dev.jamesmtasts.dane.TlsaVerification.Outcome.MATCHED,
                        "1 usable TLSA record(s)"));
        DeliveryAttemptReport r = AttemptReports.build("m1", "d.example", 1, d, context(d, dane),
                ExecutionResult.success());
        assertThat(r.verdict()).isEqualTo(Verdict.TESTING_OK);
        assertThat(r.daneVerdict()).as("DANE off for this context").isEqualTo(DeliveryAttemptReport.DaneVerdict.OFF);
    }

    @Test
    void anUndecidedDaneDomainDefersAndSaysWhy() {
        AttemptDecision d = decide(Mode.FOLLOW);
        AttemptContext c = new AttemptContext(d.application, d.policy,
                dev.jamesmtasts.dane.DaneDomain.undecided("d.example", "MX d.example.: time-out"), null);
        DeliveryAttemptReport r = AttemptReports.build("m1", "d.example", 1, d, c,
                ExecutionResult.temporaryFailure(new MessagingException("DANE")));
        assertThat(r.daneVerdict()).isEqualTo(DeliveryAttemptReport.DaneVerdict.DEFERRED);
        assertThat(r.reason()).endsWith("; DANE: MX d.example.: time-out");
        assertThat(r.toLogLine()).contains(" dane=deferred ");
        assertThat(TlsRptResults.of(r)).as("an unanswered lookup is not reported").isEmpty();
    }

    @Test
    void aDomainWithHundredsOfMxHostsGetsAShortReasonAndLogLine() {
        AttemptDecision d = decide(Mode.FOLLOW);
        MxResult[] hosts = new MxResult[300];
        for (int i = 0; i < hosts.length; i++) {
            hosts[i] = new MxResult("mx" + i + ".elsewhere.example", false, Starttls.UNKNOWN,
                    CertificateVerdict.NOT_CHECKED, null, false, "not listed in the policy's mx patterns [mx.d.example]");
        }
        DeliveryAttemptReport r = AttemptReports.build("m1", "d.example", 1, d, context(d, hosts),
                ExecutionResult.temporaryFailure(new MessagingException("no MX left")));
        assertThat(r.reason()).startsWith("published enforce policy (near cache); mx0.elsewhere.example: not listed")
                .contains("mx4.elsewhere.example").doesNotContain("mx5.elsewhere.example").endsWith(" and 295 more");
        assertThat(r.toLogLine()).contains("mx=[mx0.elsewhere.example{unmatched")
                .doesNotContain("mx5.elsewhere.example").hasSizeLessThan(2000);
        assertThat(r.mx()).hasSize(300);

        AttemptDecision testing = decide(Mode.REPORT);
        DeliveryAttemptReport observed = AttemptReports.build("m1", "d.example", 1, testing, context(testing, hosts),
                ExecutionResult.success());
        assertThat(observed.reason()).endsWith("mx4.elsewhere.example: not in the policy's mx list and 295 more");
    }

    @Test
    void enforcedAndDelivered() {
        AttemptDecision d = decide(Mode.FOLLOW);
        AttemptContext c = context(d, new MxResult("mx.d.example", true, Starttls.OFFERED, CertificateVerdict.VALID,
                "TLSv1.3", true, null));
        DeliveryAttemptReport r = AttemptReports.build("m1", "d.example", 1, d, c, ExecutionResult.success());
        assertThat(r.verdict()).isEqualTo(Verdict.ENFORCED_DELIVERED);
        assertThat(r.outcome()).isEqualTo(DeliveryOutcome.DELIVERED);
        assertThat(r.reason()).isEqualTo("published enforce policy (near cache)");
    }

    @Test
    void observedDeliveryListsWhatWouldFailUnderEnforce() {
        AttemptDecision d = decide(Mode.REPORT);
        AttemptContext c = context(d,
                new MxResult("other.example", false, Starttls.OFFERED, CertificateVerdict.VALID, "TLSv1.3", false, "x"),
                new MxResult("mx.d.example", true, Starttls.NOT_OFFERED, CertificateVerdict.NOT_CHECKED, null, false, "y"),
                new MxResult("mx.d.example", true, Starttls.OFFERED, CertificateVerdict.EXPIRED, "TLSv1.2", true, null));
        DeliveryAttemptReport r = AttemptReports.build("m1", "d.example", 1, d, c, ExecutionResult.success());
        assertThat(r.verdict()).isEqualTo(Verdict.TESTING_WOULD_FAIL);
        assertThat(r.reason()).endsWith("; would fail under enforce: other.example: not in the policy's mx list; "
                + "mx.d.example: STARTTLS not offered; mx.d.example: certificate expired");
        assertThat(r.mx()).hasSize(3);
    }

    @Test
    void observedDeliveryWithNothingFailingIsTestingOk() {
        AttemptDecision d = decide(Mode.REPORT);
        AttemptContext c = context(d, new MxResult("mx.d.example", true, Starttls.OFFERED, CertificateVerdict.VALID,
                "TLSv1.3", true, null));
        assertThat(AttemptReports.build("m1", "d.example", 1, d, c, ExecutionResult.success()).verdict())
                .isEqualTo(Verdict.TESTING_OK);
    }

    @Test
    void aFixedVerdictWinsAndAPermanentFailureIsReported() {
        AttemptDecision d = AttemptDecision.none(Verdict.NO_POLICY, "not_found: ", "no TXT record");
        DeliveryAttemptReport r = AttemptReports.build("m1", "d.example", 1, d, context(d),
                ExecutionResult.permanentFailure(new MessagingException("550")));
        assertThat(r.verdict()).isEqualTo(Verdict.NO_POLICY);
        assertThat(r.outcome()).isEqualTo(DeliveryOutcome.PERMANENT_FAILURE);
        assertThat(r.policyMode()).isNull();
        assertThat(r.reason()).isEqualTo("not_found: no TXT record");
    }

    @Test
    void nextDelayFollowsTheConfiguredListThenJamesDefault() {
        List<Duration> delays = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5));
        assertThat(RetryOrBounce.nextDelay(delays, 1)).isEqualTo(Duration.ofMinutes(1));
        assertThat(RetryOrBounce.nextDelay(delays, 2)).isEqualTo(Duration.ofMinutes(5));
        assertThat(RetryOrBounce.nextDelay(delays, 3)).isEqualTo(Delay.DEFAULT_DELAY_TIME);
        assertThat(Delay.DEFAULT_DELAY_TIME).isEqualTo(Duration.ofHours(6));
    }
}
