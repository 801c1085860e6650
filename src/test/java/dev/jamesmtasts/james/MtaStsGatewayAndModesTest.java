package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.mtasts.StsPolicy.Mode;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * One James with two delivery mailets, as an administrator could configure: mail for gw.test goes
 * through a smarthost (MTA-STS does not apply), everything else through a mailet in
 * {@code mtaStsMode=report} with {@code mtaStsOnLookupError=deliver}.
 */
class MtaStsGatewayAndModesTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final TestCa CA = TestCa.create("MTA-STS Test CA 2");
    private static JamesHarness james;
    private static InMemoryPolicies policies;
    private static TestSmtpReceiver smarthost;
    private static Path trustStore;

    @BeforeAll
    static void start() throws Exception {
        policies = InMemoryPolicies.reset();
        RecordingListener.REPORTS.clear();
        trustStore = CA.writeTrustStore(Files.createTempFile("mta-sts-trust", ".p12"));
        smarthost = new TestSmtpReceiver("smarthost.test", null);
        String trust = "<mtaStsTrustStore>" + trustStore + "</mtaStsTrustStore>"
                + "<mtaStsTrustStorePassword>" + TestCa.password() + "</mtaStsTrustStorePassword>";
        String gateway = "<outgoing>outgoing-gateway</outgoing><gateway>smarthost.test</gateway>"
                + "<gatewayPort>" + smarthost.port() + "</gatewayPort>" + trust;
        String report = "<startTLS>true</startTLS><mtaStsMode>report</mtaStsMode>"
                + "<mtaStsOnLookupError>deliver</mtaStsOnLookupError>" + trust;
        String sslTrust = "<outgoing>outgoing-trust</outgoing><startTLS>true</startTLS>"
                + "<mail.smtp.ssl.trust>*</mail.smtp.ssl.trust>"
                + "<mtaStsOverrides>trust.test=enforce:mx.trust.test</mtaStsOverrides>" + trust;
        james = new JamesHarness(JamesHarness.mailetContainerWithTransport(
                "<mailet match=\"HostIs=trust.test,trustnp.test\" class=\"" + MtaStsRemoteDelivery.class.getName() + "\">"
                        + JamesHarness.deliveryDefaults(sslTrust) + sslTrust + "</mailet>"
                + "<mailet match=\"HostIs=gw.test\" class=\"" + MtaStsRemoteDelivery.class.getName() + "\">"
                        + JamesHarness.deliveryDefaults(gateway) + gateway + "</mailet>"
                + "<mailet match=\"All\" class=\"" + MtaStsRemoteDelivery.class.getName() + "\">"
                        + JamesHarness.deliveryDefaults(report) + report + "</mailet>"),
                "cache.backoff=5m\n", true);
        james.mx("smarthost.test", "smarthost.test");
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        if (smarthost != null) {
            smarthost.close();
        }
        Files.deleteIfExists(trustStore);
    }

    @Test
    void gatewayDeliveryIgnoresThePolicyAndNeverLooksItUp() throws Exception {
        policies.put("gw.test", InMemoryPolicies.policy(Mode.ENFORCE, "mx.gw.test"));

        james.send("alice@sender.test", "gateway", "bob@gw.test");

        await().atMost(WAIT).until(() -> smarthost.received().stream()
                .anyMatch(m -> m.recipients.contains("bob@gw.test")));
        await().atMost(WAIT).until(() -> !RecordingListener.forDomain("gw.test").isEmpty());
        DeliveryAttemptReport r = RecordingListener.forDomain("gw.test").get(0);
        assertThat(r.verdict()).isEqualTo(Verdict.GATEWAY);
        assertThat(r.mx()).extracting(DeliveryAttemptReport.MxResult::host).containsExactly("smarthost.test");
        assertThat(policies.lookups("gw.test")).isZero();
    }

    @Test
    void reportModeDeliversDespiteAnEnforcePolicyAndCountsWhatWouldFail() throws Exception {
        try (TestSmtpReceiver mx = new TestSmtpReceiver("mx.elsewhere-rep.test", CA.issue("mx.elsewhere-rep.test").serverContext())) {
            james.mx("rep.test", "mx.elsewhere-rep.test:" + mx.port());
            policies.put("rep.test", InMemoryPolicies.policy(Mode.ENFORCE, "mx.rep.test"));

            james.send("alice@sender.test", "report", "bob@rep.test");

            await().atMost(WAIT).until(() -> mx.received().size() == 1);
            assertThat(mx.received().get(0).tls).isTrue();
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("rep.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("rep.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.TESTING_WOULD_FAIL);
            assertThat(r.reason()).contains("mtaStsMode=report");
            assertThat(r.mx().get(0).matched()).isFalse();
            assertThat(r.mx().get(0).certificate()).isEqualTo(DeliveryAttemptReport.CertificateVerdict.VALID);
        }
    }

    @Test
    void lookupErrorWithDeliverOptionDeliversAsWithoutPolicy() throws Exception {
        try (TestSmtpReceiver mx = new TestSmtpReceiver("mx.lerr.test", null)) {
            james.mx("lerr.test", "mx.lerr.test:" + mx.port());
            policies.answer("lerr.test", CacheResult.error("SERVFAIL"));

            james.send("alice@sender.test", "lookup error", "bob@lerr.test");

            await().atMost(WAIT).until(() -> mx.received().size() == 1);
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("lerr.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("lerr.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.LOOKUP_ERROR);
            assertThat(r.outcome()).isEqualTo(DeliveryAttemptReport.DeliveryOutcome.DELIVERED);
        }
    }

    @Test
    void mailSmtpSslTrustIsNeverInEffectUnderEnforceButStaysForDomainsWithoutPolicy() throws Exception {
        TestCa rogue = TestCa.create("Rogue CA 2");
        try (TestSmtpReceiver enforced = new TestSmtpReceiver("mx.trust.test", rogue.issue("mx.trust.test").serverContext());
             TestSmtpReceiver noPolicy = new TestSmtpReceiver("mx.trustnp.test", rogue.issue("mx.trustnp.test").serverContext())) {
            james.mx("trust.test", "mx.trust.test:" + enforced.port());
            james.mx("trustnp.test", "mx.trustnp.test:" + noPolicy.port());

            james.send("alice@sender.test", "trust", "bob@trust.test");
            james.send("alice@sender.test", "trust np", "bob@trustnp.test");

            // As stock RemoteDelivery: the administrator's mail.smtp.ssl.trust=* accepts the rogue certificate.
            await().atMost(WAIT).until(() -> noPolicy.received().size() == 1);
            assertThat(noPolicy.received().get(0).tls).isTrue();
            // Under the (local) enforce policy it is not in effect: the MX is skipped, the mail deferred.
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("trust.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("trust.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.ENFORCED_DEFERRED);
            assertThat(r.mx().get(0).certificate()).isEqualTo(DeliveryAttemptReport.CertificateVerdict.UNTRUSTED);
            assertThat(enforced.received()).isEmpty();
        }
    }
}
