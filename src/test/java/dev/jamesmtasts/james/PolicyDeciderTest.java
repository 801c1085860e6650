package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.james.AttemptContext.Application;
import dev.jamesmtasts.james.DeliveryAttemptReport.PolicyOrigin;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.james.MtaStsMailetSettings.Mode;
import dev.jamesmtasts.james.MtaStsMailetSettings.OnLookupError;
import dev.jamesmtasts.mtasts.StsPolicy;

/** {@link PolicyDecider} case by case, without James: settings x cache answer -> decision. */
class PolicyDeciderTest {
    private static final StsPolicy ENFORCE = InMemoryPolicies.policy(StsPolicy.Mode.ENFORCE, "mx.d.example");
    private static final StsPolicy TESTING = InMemoryPolicies.policy(StsPolicy.Mode.TESTING, "mx.d.example");
    private static final StsPolicy NONE = InMemoryPolicies.policy(StsPolicy.Mode.NONE, "mx.d.example");
    private static final String OVERRIDES = "off.example=off; t.example=testing; "
            + "le.example=enforce:mx.le.example; lt.example=testing:mx.lt.example";

    /** A provider giving one answer to every domain and remembering which domains were asked. */
    private static final class Answer implements PolicyProvider {
        final CacheResult result;
        final List<String> asked = new ArrayList<>();

        Answer(CacheResult result) {
            this.result = result;
        }

        @Override
        public CacheResult get(String domain) {
            asked.add(domain);
            return result;
        }
    }

    private static PolicyDecider decider(Mode mode, OnLookupError onError, boolean gateway) throws Exception {
        return new PolicyDecider(mode, onError, MtaStsMailetSettings.parseOverrides(OVERRIDES), gateway);
    }

    private static PolicyDecider follow() throws Exception {
        return decider(Mode.FOLLOW, OnLookupError.DEFER, false);
    }

    private static Answer policy(StsPolicy p) {
        return new Answer(CacheResult.policy(p, "id7", true, "near cache"));
    }

    @Test
    void gatewayDeliveryNeverAsksTheCache() throws Exception {
        Answer cache = policy(ENFORCE);
        AttemptDecision d = decider(Mode.FOLLOW, OnLookupError.DEFER, true).decide("d.example", cache);
        assertThat(d.application).isEqualTo(Application.NONE);
        assertThat(d.fixedVerdict).isEqualTo(Verdict.GATEWAY);
        assertThat(d.origin).isEqualTo(PolicyOrigin.NONE);
        assertThat(d.reason()).isEqualTo("gateway delivery, MTA-STS does not apply");
        assertThat(cache.asked).isEmpty();
    }

    @Test
    void aTlsRptReportMailIsDeliveredWithoutEnforcementWhateverThePolicyAndNeverAsksTheCache() throws Exception {
        Answer cache = policy(ENFORCE);
        for (String domain : List.of("d.example", "le.example", "t.example")) {
            AttemptDecision d = follow().decide(domain, cache, true);
            assertThat(d.application).isEqualTo(Application.NONE);
            assertThat(d.fixedVerdict).isEqualTo(Verdict.TLS_NOT_REQUIRED);
            assertThat(d.tlsNotRequired()).isTrue();
            assertThat(d.defer).isFalse();
            assertThat(d.policy).isNull();
            assertThat(d.reason()).contains("RFC 8460 §3").contains("TLS-Required: No");
        }
        assertThat(cache.asked).isEmpty();
        assertThat(Verdict.TLS_NOT_REQUIRED.label()).isEqualTo("tls-not-required");
        // an ordinary mail to the same domain is enforced, and the lookup error case still defers
        AttemptDecision ordinary = follow().decide("d.example", cache, false);
        assertThat(ordinary.application).isEqualTo(Application.ENFORCE);
        assertThat(ordinary.tlsNotRequired()).isFalse();
        AttemptDecision failed = follow().decide("d.example", new Answer(CacheResult.error("dns down")), false);
        assertThat(failed.defer).isTrue();
    }

    @Test
    void modeOffNeverAsksTheCacheAndDisablesLocalOverrides() throws Exception {
        PolicyDecider off = decider(Mode.OFF, OnLookupError.DEFER, false);
        Answer cache = policy(ENFORCE);
        for (String domain : List.of("d.example", "le.example", "off.example")) {
            AttemptDecision d = off.decide(domain, cache);
            assertThat(d.application).isEqualTo(Application.NONE);
            assertThat(d.fixedVerdict).isEqualTo(Verdict.NO_POLICY);
            assertThat(d.policy).isNull();
            assertThat(d.reason()).isEqualTo("mtaStsMode=off");
        }
        assertThat(cache.asked).isEmpty();
    }

    @Test
    void publishedEnforceIsEnforcedUnderFollow() throws Exception {
        Answer cache = policy(ENFORCE);
        AttemptDecision d = follow().decide("d.example", cache);
        assertThat(d.application).isEqualTo(Application.ENFORCE);
        assertThat(d.policy).isSameAs(ENFORCE);
        assertThat(d.origin).isEqualTo(PolicyOrigin.PUBLISHED);
        assertThat(d.policyId).isEqualTo("id7");
        assertThat(d.fixedVerdict).isNull();
        assertThat(d.defer).isFalse();
        assertThat(d.reason()).isEqualTo("published enforce policy (near cache)");
        assertThat(cache.asked).containsExactly("d.example");
    }

    @Test
    void publishedEnforceIsOnlyObservedUnderReport() throws Exception {
        AttemptDecision d = decider(Mode.REPORT, OnLookupError.DEFER, false).decide("d.example", policy(ENFORCE));
        assertThat(d.application).isEqualTo(Application.OBSERVE);
        assertThat(d.policy).isSameAs(ENFORCE);
        assertThat(d.fixedVerdict).isNull();
        assertThat(d.reason()).isEqualTo("published enforce policy applied as testing (mtaStsMode=report) (near cache)");
    }

    @Test
    void publishedTestingIsObservedInFollowAndReport() throws Exception {
        for (Mode mode : List.of(Mode.FOLLOW, Mode.REPORT)) {
            AttemptDecision d = decider(mode, OnLookupError.DEFER, false).decide("d.example", policy(TESTING));
            assertThat(d.application).isEqualTo(Application.OBSERVE);
            assertThat(d.policy).isSameAs(TESTING);
            assertThat(d.origin).isEqualTo(PolicyOrigin.PUBLISHED);
            assertThat(d.reason()).isEqualTo("published testing policy (near cache)");
        }
    }

    @Test
    void publishedNoneAndNoPolicyDeliverAsWithoutMtaSts() throws Exception {
        AttemptDecision none = follow().decide("d.example", policy(NONE));
        assertThat(none.application).isEqualTo(Application.NONE);
        assertThat(none.fixedVerdict).isEqualTo(Verdict.NO_POLICY);
        assertThat(none.origin).isEqualTo(PolicyOrigin.PUBLISHED);
        assertThat(none.policyId).isEqualTo("id7");
        assertThat(none.reason()).isEqualTo("policy mode none");

        AttemptDecision nothing = follow().decide("d.example", new Answer(CacheResult.noPolicy("cached none")));
        assertThat(nothing.application).isEqualTo(Application.NONE);
        assertThat(nothing.fixedVerdict).isEqualTo(Verdict.NO_POLICY);
        assertThat(nothing.origin).isEqualTo(PolicyOrigin.NONE);
        assertThat(nothing.policy).isNull();
        assertThat(nothing.reason()).isEqualTo("no policy: cached none");
    }

    @Test
    void notFoundAndBackoffDeliverAsWithoutPolicy() throws Exception {
        AttemptDecision nf = follow().decide("d.example", new Answer(CacheResult.notFound("no TXT record")));
        assertThat(nf.application).isEqualTo(Application.NONE);
        assertThat(nf.fixedVerdict).isEqualTo(Verdict.NO_POLICY);
        assertThat(nf.defer).isFalse();
        assertThat(nf.reason()).isEqualTo("not_found: no TXT record");

        // RFC 8461 §3.3: a failed fetch with nothing cached is as if there were no policy.
        AttemptDecision b = follow().decide("d.example", new Answer(CacheResult.backoff("fetch failed recently")));
        assertThat(b.application).isEqualTo(Application.NONE);
        assertThat(b.fixedVerdict).isEqualTo(Verdict.NO_POLICY);
        assertThat(b.defer).isFalse();
        assertThat(b.reason()).isEqualTo("backoff: fetch failed recently");
    }

    @Test
    void lookupErrorDefersOrDeliversAsConfigured() throws Exception {
        Answer error = new Answer(CacheResult.error("SERVFAIL"));
        AttemptDecision deferred = decider(Mode.FOLLOW, OnLookupError.DEFER, false).decide("d.example", error);
        assertThat(deferred.fixedVerdict).isEqualTo(Verdict.LOOKUP_ERROR);
        assertThat(deferred.application).isEqualTo(Application.NONE);
        assertThat(deferred.defer).isTrue();
        assertThat(deferred.reason()).isEqualTo("policy lookup failed: SERVFAIL, deferred (mtaStsOnLookupError=defer)");

        AttemptDecision delivered = decider(Mode.REPORT, OnLookupError.DELIVER, false).decide("d.example", error);
        assertThat(delivered.fixedVerdict).isEqualTo(Verdict.LOOKUP_ERROR);
        assertThat(delivered.defer).isFalse();
        assertThat(delivered.reason())
                .isEqualTo("policy lookup failed: SERVFAIL, delivered without policy (mtaStsOnLookupError=deliver)");
    }

    @Test
    void aLookupCutShortByThisNodesOwnBoundsIsDeferredEvenWhenErrorsDeliver() throws Exception {
        // cache.maxConcurrentLookups and the flight time-out are local bounds, not a failed lookup: a burst
        // of hostile new domains must not make mail to another new domain go out without its policy
        for (CacheResult bounded : new CacheResult[] {
                CacheResult.busy("8 first lookups running (cache.maxConcurrentLookups=8)"),
                CacheResult.timedOut("lookup of d.example still running after 60s")}) {
            AttemptDecision d = decider(Mode.FOLLOW, OnLookupError.DELIVER, false).decide("d.example", new Answer(bounded));
            assertThat(d.fixedVerdict).isEqualTo(Verdict.LOOKUP_ERROR);
            assertThat(d.application).isEqualTo(Application.NONE);
            assertThat(d.defer).isTrue();
            assertThat(d.reason()).startsWith("policy lookup not finished: ")
                    .endsWith(", deferred (a local bound, whatever mtaStsOnLookupError says)");
        }
    }

    @Test
    void aProviderThatThrowsOrAnswersNothingIsALookupError() throws Exception {
        PolicyProvider throwing = domain -> {
            throw new IllegalStateException("boom");
        };
        AttemptDecision t = follow().decide("d.example", throwing);
        assertThat(t.fixedVerdict).isEqualTo(Verdict.LOOKUP_ERROR);
        assertThat(t.defer).isTrue();
        assertThat(t.reason()).contains("policy provider failed").contains("boom");

        AttemptDecision n = follow().decide("d.example", domain -> null);
        assertThat(n.fixedVerdict).isEqualTo(Verdict.LOOKUP_ERROR);
        assertThat(n.reason()).contains("policy provider returned nothing");
    }

    @Test
    void offOverrideNeverAsksTheCache() throws Exception {
        Answer cache = policy(ENFORCE);
        for (String written : List.of("off.example", "OFF.Example", "off.example.")) {
            AttemptDecision d = follow().decide(written, cache);
            assertThat(d.application).isEqualTo(Application.NONE);
            assertThat(d.fixedVerdict).isEqualTo(Verdict.NO_POLICY);
            assertThat(d.reason()).isEqualTo("override off.example=off");
        }
        assertThat(cache.asked).isEmpty();
    }

    @Test
    void testingOverrideDowngradesAPublishedEnforcePolicy() throws Exception {
        Answer cache = policy(ENFORCE);
        AttemptDecision d = follow().decide("t.example", cache);
        assertThat(d.application).isEqualTo(Application.OBSERVE);
        assertThat(d.policy).isSameAs(ENFORCE);
        assertThat(d.origin).isEqualTo(PolicyOrigin.PUBLISHED);
        assertThat(d.reason()).isEqualTo("published enforce policy applied as testing (override) (near cache)");
        assertThat(cache.asked).containsExactly("t.example");

        AttemptDecision report = decider(Mode.REPORT, OnLookupError.DEFER, false).decide("t.example", cache);
        assertThat(report.application).isEqualTo(Application.OBSERVE);
        assertThat(report.reason()).contains("(mtaStsMode=report)");

        // A domain=testing override without a published policy changes nothing.
        AttemptDecision nf = follow().decide("t.example", new Answer(CacheResult.notFound("no TXT record")));
        assertThat(nf.fixedVerdict).isEqualTo(Verdict.NO_POLICY);
    }

    @Test
    void localEnforceOverrideReplacesThePublishedPolicy() throws Exception {
        Answer cache = policy(TESTING);
        AttemptDecision d = follow().decide("le.example", cache);
        assertThat(d.application).isEqualTo(Application.ENFORCE);
        assertThat(d.origin).isEqualTo(PolicyOrigin.LOCAL_OVERRIDE);
        assertThat(d.policy.mode()).isEqualTo(StsPolicy.Mode.ENFORCE);
        assertThat(d.policy.matchesMx("mx.le.example")).isTrue();
        assertThat(d.policyId).isNull();
        assertThat(d.fixedVerdict).isNull();
        assertThat(d.reason()).isEqualTo("local override enforce:[mx.le.example]");
        assertThat(cache.asked).isEmpty();

        AttemptDecision report = decider(Mode.REPORT, OnLookupError.DEFER, false).decide("le.example", cache);
        assertThat(report.application).isEqualTo(Application.OBSERVE);
        assertThat(report.origin).isEqualTo(PolicyOrigin.LOCAL_OVERRIDE);
        assertThat(report.reason()).isEqualTo("local override enforce:[mx.le.example] (mtaStsMode=report)");
    }

    @Test
    void localTestingOverrideIsObserved() throws Exception {
        Answer cache = policy(ENFORCE);
        AttemptDecision d = follow().decide("lt.example", cache);
        assertThat(d.application).isEqualTo(Application.OBSERVE);
        assertThat(d.origin).isEqualTo(PolicyOrigin.LOCAL_OVERRIDE);
        assertThat(d.policy.mode()).isEqualTo(StsPolicy.Mode.TESTING);
        assertThat(cache.asked).isEmpty();
    }

    @Test
    void theMailetsParsedSettingsBuildTheSameDecider() throws Exception {
        Map<String, String> params = Map.of(MtaStsMailetSettings.OVERRIDES, OVERRIDES,
                MtaStsMailetSettings.ON_LOOKUP_ERROR, "deliver");
        MtaStsMailetSettings settings = MtaStsMailetSettings.parse(new org.apache.mailet.MailetConfig() {
            @Override
            public String getInitParameter(String name) {
                return params.get(name);
            }

            @Override
            public java.util.Iterator<String> getInitParameterNames() {
                return params.keySet().iterator();
            }

            @Override
            public org.apache.mailet.MailetContext getMailetContext() {
                return null;
            }

            @Override
            public String getMailetName() {
                return "MtaStsRemoteDelivery";
            }
        });
        PolicyDecider decider = PolicyDecider.of(settings, false);
        assertThat(decider.decide("off.example", policy(ENFORCE)).reason()).isEqualTo("override off.example=off");
        assertThat(decider.decide("d.example", new Answer(CacheResult.error("SERVFAIL"))).defer).isFalse();
    }
}
